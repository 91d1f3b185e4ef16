//! Reads `#[actor(kind = "..", class = "..", binding = "..", gateway(..), crate = "..")]` and
//! the struct's fields (with their `#[persist(..)]` attributes, which are removed) into a model.

use super::gateway;
use super::model::{ActorModel, FieldModel, Persist};
use crate::args::{self, Keys};
use crate::case::{binding_of, snake_case};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use syn::{Fields, ItemStruct, LitStr};

/// The struct `#[actor]` is on, or `None` (with the error recorded) for anything else.
pub fn item(tokens: TokenStream, errors: &mut Errors) -> Result<ItemStruct, TokenStream> {
    match syn::parse2::<syn::Item>(tokens.clone()) {
        Ok(syn::Item::Struct(item)) => Ok(item),
        Ok(syn::Item::Enum(item)) => {
            errors.at(
                item.enum_token,
                "`#[actor]` goes on a struct with named fields (or a unit struct), not an enum",
            );
            Err(tokens)
        }
        _ => {
            errors.at(
                &tokens,
                "`#[actor]` goes on a struct with named fields (or a unit struct)",
            );
            Err(tokens)
        }
    }
}

/// Builds the model; `None` when the struct's shape allows no impl (tuple or generic struct).
pub fn model(args: TokenStream, item: &mut ItemStruct, errors: &mut Errors) -> Option<ActorModel> {
    let fields = fields(item, errors);
    let default_kind = snake_case(&item.ident.to_string());
    let mut model = ActorModel {
        krate: syn::parse_quote!(::duract),
        ident: item.ident.clone(),
        kind: LitStr::new(&default_kind, item.ident.span()),
        class: LitStr::new(&format!("{}Actor", item.ident), item.ident.span()),
        binding: LitStr::new(&binding_of(&default_kind), item.ident.span()),
        fields: fields.unwrap_or_default(),
        gateway: None,
        version: None,
    };
    read_args(args, &mut model, errors);
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "an actor cannot be generic: it is one Durable Object class",
        );
        return None;
    }
    matches!(item.fields, Fields::Named(_) | Fields::Unit).then_some(model)
}

fn read_args(args: TokenStream, model: &mut ActorModel, errors: &mut Errors) {
    let Some(args) = errors.ok(args::parse_args(args)) else {
        return;
    };
    let mut keys = Keys::new(
        "#[actor]",
        &["kind", "class", "binding", "gateway", "version", "crate"],
    );
    let mut krate = None;
    let mut binding = None;
    for arg in args {
        match keys.accept(&arg.key, errors).as_deref() {
            Some("kind") => {
                if let Some(kind) = args::expect_str(arg, errors) {
                    model.kind = kind;
                }
            }
            Some("class") => {
                if let Some(class) = args::expect_str(arg, errors) {
                    model.class = class;
                }
            }
            Some("binding") => binding = args::expect_str(arg, errors),
            Some("gateway") => {
                let span = arg.key.span();
                if let Some((tokens, _)) = args::expect_list(arg, errors) {
                    model.gateway = gateway::parse(tokens, span, errors);
                }
            }
            Some("version") => model.version = args::expect_u32(arg, 1, errors),
            Some("crate") => krate = args::expect_str(arg, errors),
            _ => {}
        }
    }
    model.binding =
        binding.unwrap_or_else(|| LitStr::new(&binding_of(&model.kind.value()), model.kind.span()));
    model.krate = args::crate_path(krate.as_ref(), errors);
}

/// The fields and how each is persisted; removes the `#[persist]` attributes from `item`.
fn fields(item: &mut ItemStruct, errors: &mut Errors) -> Option<Vec<FieldModel>> {
    match &mut item.fields {
        Fields::Unit => Some(Vec::new()),
        Fields::Unnamed(fields) => {
            errors.at(
                &*fields,
                "`#[actor]` needs named fields: each is stored under its name (`f/<field>`)",
            );
            None
        }
        Fields::Named(fields) => Some(
            fields
                .named
                .iter_mut()
                .filter_map(|field| {
                    let (persist, renamed_from) = take_persist(&mut field.attrs, errors);
                    Some(FieldModel {
                        ident: field.ident.clone()?,
                        ty: field.ty.clone(),
                        persist,
                        renamed_from,
                    })
                })
                .collect(),
        ),
    }
}

const PERSIST_EXPECTED: &str =
    "expected `#[persist(entries)]`, `#[persist(skip)]` or `#[persist(renamed_from = \"old\")]`";

/// Removes the field's `#[persist(..)]` attributes and reads them: how the field is stored,
/// and the name it was stored under before.
fn take_persist(attrs: &mut Vec<syn::Attribute>, errors: &mut Errors) -> (Persist, Option<LitStr>) {
    let mut persist = Persist::Plain;
    let mut renamed_from = None;
    let mut seen = false;
    attrs.retain(|attr| {
        if !attr.path().is_ident("persist") {
            return true;
        }
        if seen {
            errors.at(attr, "duplicate `#[persist]` attribute on one field");
            return false;
        }
        seen = true;
        let tokens = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => {
                errors.at(attr, PERSIST_EXPECTED);
                return false;
            }
        };
        let Some(list) = errors.ok(args::parse_args(tokens)) else {
            return false;
        };
        let mut mode: Option<syn::Ident> = None;
        for arg in list {
            let key = arg.key.clone();
            match key.to_string().as_str() {
                "entries" | "skip" => {
                    if !args::expect_flag(arg, errors) {
                        continue;
                    }
                    if let Some(first) = &mode {
                        let text = format!("`{key}` and `{first}` cannot go together");
                        errors.at(&key, text);
                        continue;
                    }
                    persist = if key == "entries" {
                        Persist::Entries
                    } else {
                        Persist::Skip
                    };
                    mode = Some(key);
                }
                "renamed_from" => {
                    if renamed_from.is_some() {
                        errors.at(&key, "duplicate key `renamed_from` in `#[persist(..)]`");
                    } else {
                        renamed_from = args::expect_str(arg, errors);
                    }
                }
                _ => errors.at(
                    &key,
                    format!("unknown `#[persist({key})]`; {PERSIST_EXPECTED}"),
                ),
            }
        }
        false
    });
    (persist, renamed_from)
}
