//! Entries of the branch tables (`duract::Branch`), with the line of the declaring tokens.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

/// One branch to write into a table.
pub struct BranchTokens {
    /// An expression of type `&'static str`: a literal, or a const concatenation when the
    /// id contains a message's wire type.
    pub id: TokenStream,
    /// The `BranchKind` variant.
    pub kind: &'static str,
    pub label: String,
    /// The tokens that declared the branch: their line is recorded.
    pub span: Span,
    /// Why tests need not reach it (`#[waive("..")]`).
    pub waiver: Option<String>,
}

impl BranchTokens {
    /// `Branch { .. }` as an expression.
    pub fn to_tokens(&self, krate: &syn::Path) -> TokenStream {
        let id = &self.id;
        let kind = format_ident!("{}", self.kind);
        let label = &self.label;
        let line = line_of(self.span);
        let waiver = match &self.waiver {
            Some(reason) => quote!(::core::option::Option::Some(#reason)),
            None => quote!(::core::option::Option::None),
        };
        quote! {
            #krate::Branch {
                id: #id,
                kind: #krate::BranchKind::#kind,
                label: #label,
                file: ::core::file!(),
                line: #line,
                waiver: #waiver,
            }
        }
    }
}

/// A string literal expression.
pub fn literal(text: String) -> TokenStream {
    let lit = LitStr::new(&text, Span::call_site());
    quote!(#lit)
}

/// The 1-based line of `span` (stable since Rust 1.88 through proc-macro2's
/// `span-locations`; 0 if the compiler cannot tell).
pub fn line_of(span: Span) -> u32 {
    u32::try_from(span.start().line).unwrap_or(0)
}
