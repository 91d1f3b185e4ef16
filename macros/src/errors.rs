//! Collected user errors: every mistake is a `syn::Error` at the offending tokens, and all of
//! them are reported together (as serde_derive's `Ctxt` does).

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::fmt::Display;

/// The errors found so far in one macro invocation.
#[derive(Default)]
pub struct Errors {
    error: Option<syn::Error>,
}

impl Errors {
    /// No error yet.
    pub fn new() -> Errors {
        Errors::default()
    }

    /// Records `error`.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.error {
            Some(first) => first.combine(error),
            None => self.error = Some(error),
        }
    }

    /// Records `message` at the span of `tokens`.
    pub fn at<T: ToTokens>(&mut self, tokens: T, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records `message` at `span`.
    pub fn span(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// The `compile_error!`s of every recorded error (nothing when none).
    pub fn into_tokens(self) -> TokenStream {
        self.error.map(|e| e.to_compile_error()).unwrap_or_default()
    }
}
