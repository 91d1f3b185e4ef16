//! `Handles<M>` impls, `Routes` (route table, branch table, dispatch) and the const check
//! that no two handlers share a wire type.

use super::parse::{Handler, Output, RouteModel};
use crate::branch::BranchTokens;
use crate::span::respan;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

/// Everything `#[route]` adds beside the impl block.
pub fn expand(model: &RouteModel) -> TokenStream {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let handles = model.handlers.iter().map(|h| {
        let message = &h.message;
        // Spanned at the message type: "`X` is not a message" points there.
        let span = message.span();
        let handles = respan(&quote!(#krate::Handles), span);
        // Spanned at the reply type: a reply that is no payload type points there.
        let reply = reply_type(h);
        let reply = quote_spanned!(reply.span()=> type Reply = #reply;);
        quote_spanned!(span=> impl #handles<#message> for #self_ty { #reply })
    });
    let routes = model.handlers.iter().map(|h| route_info(model, h));
    let branches = branches(model);
    let arms = model.handlers.iter().map(|h| arm(model, h));
    let unique = unique_wire_types(model);
    let hit_unknown = record(krate, dispatch_id(model, "/!unknown_type", None));
    quote! {
        const _: () = {
            #(#handles)*
            impl #krate::__private::Routes for #self_ty {
                const ROUTES: &'static [#krate::RouteInfo] = &[#(#routes),*];
                const BRANCHES: &'static [#krate::Branch] = &[#(#branches),*];
                async fn dispatch(
                    &mut self,
                    ctx: &mut #krate::Ctx,
                    envelope: &#krate::Envelope,
                ) -> #krate::__private::DispatchResult {
                    let _ = &ctx;
                    let __type = envelope.message_type.as_str();
                    #(#arms)*
                    #hit_unknown
                    #krate::__private::unknown_type(envelope)
                }
            }
            #unique
        };
    }
}

/// The `Routes` of a block `#[route]` rejected: no routes, every type unknown.
pub fn fallback(krate: &syn::Path, self_ty: &syn::Type) -> TokenStream {
    quote! {
        const _: () = {
            impl #krate::__private::Routes for #self_ty {
                const ROUTES: &'static [#krate::RouteInfo] = &[];
                const BRANCHES: &'static [#krate::Branch] = &[];
                async fn dispatch(
                    &mut self,
                    _ctx: &mut #krate::Ctx,
                    envelope: &#krate::Envelope,
                ) -> #krate::__private::DispatchResult {
                    #krate::__private::unknown_type(envelope)
                }
            }
        };
    }
}

/// The id of one of a handler's branches: `<kind>/<wire type><suffix>`.
fn branch_id(
    krate: &syn::Path,
    self_ty: &syn::Type,
    message: &syn::Type,
    suffix: &str,
) -> TokenStream {
    quote! {
        #krate::__concat_str!(
            <#self_ty as #krate::__private::ActorKind>::KIND,
            "/",
            <#message as #krate::Message>::TYPE,
            #suffix
        )
    }
}

/// The statement recording a hit of a handler-body branch (`/<suffix>` after the route id);
/// only called in checklist builds.
pub fn hit(
    krate: &syn::Path,
    self_ty: &syn::Type,
    message: &syn::Type,
    suffix: &str,
) -> TokenStream {
    let id = branch_id(krate, self_ty, message, &format!("/{suffix}"));
    record(krate, id)
}

/// `{ const ID: &str = <id>; hit(ID); }` in checklist builds, nothing otherwise.
fn record(krate: &syn::Path, id: TokenStream) -> TokenStream {
    if !cfg!(feature = "checklist") {
        return TokenStream::new();
    }
    quote! {
        {
            const __DURACT_BRANCH: &str = #id;
            #krate::__private::hit(__DURACT_BRANCH);
        }
    }
}

