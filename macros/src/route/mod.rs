//! `#[route]` on an actor's inherent `impl` block: every `async fn` becomes a dispatch arm
//! keyed by its message's wire type (methods marked `#[route(skip)]` are left alone).
//!
//! Pipeline: [`parse`] reads the handlers' signatures into [`parse::RouteModel`] (every
//! signature mistake collected, spanned at the offending tokens), [`expand`] writes
//! `Handles<M>` impls, the route and branch tables, the dispatch, and const assertions that
//! no two handlers take messages with the same wire type.

mod body;
mod expand;
mod parse;

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
        Ok(model) => expand::expand(&model),
        Err(fallback) => fallback,
    };
    let errors = errors.into_tokens();
    quote!(#item #generated #errors)
}
