//! Reads the handlers of a `#[route]` impl block.
//!
//! A handler is `async fn name(&mut self, ctx: &mut Ctx, msg: M) -> R`, where `R` is the
//! reply (infallible) or `Result<R, E>` with `E: IntoWireError` (recognised by the last path
//! segment `Result` with two arguments). No return type means `()`.
//! Every method is a handler unless marked `#[route(skip)]`; associated consts and types are
//! left alone.

use super::model::{Handler, OnActivate, Output, RouteModel};
use super::waive::Waivers;
use crate::args::{self, Keys};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, ReturnType, Type};

/// The generated branches a handler's `#[waive(key = "..")]` may name.
const HANDLER_WAIVERS: &[&str] = &["invalid_payload", "handler_error"];

/// Why a block gets no dispatch.
pub enum Rejected {
    /// A trait impl: an empty `Routes` for its type keeps `#[actor]` from reporting a missing
    /// `#[route]` on top.
    Fallback(syn::Path),
    /// Generics: no type to implement anything for.
    Nothing,
}

/// Reads the handlers' signatures (bodies are left to [`super::instrument`]); `Err` when the
/// block cannot get a dispatch at all.
pub fn model(
    args: TokenStream,
    item: &mut ItemImpl,
    errors: &mut Errors,
) -> Result<RouteModel, Rejected> {
    let krate = read_args(args, errors);
    if let Some((_, path, _)) = &item.trait_ {
        errors.at(
            path,
            "`#[route]` goes on an inherent `impl` block, not a trait impl",
        );
        return Err(Rejected::Fallback(krate));
    }
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "an actor cannot be generic: `#[route]` needs a concrete type",
        );
        return Err(Rejected::Nothing);
    }
    let methods = read_methods(item, errors);
    let actor_name = match &*item.self_ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .unwrap_or_else(|| item.self_ty.to_token_stream().to_string());
    let unknown_type_waiver =
        super::waive::take_waivers(&mut item.attrs, &["unknown_type"], errors).of("unknown_type");
    Ok(RouteModel {
        krate,
        self_ty: (*item.self_ty).clone(),
        actor_name,
        impl_span: item.impl_token.span,
        handlers: methods.handlers,
        not_handlers: methods.not_handlers,
        on_activate: methods.on_activate,
        migrate: methods.migrate,
        unknown_type_waiver,
    })
}

/// The methods of a `#[route]` block, by role.
#[derive(Default)]
struct Methods {
    handlers: Vec<Handler>,
    not_handlers: Vec<Ident>,
    on_activate: Option<OnActivate>,
    migrate: Option<OnActivate>,
}

/// Reads every method's role: handlers (with their waivers), the hook, and the methods that are
/// neither (already reported).
fn read_methods(item: &mut ItemImpl, errors: &mut Errors) -> Methods {
    let mut found = Methods::default();
    for method in item.items.iter_mut().filter_map(|i| match i {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    }) {
        match take_role(method, errors) {
            Role::Skip => {}
            Role::OnActivate => {
                let hook = on_activate(method, errors);
                if found.on_activate.is_some() && hook.is_some() {
                    let text = "one `#[route(on_activate)]` method per actor";
                    errors.at(&method.sig.ident, text);
                }
                found.on_activate = found.on_activate.take().or(hook);
            }
            Role::Migrate => {
                let hook = migrate(method, errors);
                if found.migrate.is_some() && hook.is_some() {
                    let text = "one `#[route(migrate)]` function per actor";
                    errors.at(&method.sig.ident, text);
                }
                found.migrate = found.migrate.take().or(hook);
                // `async` by contract, like a handler.
                method
                    .attrs
                    .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
            }
            Role::Handler => {
                // Read (and remove) the waivers first, so an invalid handler leaves none behind.
                let waivers =
                    super::waive::take_waivers(&mut method.attrs, HANDLER_WAIVERS, errors);
                match handler(method, errors) {
                    Some(mut handler) => {
                        handler.waivers = waivers;
                        // A handler is `async` by contract, whether or not its body awaits.
                        method
                            .attrs
                            .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
                        found.handlers.push(handler);
                    }
                    None => found.not_handlers.push(method.sig.ident.clone()),
                }
            }
        }
    }
    found
}

