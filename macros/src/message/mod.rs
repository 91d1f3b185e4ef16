//! `#[message]` and `#[payload]`: serde glue, and for messages the `Message` impl.
//!
//! Pipeline, as for every macro here: [`parse`] reads the arguments and the item into a
//! [`model::MessageModel`], [`check`] applies the rules (collecting every mistake), [`expand`]
//! writes the derives and the impls. On error the item is still emitted with its best-effort
//! impls, so one mistake does not cascade.

mod check;
mod expand;
mod model;
mod parse;

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// Which of the two macros runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `#[message]`: serde glue and `impl Message`.
    Message,
    /// `#[payload]`: serde glue only.
    Payload,
}

/// Expands `#[message(args)]` or `#[payload(args)]` on `item`.
pub fn expand(which: Which, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let item = match syn::parse2::<syn::DeriveInput>(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            errors.at(
                &item,
                "`#[message]` and `#[payload]` go on a struct or an enum",
            );
            let errors = errors.into_tokens();
            return quote!(#item #errors);
        }
    };
    let mut model = parse::model(which, args, &item, &mut errors);
    check::check(&mut model, &item, &mut errors);
    let generated = expand::expand(&model, &item);
    let errors = errors.into_tokens();
    quote!(#generated #errors)
}
