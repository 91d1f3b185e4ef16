//! `Handles<M>` impls, `Routes` (route table, branch table, dispatch) and the const check
//! that no two handlers share a wire type.

use super::model::{Handler, Output, RouteModel};
use crate::branch::{self, BranchKind, BranchTokens, Site};
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
    let unknown = site_id(model, None, Site::UnknownType);
    let hit_unknown = branch::hit_statement(krate, unknown.clone());
    // Its mutant: an unknown type answered as a success.
    let mutant_unknown = branch::when_mutant(
        krate,
        unknown,
        quote!(return ::core::result::Result::Ok(#krate::__private::null_payload());),
    );
    let on_activate = on_activate(model);
    let migrate = migrate(model);
    let schemas = route_schemas(model);
    quote! {
        const _: () = {
            #(#handles)*
            impl #krate::__private::Routes for #self_ty {
                const ROUTES: &'static [#krate::__private::RouteInfo] = &[#(#routes),*];
                const BRANCHES: &'static [#krate::__private::Branch] = &[#(#branches),*];
                async fn dispatch(
                    &mut self,
                    ctx: &mut #krate::Ctx,
                    envelope: &#krate::Envelope,
                ) -> #krate::__private::DispatchResult {
                    let _ = &ctx;
                    let __type = envelope.message_type.as_str();
                    #(#arms)*
                    #hit_unknown
                    #mutant_unknown
                    #krate::__private::unknown_type(envelope)
                }
                #on_activate
                #migrate
            }
            #unique
            #schemas
        };
    }
}

/// With the feature `schema`: each route's wire type and the schemas of its message and of
/// its handler's reply, `<Self as Handles<M>>::Reply` (nothing without the feature).
fn route_schemas(model: &RouteModel) -> TokenStream {
    if !cfg!(feature = "schema") {
        return TokenStream::new();
    }
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let entries = model.handlers.iter().map(|h| {
        let message = &h.message;
        let name = h.name.to_string();
        let reply = quote_spanned!(reply_type(h).span()=>
            #krate::__private::subschema::<<#self_ty as #krate::Handles<#message>>::Reply>
        );
        quote! {
            #krate::__private::RouteSchema {
                message_type: <#message as #krate::Message>::TYPE,
                internal: <#message as #krate::Message>::INTERNAL,
                any_payload: <#message as #krate::Message>::ANY_PAYLOAD,
                handler: #name,
                message: #krate::__private::subschema::<#message>,
                reply: #reply,
            }
        }
    });
    quote! {
        impl #krate::__private::RouteSchemas for #self_ty {
            const ROUTE_SCHEMAS: &'static [#krate::__private::RouteSchema] = &[#(#entries),*];
        }
    }
}

/// The `Routes` of a block `#[route]` rejected: no routes, every type unknown.
pub fn fallback(krate: &syn::Path, self_ty: &syn::Type) -> TokenStream {
    quote! {
        const _: () = {
            impl #krate::__private::Routes for #self_ty {
                const ROUTES: &'static [#krate::__private::RouteInfo] = &[];
                const BRANCHES: &'static [#krate::__private::Branch] = &[];
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
        #krate::__private::RouteInfo {
            message_type: #wire,
            internal: <#message as #krate::Message>::INTERNAL,
            handler: #name,
        }
    }
}

/// The id of the branch at `site` of `h`'s route (no handler: the dispatch's own).
fn site_id(model: &RouteModel, h: Option<&Handler>, site: Site<'_>) -> TokenStream {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let kind = quote!(<#self_ty as #krate::__private::ActorKind>::KIND);
    let wire = h.map(|h| wire_type(model, h)).unwrap_or_default();
    branch::id(krate, &kind, &wire, site)
}

/// `Routes::on_activate` calling the block's `#[route(on_activate)]` method, if it has one.
fn on_activate(model: &RouteModel) -> TokenStream {
    let krate = &model.krate;
    let Some(hook) = &model.on_activate else {
        return TokenStream::new();
    };
    let name = &hook.name;
    let body = match &hook.err {
        Some(err) => quote! {
            self.#name(ctx).await.map_err(#krate::__private::handler_error::<#err>)
        },
        None => quote! {
            self.#name(ctx).await;
            ::core::result::Result::Ok(())
        },
    };
    quote! {
        async fn on_activate(
            &mut self,
            ctx: &mut #krate::Ctx,
        ) -> ::core::result::Result<(), #krate::Error> {
            #body
        }
    }
}