fn read_args(args: TokenStream, errors: &mut Errors) -> syn::Path {
    let mut krate = None;
    if let Some(args) = errors.ok(args::parse_args(args)) {
        let mut keys = Keys::new("#[route]", &["crate"]);
        for arg in args {
            if keys.accept(&arg.key, errors).is_some() {
                krate = args::expect_str(arg, errors);
            }
        }
    }
    args::crate_path(krate.as_ref(), errors)
}

/// What a method of a `#[route]` block is.
enum Role {
    Handler,
    /// `#[route(skip)]`: not a handler.
    Skip,
    /// `#[route(on_activate)]`: the activation hook.
    OnActivate,
    /// `#[route(migrate)]`: the migration of an older store.
    Migrate,
}

/// Removes `#[route(..)]` from a method; what it says the method is.
fn take_role(method: &mut ImplItemFn, errors: &mut Errors) -> Role {
    let mut role = Role::Handler;
    method.attrs.retain(|attr| {
        if !attr.path().is_ident("route") {
            return true;
        }
        role = match attr.parse_args::<Ident>() {
            Ok(word) if word == "on_activate" => Role::OnActivate,
            Ok(word) if word == "skip" => Role::Skip,
            Ok(word) if word == "migrate" => Role::Migrate,
            _ => {
                let text = "inside a `#[route]` block, a method takes only `#[route(skip)]` (not \
                            a handler), `#[route(on_activate)]` or `#[route(migrate)]`";
                errors.at(attr, text);
                // A misspelt skip still skips: the method is not also reported as a bad handler.
                Role::Skip
            }
        };
        false
    });
    role
}

/// Reads the activation hook: `async fn name(&mut self, ctx: &mut Ctx)`, returning nothing or
/// `Result<(), E>`.
fn on_activate(method: &ImplItemFn, errors: &mut Errors) -> Option<OnActivate> {
    let sig = &method.sig;
    let shaped = sig.asyncness.is_some()
        && is_mut_self(sig.inputs.first())
        && sig.inputs.len() == 2
        && sig.generics.params.is_empty();
    if !shaped {
        let name = &sig.ident;
        let text =
            format!("`#[route(on_activate)]` takes `async fn {name}(&mut self, ctx: &mut Ctx)`");
        errors.at(name, text);
        return None;
    }
    Some(hook(sig))
}

/// Reads the migration hook: `async fn name(from: u32, store: &mut Migration<'_>)`, returning
/// nothing or `Result<(), E>`.
fn migrate(method: &ImplItemFn, errors: &mut Errors) -> Option<OnActivate> {
    let sig = &method.sig;
    let shaped = sig.asyncness.is_some()
        && sig.inputs.len() == 2
        && sig.inputs.iter().all(|a| matches!(a, FnArg::Typed(_)))
        && sig
            .generics
            .params
            .iter()
            .all(|p| matches!(p, syn::GenericParam::Lifetime(_)));
    if !shaped {
        let name = &sig.ident;
        let text = format!(
            "`#[route(migrate)]` takes `async fn {name}(from: u32, store: &mut Migration<'_>)` \
             (no `self`: it runs before the state loads)"
        );
        errors.at(name, text);
        return None;
    }
    Some(hook(sig))
}

/// A hook read from its signature: its name, and its error type when it returns a `Result`.
fn hook(sig: &syn::Signature) -> OnActivate {
    let err = match output(&sig.output) {
        Output::Fallible { err, .. } => Some(err),
        Output::Reply(_) => None,
    };
    OnActivate {
        name: sig.ident.clone(),
        err,
    }
}

