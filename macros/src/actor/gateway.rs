//! `gateway(forward(kind = Actor, ..), reply_to("client:x" = [Message, ..], default = "client:ui"))`:
//! parsing and the `GatewayInfo` it generates.
//!
//! Forward keys are address kinds (an identifier, or a string for kinds with `-`); reply
//! addresses and the default are checked as `kind:id` at compile time (the runtime relies on
//! it); message types are named by type, and their wire names taken from `Message::TYPE`.

use super::model::{ActorModel, Forward, GatewayModel, Reply};
use crate::args::{self, Keys};
use crate::branch::{self, BranchKind, BranchTokens};
use crate::errors::Errors;
use crate::span::respan;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Token, Type};

/// A key of `forward(..)` or `reply_to(..)`: an identifier or a string.
enum Key {
    Ident(Ident),
    Str(LitStr),
}

impl Parse for Key {
    fn parse(input: ParseStream) -> syn::Result<Key> {
        if input.peek(LitStr) {
            Ok(Key::Str(input.parse()?))
        } else {
            Ok(Key::Ident(input.call(syn::ext::IdentExt::parse_any)?))
        }
    }
}

impl Key {
    fn lit(&self) -> LitStr {
        match self {
            Key::Ident(ident) => LitStr::new(&ident.to_string(), ident.span()),
            Key::Str(lit) => lit.clone(),
        }
    }
}

/// `kind = Type`.
struct ForwardEntry {
    key: Key,
    target: Type,
}

impl Parse for ForwardEntry {
    fn parse(input: ParseStream) -> syn::Result<ForwardEntry> {
        let key = input.parse()?;
        input.parse::<Token![=]>()?;
        Ok(ForwardEntry {
            key,
            target: input.parse()?,
        })
    }
}

/// `"client:x" = [A, B]` or `default = "client:ui"`.
enum ReplyEntry {
    Route(LitStr, Vec<Type>),
    Default(Ident, LitStr),
}

impl Parse for ReplyEntry {
    fn parse(input: ParseStream) -> syn::Result<ReplyEntry> {
        match input.parse::<Key>()? {
            Key::Str(to) => {
                input.parse::<Token![=]>()?;
                let content;
                syn::bracketed!(content in input);
                let types = Punctuated::<Type, Token![,]>::parse_terminated(&content)?;
                Ok(ReplyEntry::Route(to, types.into_iter().collect()))
            }
            Key::Ident(ident) if ident == "default" => {
                input.parse::<Token![=]>()?;
                Ok(ReplyEntry::Default(ident, input.parse()?))
            }
            Key::Ident(ident) => Err(syn::Error::new(
                ident.span(),
                format!("unknown key `{ident}` in `reply_to(..)`; expected `\"kind:id\" = [MessageTypes]` or `default = \"kind:id\"`"),
            )),
        }
    }
}

/// Reads the tokens inside `gateway(..)`.
pub fn parse(tokens: TokenStream, span: Span, errors: &mut Errors) -> Option<GatewayModel> {
    let args = errors.ok(args::parse_args(tokens))?;
    let mut model = GatewayModel {
        span,
        forwards: Vec::new(),
        replies: Vec::new(),
        default_reply_to: LitStr::new("client:ui", span),
    };
    let mut keys = Keys::new("`gateway(..)`", &["forward", "reply_to"]);
    for arg in args {
        match keys.accept(&arg.key, errors).as_deref() {
            Some("forward") => {
                if let Some((tokens, _)) = args::expect_list(arg, errors) {
                    forwards(tokens, &mut model, errors);
                }
            }
            Some("reply_to") => {
                if let Some((tokens, _)) = args::expect_list(arg, errors) {
                    replies(tokens, &mut model, errors);
                }
            }
            _ => {}
        }
    }
    Some(model)
}

fn forwards(tokens: TokenStream, model: &mut GatewayModel, errors: &mut Errors) {
    let parser = Punctuated::<ForwardEntry, Token![,]>::parse_terminated;
    for entry in errors.ok(parser.parse2(tokens)).into_iter().flatten() {
        model.forwards.push(Forward {
            kind: entry.key.lit(),
            target: entry.target,
        });
    }
}

fn replies(tokens: TokenStream, model: &mut GatewayModel, errors: &mut Errors) {
    let parser = Punctuated::<ReplyEntry, Token![,]>::parse_terminated;
    let mut default_seen = false;
    for entry in errors.ok(parser.parse2(tokens)).into_iter().flatten() {
        match entry {
            ReplyEntry::Route(to, messages) => {
                model
                    .replies
                    .extend(messages.into_iter().map(|message| Reply {
                        to: to.clone(),
                        message,
                    }))
            }
            ReplyEntry::Default(key, to) => {
                if default_seen {
                    errors.at(&key, "duplicate key `default` in `reply_to(..)`");
                }
                default_seen = true;
                model.default_reply_to = to;
            }
        }
    }
}

/// `Some(&GatewayInfo { .. })` for `ActorInfo::gateway`.
pub fn info(model: &ActorModel, gateway: &GatewayModel) -> TokenStream {
    let krate = &model.krate;
    let forwards = gateway.forwards.iter().map(|f| {
        let kind = &f.kind;
        let target = &f.target;
        // Spanned at the target type: "`X` is not an actor" points there.
        let span = target.span();
        let actor_info = respan(&quote!(#krate::__private::actor_info), span);
        let info = quote_spanned!(span=> #actor_info::<#target>());
        quote!(#krate::__private::Forward { kind: #kind, target: #info })
    });
    let replies = gateway.replies.iter().map(|r| {
        let to = &r.to;
        let message = &r.message;
        let span = message.span();
        let trait_ = respan(&quote!(#krate::Message), span);
        let wire = quote_spanned!(span=> <#message as #trait_>::TYPE);
        quote!(#krate::__private::ReplyRoute { message_type: #wire, to: #to })
    });
    let default = &gateway.default_reply_to;
    quote! {
        ::core::option::Option::Some(&#krate::__private::GatewayInfo {
            forwards: &[#(#forwards),*],
            replies: &[#(#replies),*],
            default_reply_to: #default,
        })
    }
}

/// The gateway's branch table: one branch per forward route, then the error paths of
/// `handle_frame`, which the runtime lists (`__gateway_branches!`), declared by `gateway(..)`.
pub fn branches(model: &ActorModel, gateway: &GatewayModel) -> TokenStream {
    let kind = &model.kind;
    let krate = &model.krate;
    let routes = gateway.forwards.iter().map(|f| {
        let target = &f.target;
        let forwarded = f.kind.value();
        BranchTokens {
            id: quote!(#krate::__concat_str!(#kind, #krate::branch::id::GATEWAY_ROUTE, #forwarded)),
            kind: BranchKind::GatewayRoute,
            label: format!(
                "{forwarded}:* -> {}",
                quote!(#target).to_string().replace(' ', "")
            ),
            span: f.kind.span(),
            waiver: None,
            waived_when: None,
        }
        .to_tokens(krate)
    });
    let line = branch::line_of(gateway.span);
    quote!(#krate::__gateway_branches!(#kind, #line; #(#routes),*))
}