/// `Routes::migrate` calling the block's `#[route(migrate)]` function, if it has one.
fn migrate(model: &RouteModel) -> TokenStream {
    let krate = &model.krate;
    let Some(hook) = &model.migrate else {
        return TokenStream::new();
    };
    let name = &hook.name;
    let body = match &hook.err {
        Some(err) => quote! {
            Self::#name(from, store).await.map_err(#krate::__private::handler_error::<#err>)
        },
        None => quote! {
            Self::#name(from, store).await;
            ::core::result::Result::Ok(())
        },
    };
    quote! {
        async fn migrate(
            from: u32,
            store: &mut #krate::persist::Migration<'_>,
        ) -> ::core::result::Result<(), #krate::Error> {
            #body
        }
    }
}

/// What a handler replies on success: `R` of `-> R` or `-> Result<R, E>`.
fn reply_type(h: &Handler) -> &syn::Type {
    match &h.output {
        Output::Reply(ty) => ty,
        Output::Fallible { ok, .. } => ok,
    }
}

/// In mutants builds, `return Err(<the mutant error>)` when the mutant of `id` is on: what an
/// error path answers when it is broken (nothing to go on with, it fails the turn).
fn mutant_error(krate: &syn::Path, id: TokenStream) -> TokenStream {
    let value = branch::const_id(id.clone());
    branch::when_mutant(
        krate,
        id,
        quote!(return ::core::result::Result::Err(#krate::__private::mutant_error(#value));),
    )
}

/// One dispatch arm: decode only here, call, convert the error, serialize the reply. In
/// mutants builds: the route answers `unknown_type`, the decode and handler errors answer the
/// mutant error, and a handler body's mutant that fails the turn is caught here.
fn arm(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let message = &h.message;
    let wire = wire_type(model, h);
    let reply_ty = reply_type(h);
    let call = call(model, h);
    let decode = decode(model, h);
    let route_id = site_id(model, Some(h), Site::Route);
    let hit_route = branch::hit_statement(krate, route_id.clone());
    let mutant_route = branch::when_mutant(
        krate,
        route_id,
        quote!(return #krate::__private::unknown_type(envelope);),
    );
    quote! {
        if __type == #wire {
            #hit_route
            #mutant_route
            let msg = #decode;
            let reply: #reply_ty = #call;
            return #krate::__private::reply::<Self, #message>(&reply);
        }
    }
}

/// The handler's call, its error (fallible handlers) converted to the wire's and returned.
fn call(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let name = &h.name;
    // Spanned at the `ctx` argument's type: a wrong context type points there.
    let ctx = quote_spanned!(h.ctx_ty.span()=> ctx);
    let handler = quote!(self.#name(#ctx, msg));
    let handler = if branch::mutants() {
        quote!(#krate::__private::mutant_catch(#handler).await?)
    } else {
        quote!(#handler.await)
    };
    match &h.output {
        Output::Reply(_) => handler,
        Output::Fallible { err, span, .. } => {
            let convert = quote_spanned!(*span=> #krate::__private::handler_error::<#err>);
            let error_id = site_id(model, Some(h), Site::HandlerError);
            let hit_error = branch::hit_statement(krate, error_id.clone());
            let mutant_error = mutant_error(krate, error_id);
            quote! {
                match #handler {
                    ::core::result::Result::Ok(reply) => reply,
                    ::core::result::Result::Err(error) => {
                        #hit_error
                        #mutant_error
                        return ::core::result::Result::Err(#convert(error));
                    }
                }
            }
        }
    }
}

/// The payload's decoding; in checklist builds its error is a branch of its own.
fn decode(model: &RouteModel, h: &Handler) -> TokenStream {
    let krate = &model.krate;
    let message = &h.message;
    let decode = quote!(#krate::__private::decode::<#message>(envelope));
    if !cfg!(feature = "checklist") {
        return quote!(#decode?);
    }
    let decode_id = site_id(model, Some(h), Site::DecodeError);
    let hit_decode = branch::hit_statement(krate, decode_id.clone());
    let mutant_decode = mutant_error(krate, decode_id);
    quote! {
        match #decode {
            ::core::result::Result::Ok(msg) => msg,
            ::core::result::Result::Err(error) => {
                #hit_decode
                #mutant_decode
                return ::core::result::Result::Err(error);
            }
        }
    }
}

/// Per handler: its route, its decode error, its handler error (fallible handlers), the
/// branches of its body; then the dispatch's `unknown_type`, declared by the `impl` token.
fn branches(model: &RouteModel) -> Vec<TokenStream> {
    let mut out: Vec<BranchTokens> = model
        .handlers
        .iter()
        .flat_map(|h| handler_branches(model, h))
        .collect();
    out.push(BranchTokens {
        id: site_id(model, None, Site::UnknownType),
        kind: BranchKind::UnknownType,
        label: format!("no route of {} for the type", model.actor_name),
        span: model.impl_span,
        waiver: model.unknown_type_waiver.clone(),
        waived_when: None,
    });
    let krate = &model.krate;
    out.iter().map(|b| b.to_tokens(krate)).collect()
}

/// A handler's route, decode error, handler error (when fallible) and body branches.
fn handler_branches(model: &RouteModel, h: &Handler) -> Vec<BranchTokens> {
    let message = h.message.to_token_stream().to_string().replace(' ', "");
    let target = format!("{}::{}", model.actor_name, h.name);
    let entry = |site, kind, label, span, waiver| BranchTokens {
        id: site_id(model, Some(h), site),
        kind,
        label,
        span,
        waiver,
        waived_when: None,
    };
    let all = || h.waivers.all.clone();
    let mut out = Vec::new();
    let label = format!("{message} -> {target}");
    out.push(entry(
        Site::Route,
        BranchKind::Route,
        label,
        h.name.span(),
        all(),
    ));
    let label = format!("payload does not decode as {message}");
    let waiver = h.waivers.of("invalid_payload");
    let mut decode = entry(
        Site::DecodeError,
        BranchKind::DecodeError,
        label,
        h.message.span(),
        waiver,
    );
    let (krate, m) = (&model.krate, &h.message);
    let any = quote!(<#m as #krate::Message>::ANY_PAYLOAD);
    decode.waived_when = Some((any, "a message without fields: every payload decodes"));
    out.push(decode);
    if let Output::Fallible { span, .. } = &h.output {
        let label = format!("{target} returns Err");
        let waiver = h.waivers.of("handler_error");
        out.push(entry(
            Site::HandlerError,
            BranchKind::HandlerError,
            label,
            *span,
            waiver,
        ));
    }
    for b in &h.body {
        let label = format!("{target}: {}", b.label);
        let waiver = b.waiver.clone().or_else(all);
        out.push(entry(Site::Body(&b.suffix), b.kind, label, b.span, waiver));
    }
    out
}

/// Two different message types may share a wire type (`type = "..."`); the macro cannot see
/// the strings, so a const assertion per pair of handlers compares their wire types, spanned
/// at the later handler's message type and naming both.
fn unique_wire_types(model: &RouteModel) -> TokenStream {
    let krate = &model.krate;
    let handlers = &model.handlers;
    let pairs = handlers
        .iter()
        .enumerate()
        .flat_map(|(i, later)| handlers[..i].iter().map(move |earlier| (earlier, later)));
    let checks = pairs.map(|(earlier, later)| {
        let (a, b) = (wire_type(model, earlier), wire_type(model, later));
        let text = |h: &Handler| h.message.to_token_stream().to_string().replace(' ', "");
        let message = format!(
            "`{}` and `{}` have the same wire type (`Message::TYPE`): one actor cannot route both",
            text(later),
            text(earlier)
        );
        quote_spanned! {later.message.span()=>
            const _: () = ::core::assert!(!#krate::__private::str_eq(#b, #a), #message);
        }
    });
    quote!(#(#checks)*)
}