fn wire_type(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let message = &h.message;
    let span = message.span();
    let trait_ = respan(&quote!(#krate::Message), span);
    quote_spanned!(span=> <#message as #trait_>::TYPE)
}

fn route_info(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let message = &h.message;
    let wire = wire_type(model, h);
    let name = h.name.to_string();
    quote! {
        #krate::RouteInfo {
            message_type: #wire,
            internal: <#message as #krate::Message>::INTERNAL,
            handler: #name,
        }
    }
}

/// The id of a dispatch branch: `<kind><sep><wire type>`, or `<kind><sep>` without a handler.
fn dispatch_id(model: &RouteModel, sep: &str, h: Option<&Handler>) -> TokenStream {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let kind = quote!(<#self_ty as #krate::__private::ActorKind>::KIND);
    match h {
        Some(h) => {
            let wire = wire_type(model, h);
            quote!(#krate::__concat_str!(#kind, #sep, #wire))
        }
        None => quote!(#krate::__concat_str!(#kind, #sep)),
    }
}

/// What a handler replies on success: `R` of `-> R` or `-> Result<R, E>`.
fn reply_type(h: &Handler) -> &syn::Type {
    match &h.output {
        Output::Reply(ty) => ty,
        Output::Fallible { ok, .. } => ok,
    }
}

/// One dispatch arm: decode only here, call, convert the error, serialize the reply.
fn arm(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let message = &h.message;
    let name = &h.name;
    let wire = wire_type(model, h);
    // Spanned at the `ctx` argument's type: a wrong context type points there.
    let ctx = quote_spanned!(h.ctx_ty.span()=> ctx);
    let reply_ty = reply_type(h);
    let call = match &h.output {
        Output::Reply(_) => quote!(self.#name(#ctx, msg).await),
        Output::Fallible { err, span, .. } => {
            let convert = quote_spanned!(*span=> #krate::__private::handler_error::<#err>);
            let hit_error = record(krate, dispatch_id(model, "/!handler_error:", Some(h)));
            quote! {
                match self.#name(#ctx, msg).await {
                    ::core::result::Result::Ok(reply) => reply,
                    ::core::result::Result::Err(error) => {
                        #hit_error
                        return ::core::result::Result::Err(#convert(error));
                    }
                }
            }
        }
    };
    let hit_route = record(krate, dispatch_id(model, "/", Some(h)));
    let decode = quote!(#krate::__private::decode::<#message>(envelope));
    let decode = if cfg!(feature = "checklist") {
        let hit_decode = record(krate, dispatch_id(model, "/!invalid_payload:", Some(h)));
        quote! {
            match #decode {
                ::core::result::Result::Ok(msg) => msg,
                ::core::result::Result::Err(error) => {
                    #hit_decode
                    return ::core::result::Result::Err(error);
                }
            }
        }
    } else {
        quote!(#decode?)
    };
    quote! {
        if __type == #wire {
            #hit_route
            let msg = #decode;
            let reply: #reply_ty = #call;
            return #krate::__private::reply::<Self, #message>(&reply);
        }
    }
}

/// Per handler: its route, its decode error, its handler error (fallible handlers); then the
/// dispatch's `unknown_type`, declared by the `impl` token.
fn branches(model: &RouteModel) -> Vec<TokenStream> {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let kind = quote!(<#self_ty as #krate::__private::ActorKind>::KIND);
    let id = |sep: &str, h: &Handler| {
        let wire = wire_type(model, h);
        quote!(#krate::__concat_str!(#kind, #sep, #wire))
    };
    let mut out = Vec::new();
    for h in &model.handlers {
        let message = h.message.to_token_stream().to_string().replace(' ', "");
        let target = format!("{}::{}", model.actor_name, h.name);
        let span = h.name.span();
        out.push(BranchTokens {
            id: id("/", h),
            kind: "Route",
            label: format!("{message} -> {target}"),
            span,
            waiver: h.waivers.all.clone(),
        });
        out.push(BranchTokens {
            id: id("/!invalid_payload:", h),
            kind: "DecodeError",
            label: format!("payload does not decode as {message}"),
            span: h.message.span(),
            waiver: h.waivers.of("invalid_payload"),
        });
        if let Output::Fallible { span, .. } = &h.output {
            out.push(BranchTokens {
                id: id("/!handler_error:", h),
                kind: "HandlerError",
                label: format!("{target} returns Err"),
                span: *span,
                waiver: h.waivers.of("handler_error"),
            });
        }
        for b in &h.body {
            let wire = wire_type(model, h);
            let suffix = format!("/{}", b.suffix);
            out.push(BranchTokens {
                id: quote!(#krate::__concat_str!(#kind, "/", #wire, #suffix)),
                kind: b.kind,
                label: format!("{target}: {}", b.label),
                span: b.span,
                waiver: b.waiver.clone().or_else(|| h.waivers.all.clone()),
            });
        }
    }
    out.push(BranchTokens {
        id: quote!(#krate::__concat_str!(#kind, "/!unknown_type")),
        kind: "UnknownType",
        label: format!("no route of {} for the type", model.actor_name),
        span: model.impl_span,
        waiver: model.unknown_type_waiver.clone(),
    });
    out.iter().map(|b| b.to_tokens(krate)).collect()
}

/// Two different message types may share a wire type (`type = "..."`); the macro cannot see
/// the strings, so a const assertion per handler compares its wire type with the earlier ones,
/// spanned at the handler's message type.
fn unique_wire_types(model: &RouteModel) -> TokenStream {
    let krate = &model.krate;
    if model.handlers.len() < 2 {
        return TokenStream::new();
    }
    let types: Vec<TokenStream> = model.handlers.iter().map(|h| wire_type(model, h)).collect();
    let checks = model.handlers.iter().enumerate().skip(1).map(|(i, h)| {
        let message = &h.message;
        quote_spanned! {message.span()=>
            const _: () = ::core::assert!(
                !#krate::__private::duplicate_of(__WIRE_TYPES, #i),
                "two handlers of this actor take messages with the same wire type (`Message::TYPE`)"
            );
        }
    });
    quote! {
        const __WIRE_TYPES: &[&str] = &[#(#types),*];
        #(#checks)*
    }
}
