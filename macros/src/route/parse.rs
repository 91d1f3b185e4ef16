//! Reads the handlers of a `#[route]` impl block.
//!
//! A handler is `async fn name(&mut self, ctx: &mut Ctx, msg: M) -> R`, where `R` is the
//! reply (infallible) or `Result<R, E>` with `E: IntoWireError` (recognised by the last path
//! segment `Result` with two arguments). No return type means `()`.
//! Every method is a handler unless marked `#[route(skip)]`; associated consts and types are
//! left alone.

use crate::args::{self, Keys};
use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, ReturnType, Type};

/// The impl block's handlers.
pub struct RouteModel {
    pub krate: syn::Path,
    /// The actor type.
    pub self_ty: Type,
    /// The actor's name, for labels.
    pub actor_name: String,
    /// The `impl` token: where the dispatch's own branches are declared.
    pub impl_span: Span,
    /// `#[waive(unknown_type = "..")]` on the impl block.
    pub unknown_type_waiver: Option<String>,
    pub handlers: Vec<Handler>,
}

/// The generated branches a handler's `#[waive(key = "..")]` may name.
const HANDLER_WAIVERS: &[&str] = &["invalid_payload", "handler_error"];

/// One handler.
pub struct Handler {
    pub name: Ident,
    /// The message type.
    pub message: Type,
    /// The type of the `ctx` argument as written (for spans).
    pub ctx_ty: Type,
    pub output: Output,
    /// The branches inside its body.
    pub body: Vec<super::body::BodyBranch>,
    /// `#[waive("reason")]` on the method (all its branches), or
    /// `#[waive(invalid_payload = "..", handler_error = "..")]` (those generated branches).
    pub waivers: super::body::Waivers,
}

/// What a handler returns.
pub enum Output {
    /// The reply itself (no return type: `()`).
    Reply(Box<Type>),
    /// `Result<Reply, E>`.
    Fallible {
        ok: Box<Type>,
        err: Box<Type>,
        span: Span,
    },
}

/// Builds the model; `Err` when the block cannot get a dispatch (a trait impl, generics), with
/// the tokens of an empty fallback (so the actor's `#[actor]` does not report a missing
/// `#[route]` on top).
pub fn model(
    args: TokenStream,
    item: &mut ItemImpl,
    errors: &mut Errors,
) -> Result<RouteModel, TokenStream> {
    let krate = read_args(args, errors);
    if let Some((_, path, _)) = &item.trait_ {
        errors.at(
            path,
            "`#[route]` goes on an inherent `impl` block, not a trait impl",
        );
        return Err(super::expand::fallback(&krate, &item.self_ty));
    }
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "an actor cannot be generic: `#[route]` needs a concrete type",
        );
        return Err(TokenStream::new());
    }
    let mut handlers: Vec<Handler> = Vec::new();
    let self_ty = (*item.self_ty).clone();
    for method in item.items.iter_mut().filter_map(|i| match i {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    }) {
        if take_skip(method, errors) {
            continue;
        }
        // Read (and remove) the waivers first, so an invalid handler leaves none behind.
        let waivers = super::body::take_waivers(&mut method.attrs, HANDLER_WAIVERS, errors);
        let Some(mut handler) = handler(method, errors) else {
            super::body::branches(&mut method.block, None, errors);
            continue;
        };
        // Checklist builds record a hit first thing in each branch of the body.
        let message = handler.message.clone();
        let hit = |suffix: &str| super::expand::hit(&krate, &self_ty, &message, suffix);
        let hit = cfg!(feature = "checklist").then_some(&hit as super::body::HitFn<'_>);
        handler.body = super::body::branches(&mut method.block, hit, errors);
        handler.waivers = waivers;
        // A handler is `async` by contract, whether or not its body awaits.
        method
            .attrs
            .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
        // The same type twice would also be two `Handles<M>` impls; say it plainly once.
        let text = handler.message.to_token_stream().to_string();
        if handlers
            .iter()
            .any(|h| h.message.to_token_stream().to_string() == text)
        {
            errors.at(
                &handler.message,
                format!("a second handler for `{text}`: each message type has one handler"),
            );
            continue;
        }
        handlers.push(handler);
    }
    let actor_name = match &*item.self_ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .unwrap_or_else(|| item.self_ty.to_token_stream().to_string());
    let unknown_type_waiver =
        super::body::take_waivers(&mut item.attrs, &["unknown_type"], errors).of("unknown_type");
    Ok(RouteModel {
        krate,
        self_ty: (*item.self_ty).clone(),
        actor_name,
        impl_span: item.impl_token.span,
        handlers,
        unknown_type_waiver,
    })
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

/// Removes `#[route(skip)]` from a method; whether it was there.
fn take_skip(method: &mut ImplItemFn, errors: &mut Errors) -> bool {
    let mut skip = false;
    method.attrs.retain(|attr| {
        if !attr.path().is_ident("route") {
            return true;
        }
        if !matches!(attr.parse_args::<Ident>(), Ok(word) if word == "skip") {
            errors.at(
                attr,
                "inside a `#[route]` block, a method takes only `#[route(skip)]` (not a handler)",
            );
        }
        // A misspelt skip still skips: the method is not also reported as a bad handler.
        skip = true;
        false
    });
    skip
}

/// Reads one handler's signature, recording every mistake.
fn handler(method: &ImplItemFn, errors: &mut Errors) -> Option<Handler> {
    let sig = &method.sig;
    let mut ok = true;
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            format!(
                "handler `{}` must be an `async fn` (or mark it `#[route(skip)]`)",
                sig.ident
            ),
        );
        ok = false;
    }
    if !sig.generics.params.is_empty() {
        errors.at(
            &sig.generics,
            "a handler cannot be generic: its message type picks its route",
        );
        ok = false;
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r))
            if r.reference.is_some() && r.mutability.is_some() && r.colon_token.is_none() => {}
        Some(first) => {
            errors.at(
                first,
                format!("handler `{}` must take `&mut self` first", sig.ident),
            );
            ok = false;
        }
        None => {
            errors.at(
                &sig.ident,
                format!(
                    "handler `{}` must take `(&mut self, ctx: &mut Ctx, msg: M)`",
                    sig.ident
                ),
            );
            return None;
        }
    }
    if sig.inputs.len() != 3 {
        errors.span(
            sig.paren_token.span.join(),
            format!(
                "handler `{}` takes 3 arguments `(&mut self, ctx: &mut Ctx, msg: M)`, found {}",
                sig.ident,
                sig.inputs.len()
            ),
        );
        return None;
    }
    let ctx_ty = typed(&sig.inputs[1])?;
    let message = typed(&sig.inputs[2])?;
    if let Type::Reference(r) = &message {
        errors.at(r, "a handler takes its message by value: `msg: M`");
        ok = false;
    }
    let output = output(&sig.output);
    ok.then(|| Handler {
        name: sig.ident.clone(),
        message,
        ctx_ty,
        output,
        body: Vec::new(),
        waivers: super::body::Waivers::default(),
    })
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
