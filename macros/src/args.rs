//! Attribute arguments shared by the macros: `key`, `key = "text"`, `key = Type`, `key(...)`.
//!
//! Parsing keeps every key's tokens for spans; checking which keys a macro accepts (unknown
//! and duplicate keys) is done by [`Keys`], so all such mistakes are reported together.

use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token, Type};

/// The value of one argument.
pub enum Value {
    /// `key` alone.
    Flag,
    /// `key = "text"`.
    Str(LitStr),
    /// `key = 2`.
    Int(syn::LitInt),
    /// `key = Type` (no macro takes one now; parsed so a mistake is reported at its key).
    Type,
    /// `key(...)`: the tokens inside the parentheses.
    List(TokenStream, Span),
}

/// One argument.
pub struct Arg {
    /// The key (keywords such as `type` and `crate` are accepted as keys).
    pub key: Ident,
    /// Its value.
    pub value: Value,
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Arg> {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if input.peek(LitStr) {
                Value::Str(input.parse()?)
            } else if input.peek(syn::LitInt) {
                Value::Int(input.parse()?)
            } else {
                input.parse::<Type>()?;
                Value::Type
            }
        } else if input.peek(syn::token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            Value::List(content.parse()?, paren.span.join())
        } else {
            Value::Flag
        };
        Ok(Arg { key, value })
    }
}

/// Parses a comma-separated argument list.
pub fn parse_args(tokens: TokenStream) -> syn::Result<Vec<Arg>> {
    let list = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(tokens)?;
    Ok(list.into_iter().collect())
}

/// The keys one macro accepts; reports unknown and repeated keys.
pub struct Keys {
    what: &'static str,
    allowed: &'static [&'static str],
    seen: Vec<String>,
}

impl Keys {
    /// The keys `allowed` in `what` (e.g. `#[message]`).
    pub fn new(what: &'static str, allowed: &'static [&'static str]) -> Keys {
        Keys {
            what,
            allowed,
            seen: Vec::new(),
        }
    }

    /// The key's name when it is allowed and not yet seen; otherwise records the error.
    pub fn accept(&mut self, key: &Ident, errors: &mut Errors) -> Option<String> {
        let name = key.unraw().to_string();
        if !self.allowed.contains(&name.as_str()) {
            let expected = self.allowed.join("`, `");
            errors.at(
                key,
                format!(
                    "unknown key `{name}` in {}; expected one of `{expected}`",
                    self.what
                ),
            );
            return None;
        }
        if self.seen.contains(&name) {
            errors.at(key, format!("duplicate key `{name}` in {}", self.what));
            return None;
        }
        self.seen.push(name.clone());
        Some(name)
    }
}

/// The `"text"` of `key = "text"`, or an error at the value.
pub fn expect_str(arg: Arg, errors: &mut Errors) -> Option<LitStr> {
    match arg.value {
        Value::Str(lit) => Some(lit),
        _ => {
            let key = &arg.key;
            errors.at(key, format!("expected `{key} = \"...\"`"));
            None
        }
    }
}

/// The integer of `key = 2` as a `u32` of at least `min`, or an error at the value (at the key
/// when the value is no integer).
pub fn expect_u32(arg: Arg, min: u32, errors: &mut Errors) -> Option<(u32, syn::LitInt)> {
    let key = &arg.key;
    match &arg.value {
        Value::Int(lit) => match lit.base10_parse::<u32>() {
            Ok(n) if n >= min => Some((n, lit.clone())),
            _ => {
                errors.at(
                    lit,
                    format!("`{key}` is a whole number from {min} to {}", u32::MAX),
                );
                None
            }
        },
        _ => {
            errors.at(
                key,
                format!("expected `{key} = <number>`, as in `{key} = 2`"),
            );
            None
        }
    }
}

/// Checks that `key` is a bare flag.
pub fn expect_flag(arg: Arg, errors: &mut Errors) -> bool {
    match arg.value {
        Value::Flag => true,
        _ => {
            let key = &arg.key;
            errors.at(key, format!("`{key}` takes no value"));
            false
        }
    }
}

/// The tokens of `key(...)`, or an error.
pub fn expect_list(arg: Arg, errors: &mut Errors) -> Option<(TokenStream, Span)> {
    match arg.value {
        Value::List(tokens, span) => Some((tokens, span)),
        _ => {
            let key = &arg.key;
            errors.at(key, format!("expected `{key}(...)`"));
            None
        }
    }
}

/// The runtime crate's path: `::duract` unless `crate = "path"` renames it.
pub fn crate_path(lit: Option<&LitStr>, errors: &mut Errors) -> syn::Path {
    let default = || syn::parse_quote!(::duract);
    match lit {
        None => default(),
        Some(lit) => match lit.parse::<syn::Path>() {
            Ok(path) => path,
            Err(_) => {
                errors.at(lit, "expected a path, as in `crate = \"::duract\"`");
                default()
            }
        },
    }
}

/// The path as text without spaces, for `#[serde(crate = "...")]`.
pub fn path_text(path: &syn::Path) -> String {
    quote!(#path).to_string().replace(' ', "")
}
