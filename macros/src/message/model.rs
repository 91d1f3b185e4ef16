//! The model of `#[message]` / `#[payload]`.

use super::Which;
use syn::LitStr;

/// What `#[message]` / `#[payload]` generate from.
pub struct MessageModel {
    pub which: Which,
    pub krate: syn::Path,
    /// The wire type name.
    pub wire_type: LitStr,
    pub internal: bool,
    /// Whether to add `#[serde(rename_all = "camelCase")]` (the user did not set it).
    pub rename_all: bool,
    /// Whether to add `#[serde(rename_all_fields = "camelCase")]` (enums).
    pub rename_all_fields: bool,
    /// A struct without fields: its payload is ignored when decoding. The value's
    /// constructor (`X`, `X {}` or `X()`).
    pub fieldless: Option<proc_macro2::TokenStream>,
}