/// Whether `arg` is `&mut self`.
fn is_mut_self(arg: Option<&FnArg>) -> bool {
    matches!(arg, Some(FnArg::Receiver(r))
        if r.reference.is_some() && r.mutability.is_some() && r.colon_token.is_none())
}

/// Reads one handler's signature, recording every mistake. A method with nothing of a handler
/// (not `async`, not `(&mut self, ctx, msg)`) is one mistake: a helper without `#[route(skip)]`.
fn handler(method: &ImplItemFn, errors: &mut Errors) -> Option<Handler> {
    let sig = &method.sig;
    let shaped = is_mut_self(sig.inputs.first()) && sig.inputs.len() == 3;
    if sig.asyncness.is_none() && !shaped {
        let name = &sig.ident;
        let text = format!(
            "`{name}` is not a handler: mark it `#[route(skip)]`, or make it \
             `async fn {name}(&mut self, ctx: &mut Ctx, msg: M)`"
        );
        errors.at(name, text);
        return None;
    }
    let shape_ok = async_and_concrete(sig, errors);
    let (ctx_ty, message) = arguments(sig, errors)?;
    let by_value = !matches!(message, Type::Reference(_));
    if !by_value {
        errors.at(&message, "a handler takes its message by value: `msg: M`");
    }
    (shape_ok && by_value).then(|| Handler {
        name: sig.ident.clone(),
        message,
        ctx_ty,
        output: output(&sig.output),
        body: Vec::new(),
        waivers: Waivers::default(),
    })
}

/// `async`, and no generics; false (reported) otherwise.
fn async_and_concrete(sig: &syn::Signature, errors: &mut Errors) -> bool {
    let name = &sig.ident;
    if sig.asyncness.is_none() {
        let text = format!("handler `{name}` must be an `async fn` (or mark it `#[route(skip)]`)");
        errors.at(sig.fn_token, text);
    }
    if !sig.generics.params.is_empty() {
        let text = "a handler cannot be generic: its message type picks its route";
        errors.at(&sig.generics, text);
    }
    sig.asyncness.is_some() && sig.generics.params.is_empty()
}

/// The types of `ctx` and `msg` in `(&mut self, ctx, msg)`; `None` (reported) otherwise.
fn arguments(sig: &syn::Signature, errors: &mut Errors) -> Option<(Type, Type)> {
    let name = &sig.ident;
    let Some(first) = sig.inputs.first() else {
        let text = format!("handler `{name}` must take `(&mut self, ctx: &mut Ctx, msg: M)`");
        errors.at(name, text);
        return None;
    };
    let mut_self = is_mut_self(Some(first));
    if !mut_self {
        errors.at(
            first,
            format!("handler `{name}` must take `&mut self` first"),
        );
    }
    if sig.inputs.len() != 3 {
        let found = sig.inputs.len();
        let text = format!(
            "handler `{name}` takes 3 arguments `(&mut self, ctx: &mut Ctx, msg: M)`, found {found}"
        );
        errors.span(sig.paren_token.span.join(), text);
        return None;
    }
    let ctx_ty = typed(&sig.inputs[1])?;
    let message = typed(&sig.inputs[2])?;
    mut_self.then_some((ctx_ty, message))
}

fn typed(arg: &FnArg) -> Option<Type> {
    match arg {
        FnArg::Typed(t) => Some((*t.ty).clone()),
        FnArg::Receiver(_) => None,
    }
}

fn output(ret: &ReturnType) -> Output {
    let ty = match ret {
        ReturnType::Default => return Output::Reply(Box::new(syn::parse_quote!(()))),
        ReturnType::Type(_, ty) => ty,
    };
    if let Type::Path(path) = &**ty {
        if let Some(last) = path.path.segments.last() {
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let types: Vec<&Type> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                if last.ident == "Result" && types.len() == 2 {
                    return Output::Fallible {
                        ok: Box::new(types[0].clone()),
                        err: Box::new(types[1].clone()),
                        span: ty.span(),
                    };
                }
            }
        }
    }
    Output::Reply(ty.clone())
}
