//! The rules of `#[actor]` that span several attributes or need the values, in one place.

use super::model::{ActorModel, GatewayModel, Persist};
use crate::case::{address_problem, is_valid_kind};
use crate::errors::Errors;
use quote::ToTokens;
use syn::{Fields, ItemStruct, LitStr};

/// Records every broken rule.
pub fn check(model: &ActorModel, item: &ItemStruct, errors: &mut Errors) {
    // The kind is the first half of every address of this actor: the protocol's kind rule.
    check_kind(&model.kind, "actor kind", errors);
    // The class name becomes a Rust (and JavaScript) identifier in the Durable Object glue.
    if syn::parse_str::<syn::Ident>(&model.class.value()).is_err() {
        errors.at(
            &model.class,
            "the Durable Object class must be an identifier, e.g. `CoordinatorActor`",
        );
    }
    if model.binding.value().is_empty() {
        errors.at(&model.binding, "the Durable Object binding cannot be empty");
    }
    if let Some(gateway) = &model.gateway {
        check_gateway(gateway, item, errors);
        if let Some((_, lit)) = &model.version {
            errors.at(lit, "a gateway holds no state: it has no version");
        }
    }
    check_renames(model, errors);
}

/// `renamed_from = "old"`: a field name that no other field has or had.
fn check_renames(model: &ActorModel, errors: &mut Errors) {
    let mut old_names: Vec<String> = Vec::new();
    for field in &model.fields {
        let Some(old) = &field.renamed_from else {
            continue;
        };
        let name = old.value();
        let problem = if field.persist == Persist::Skip {
            Some(
                "a `#[persist(skip)]` field is not stored: it has no stored name to read"
                    .to_owned(),
            )
        } else if syn::parse_str::<syn::Ident>(&name).is_err() {
            Some(format!(
                "`{name}` is not a field name: `renamed_from` takes the field's old name"
            ))
        } else if field.ident == name {
            Some(format!("`{name}` is this field's own name"))
        } else if model.fields.iter().any(|f| f.ident == name) {
            Some(format!(
                "`{name}` is the name of another field, stored under its own key"
            ))
        } else if old_names.contains(&name) {
            Some(format!("two fields are renamed from `{name}`"))
        } else {
            None
        };
        match problem {
            Some(text) => errors.at(old, text),
            None => old_names.push(name),
        }
    }
}

fn check_kind(kind: &LitStr, what: &str, errors: &mut Errors) {
    if !is_valid_kind(&kind.value()) {
        errors.at(
            kind,
            format!("invalid {what} `{}`: a kind matches [a-z][a-z0-9_-]* (set it with `kind = \"...\"`)", kind.value()),
        );
    }
}

fn check_gateway(gateway: &GatewayModel, item: &ItemStruct, errors: &mut Errors) {
    // A gateway is a stateless router: its frames do not take the turn gate, so it must not
    // hold state that turns would race on.
    if let Fields::Named(fields) = &item.fields {
        if let Some(field) = fields.named.first() {
            errors.at(
                field,
                "a gateway holds no state: declare it as a unit struct (`pub struct Session;`)",
            );
        }
    }
    // One route per kind: a second would never be taken.
    let mut kinds: Vec<String> = Vec::new();
    for forward in &gateway.forwards {
        let kind = forward.kind.value();
        check_kind(&forward.kind, "forward kind", errors);
        if kinds.contains(&kind) {
            errors.at(&forward.kind, format!("two routes for kind `{kind}`"));
        }
        kinds.push(kind);
    }
    // Reply addresses are parsed by the runtime without a fallback: check them here.
    for to in gateway
        .replies
        .iter()
        .map(|r| &r.to)
        .chain([&gateway.default_reply_to])
    {
        if let Some(problem) = address_problem(&to.value()) {
            errors.at(
                to,
                format!("invalid reply address `{}`: {problem}", to.value()),
            );
        }
    }
    // One reply address per message type.
    let mut messages: Vec<String> = Vec::new();
    for reply in &gateway.replies {
        let name = reply.message.to_token_stream().to_string();
        if messages.contains(&name) {
            errors.at(&reply.message, format!("`{name}` has two reply addresses"));
        }
        messages.push(name);
    }
}
