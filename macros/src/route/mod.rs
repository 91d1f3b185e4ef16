//! `#[route]` on an actor's inherent `impl` block: every `async fn` becomes a dispatch arm
//! keyed by its message's wire type (methods marked `#[route(skip)]` are left alone).
//!
//! Pipeline, as for every macro here: [`parse`] reads the handlers' signatures into
//! [`parse::RouteModel`] (every signature mistake collected, spanned at the offending tokens),
//! [`check`] applies the rules across handlers, [`instrument`] reads the branches of the
//! bodies (and records hits in checklist builds), [`expand`] writes `Handles<M>` impls, the
//! route and branch tables, the dispatch, and const assertions that no two handlers take
//! messages with the same wire type.

mod check;
mod expand;
mod instrument;
mod model;
mod parse;
mod waive;

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// Expands `#[route(args)]` on `item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Impl(item)) => item,
        _ => {
            errors.at(
                &item,
                "`#[route]` goes on an actor's inherent `impl` block: `#[route] impl MyActor { .. }`",
            );
            let errors = errors.into_tokens();
            return quote!(#item #errors);
        }
    };
    let generated = match parse::model(args, &mut item, &mut errors) {
        Ok(mut model) => {
            check::check(&mut model, &mut errors);
            instrument::instrument(&mut model, &mut item, &mut errors);
            expand::expand(&model)
        }
        Err(parse::Rejected::Fallback(krate)) => expand::fallback(&krate, &item.self_ty),
        Err(parse::Rejected::Nothing) => TokenStream::new(),
    };
    let errors = errors.into_tokens();
    quote!(#item #generated #errors)
}
