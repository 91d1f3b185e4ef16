//! `#[waive(..)]` attributes: why tests need not reach a branch, read (and removed) from a
//! handler, an impl block or a branch inside a body.

use crate::errors::Errors;

/// What `#[waive(...)]` on a handler or an impl block says: `#[waive("reason")]` for all of its
/// branches, or `#[waive(key = "reason", ...)]` for generated branches one by one.
#[derive(Default)]
pub struct Waivers {
    /// `#[waive("reason")]`: every branch.
    pub all: Option<String>,
    /// `key = "reason"` pairs, keys checked against the caller's list.
    pub keyed: Vec<(String, String)>,
}

impl Waivers {
    /// The waiver of the generated branch `key`: its own, else the blanket one.
    pub fn of(&self, key: &str) -> Option<String> {
        self.keyed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
            .or_else(|| self.all.clone())
    }
}

/// Removes `#[waive(..)]` from `attrs`: a blanket reason, or reasons keyed by the generated
/// branches in `keys` (e.g. `invalid_payload`, `handler_error`).
pub fn take_waivers(
    attrs: &mut Vec<syn::Attribute>,
    keys: &[&str],
    errors: &mut Errors,
) -> Waivers {
    let mut waivers = Waivers::default();
    attrs.retain(|attr| {
        if !attr.path().is_ident("waive") {
            return true;
        }
        if let Ok(reason) = attr.parse_args::<syn::LitStr>() {
            match reason.value().trim().is_empty() {
                false => waivers.all = Some(reason.value()),
                true => errors.at(
                    attr,
                    "a waiver needs its reason: `#[waive(\"why tests need not reach this\")]`",
                ),
            }
            return false;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if !keys.contains(&key.as_str()) {
                return Err(meta.error(format!(
                    "unknown waiver key; expected a reason string or one of: {}",
                    keys.join(", ")
                )));
            }
            let reason: syn::LitStr = meta.value()?.parse()?;
            if reason.value().trim().is_empty() {
                return Err(syn::Error::new(reason.span(), "a waiver needs its reason"));
            }
            waivers.keyed.push((key, reason.value()));
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
        false
    });
    waivers
}

/// Removes `#[waive("reason")]` from `attrs`; its reason.
pub fn take_waiver(attrs: &mut Vec<syn::Attribute>, errors: &mut Errors) -> Option<String> {
    let mut waiver = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident("waive") {
            return true;
        }
        match attr.parse_args::<syn::LitStr>() {
            Ok(reason) if !reason.value().trim().is_empty() => waiver = Some(reason.value()),
            _ => errors.at(
                attr,
                "a waiver needs its reason: `#[waive(\"why tests need not reach this\")]`",
            ),
        }
        false
    });
    waiver
}
