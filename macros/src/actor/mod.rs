//! `#[actor]`: the `Actor` impl of a struct: its static description, per-field persistence,
//! and dispatch through what `#[route]` wrote; or, with `gateway(...)`, a gateway's routing
//! table.
//!
//! Pipeline: [`parse`] (arguments and fields into [`model::ActorModel`]), [`check`]
//! (rules across several attributes), [`expand`] / [`gateway`] (code). Every mistake is
//! collected; the struct is always emitted (without the `#[persist]` helper attributes).

mod check;
mod expand;
mod gateway;
mod model;
mod parse;

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// Expands `#[actor(args)]` on `item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item = match parse::item(item, &mut errors) {
        Ok(item) => item,
        Err(original) => {
            let errors = errors.into_tokens();
            return quote!(#original #errors);
        }
    };
    let model = parse::model(args, &mut item, &mut errors);
    let generated = match &model {
        Some(model) => {
            check::check(model, &item, &mut errors);
            expand::expand(model)
        }
        None => TokenStream::new(),
    };
    let errors = errors.into_tokens();
    quote!(#item #generated #errors)
}
