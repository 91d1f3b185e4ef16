//! Spans for generated code that checks the user's types: every token of a check gets the
//! span of the user's token, so rustc reports a failed bound there (and only there).

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::ToTokens;

/// `tokens` with every span set to `span`.
pub fn respan<T: ToTokens>(tokens: &T, span: Span) -> TokenStream {
    tokens
        .to_token_stream()
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), respan(&g.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
