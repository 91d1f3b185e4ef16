//! The rules of `#[message]` and `#[payload]`, each mistake reported at its tokens.

use super::model::MessageModel;
use crate::errors::Errors;
use syn::{Data, DeriveInput, LitStr};

/// Records every broken rule; a broken wire type falls back to the default so the expansion
/// stays valid (one mistake, one error).
pub fn check(model: &mut MessageModel, item: &DeriveInput, errors: &mut Errors) {
    if let Data::Union(u) = &item.data {
        let text = "`#[message]` and `#[payload]` go on a struct or an enum";
        errors.at(u.union_token, text);
    }
    if model.wire_type.value().is_empty() {
        errors.at(
            &model.wire_type,
            "the wire type of a message cannot be empty",
        );
        let default = crate::case::snake_case(&item.ident.to_string());
        model.wire_type = LitStr::new(&default, item.ident.span());
    }
}
