//! Procedural macros of duract. Use them through the `duract` crate, which documents them.
use proc_macro::TokenStream;

/// See `duract::message`.
#[proc_macro_attribute]
pub fn message(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// See `duract::actor`.
#[proc_macro_attribute]
pub fn actor(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// See `duract::route`.
#[proc_macro_attribute]
pub fn route(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
