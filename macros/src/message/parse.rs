//! Reads `#[message(type = "...", internal, crate = "...")]` into a model.

use super::model::MessageModel;
use super::Which;
use crate::args::{self, Keys};
use crate::case::snake_case;
use crate::errors::Errors;
use proc_macro2::TokenStream;
use syn::{Data, DeriveInput, Fields, LitStr};

/// Builds the model, recording every mistake in `errors`.
pub fn model(
    which: Which,
    args: TokenStream,
    item: &DeriveInput,
    errors: &mut Errors,
) -> MessageModel {
    let mut model = MessageModel {
        which,
        krate: syn::parse_quote!(::duract),
        wire_type: LitStr::new(&snake_case(&item.ident.to_string()), item.ident.span()),
        internal: false,
        rename_all: !attr_has_key(item, "serde", "rename_all"),
        rename_all_fields: matches!(item.data, Data::Enum(_))
            && !attr_has_key(item, "serde", "rename_all_fields"),
        fieldless: fieldless(item),
    };
    let Some(args) = errors.ok(args::parse_args(args)) else {
        return model;
    };
    let (what, allowed): (_, &'static [&'static str]) = match which {
        Which::Message => ("#[message]", &["type", "internal", "crate"]),
        Which::Payload => ("#[payload]", &["crate"]),
    };
    let mut keys = Keys::new(what, allowed);
    let mut krate = None;
    for arg in args {
        if which == Which::Message && arg.key == "reply" {
            let removed = "the reply type is the handler's return type: remove `reply = ..` \
                           (a handler returning `R` or `Result<R, E>` replies `R`)";
            errors.at(&arg.key, removed);
            continue;
        }
        match keys.accept(&arg.key, errors).as_deref() {
            Some("type") => {
                if let Some(lit) = args::expect_str(arg, errors) {
                    model.wire_type = lit;
                }
            }
            Some("internal") => model.internal = args::expect_flag(arg, errors),
            Some("crate") => krate = args::expect_str(arg, errors),
            _ => {}
        }
    }
    model.krate = args::crate_path(krate.as_ref(), errors);
    model
}

/// The constructor of a struct without fields (and without generics).
fn fieldless(item: &DeriveInput) -> Option<proc_macro2::TokenStream> {
    let ident = &item.ident;
    match &item.data {
        Data::Struct(s) if s.fields.is_empty() && item.generics.params.is_empty() => {
            Some(match s.fields {
                Fields::Unit => quote::quote!(#ident),
                Fields::Named(_) => quote::quote!(#ident {}),
                Fields::Unnamed(_) => quote::quote!(#ident()),
            })
        }
        _ => None,
    }
}

/// Whether the item has `#[<attr>(.. <key> ..)]` at the top level of its arguments.
pub(super) fn attr_has_key(item: &DeriveInput, attr: &str, key: &str) -> bool {
    item.attrs
        .iter()
        .filter(|a| a.path().is_ident(attr))
        .any(|a| match &a.meta {
            syn::Meta::List(list) => list
                .tokens
                .clone()
                .into_iter()
                .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == key)),
            _ => false,
        })
}
