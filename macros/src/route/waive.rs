//! `#[waive(..)]` attributes: why tests need not reach a branch, read (and removed) from a
//! handler, an impl block or a branch inside a body. A waiver holds on every host, or with
//! `host = "native"` / `host = "workerd"` on that host only (the branch must still be hit on
//! the other): `#[waive(host = "workerd", reason = "..")]`,
//! `#[waive(host = "workerd", invalid_payload = "..")]`.

pub use crate::branch::Waiver;
use crate::errors::Errors;

/// The hosts a waiver may name.
pub const HOSTS: &[&str] = &["native", "workerd"];

/// What `#[waive(...)]` on a handler or an impl block says: `#[waive("reason")]` (or
/// `reason = ".."`) for all of its branches, or `#[waive(key = "reason", ...)]` for generated
/// branches one by one.
#[derive(Default)]
pub struct Waivers {
    /// `#[waive("reason")]`: every branch.
    pub all: Option<Waiver>,
    /// `key = "reason"` pairs, keys checked against the caller's list.
    pub keyed: Vec<(String, Waiver)>,
}

impl Waivers {
    /// The waiver of the generated branch `key`: its own, else the blanket one.
    pub fn of(&self, key: &str) -> Option<Waiver> {
        self.keyed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, w)| w.clone())
            .or_else(|| self.all.clone())
    }
}

/// What one `#[waive(..)]` says: reasons (`None` key: the blanket one) and a host.
struct Parsed {
    reasons: Vec<(Option<String>, String)>,
    host: Option<String>,
}

const NEEDS_REASON: &str =
    "a waiver needs its reason: `#[waive(\"why tests need not reach this\")]`";

/// Parses `attr`: `#[waive("reason")]` or `#[waive(key = "reason", .., host = "..")]` with
/// keys from `keys` or `reason`.
fn parse(attr: &syn::Attribute, keys: &[&str]) -> syn::Result<Parsed> {
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return Err(syn::Error::new_spanned(attr, NEEDS_REASON));
    }
    if let Ok(reason) = attr.parse_args::<syn::LitStr>() {
        if reason.value().trim().is_empty() {
            return Err(syn::Error::new_spanned(attr, NEEDS_REASON));
        }
        return Ok(Parsed {
            reasons: vec![(None, reason.value())],
            host: None,
        });
    }
    let mut parsed = Parsed {
        reasons: Vec::new(),
        host: None,
    };
    attr.parse_nested_meta(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let known = key == "host" || key == "reason" || keys.contains(&key.as_str());
        if !known {
            let mut expected = keys.to_vec();
            expected.extend(["reason", "host"]);
            return Err(meta.error(format!(
                "unknown waiver key; expected a reason string or one of: {}",
                expected.join(", ")
            )));
        }
        let value: syn::LitStr = meta.value()?.parse()?;
        if key == "host" {
            if !HOSTS.contains(&value.value().as_str()) {
                return Err(syn::Error::new(
                    value.span(),
                    format!("unknown host; expected one of: {}", HOSTS.join(", ")),
                ));
            }
            parsed.host = Some(value.value());
        } else if value.value().trim().is_empty() {
            return Err(syn::Error::new(value.span(), "a waiver needs its reason"));
        } else {
            let key = (key != "reason").then_some(key);
            parsed.reasons.push((key, value.value()));
        }
        Ok(())
    })?;
    if parsed.reasons.is_empty() {
        return Err(syn::Error::new_spanned(attr, NEEDS_REASON));
    }
    Ok(parsed)
}

/// Removes `#[waive(..)]` from `attrs`: a blanket reason, or reasons keyed by the generated
/// branches in `keys` (e.g. `invalid_payload`, `handler_error`), each for every host or one.
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
        match parse(attr, keys) {
            Ok(parsed) => {
                for (key, reason) in parsed.reasons {
                    let waiver = Waiver {
                        reason,
                        host: parsed.host.clone(),
                    };
                    match key {
                        Some(key) => waivers.keyed.push((key, waiver)),
                        None => waivers.all = Some(waiver),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
        false
    });
    waivers
}

/// Removes `#[waive("reason")]` (or `#[waive(host = "..", reason = "..")]`) from `attrs`; the
/// waiver.
pub fn take_waiver(attrs: &mut Vec<syn::Attribute>, errors: &mut Errors) -> Option<Waiver> {
    let mut waiver = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident("waive") {
            return true;
        }
        match parse(attr, &[]) {
            Ok(parsed) => {
                waiver = parsed.reasons.into_iter().next().map(|(_, reason)| Waiver {
                    reason,
                    host: parsed.host,
                })
            }
            Err(e) => errors.push(e),
        }
        false
    });
    waiver
}
