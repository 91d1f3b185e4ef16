//! Who caused a turn: the principal and tenant a gateway's authentication established.
//!
//! A gateway attaches the [`Principal`] of its connection to every envelope it forwards, and
//! every envelope a turn sends inherits the principal of the envelope that caused the turn, so
//! the principal travels with all the work a client causes. Clients cannot set it: the fields
//! a client frame carries are never read for it ([`crate::Envelope::decode`]).
//!
//! Tenants scope instances: the actor `coordinator:main` of tenant `a` runs in the instance
//! named [`scoped_name`]`(Some("a"), "main")`, a different Durable Object (with its own
//! storage) from tenant `b`'s. Addresses stay as the client wrote them; only the instance
//! behind an address depends on the tenant.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// An authenticated client: who it is and which tenant's actors it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The principal's id (a JWT's `sub`).
    #[serde(rename = "sub")]
    pub subject: String,
    /// The tenant whose actors it reaches (a JWT's `tenant`, or `sub` when absent).
    pub tenant: String,
}

impl Principal {
    /// A principal of `tenant`.
    pub fn new(subject: impl Into<String>, tenant: impl Into<String>) -> Principal {
        Principal {
            subject: subject.into(),
            tenant: tenant.into(),
        }
    }

    /// What scopes the instances it reaches: its tenant, or for a gateway (its own
    /// sessions) the principal itself.
    pub fn scope(&self, gateway: bool) -> &str {
        if gateway {
            &self.subject
        } else {
            &self.tenant
        }
    }
}

/// The instance name of `id` inside `scope` (a tenant for actors, a principal for sessions):
/// `<scope length>:<scope>/<id>`, length-prefixed so that no two (scope, id) pairs share a name.
/// Without a scope, the id itself.
pub fn scoped_name<'a>(scope: Option<&str>, id: &'a str) -> Cow<'a, str> {
    match scope {
        None => Cow::Borrowed(id),
        Some(scope) => Cow::Owned(format!("{}:{scope}/{id}", scope.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_names_never_collide() {
        assert_eq!(scoped_name(None, "main"), "main");
        assert_eq!(scoped_name(Some("a"), "main"), "1:a/main");
        // The same text split differently gives different names.
        assert_ne!(scoped_name(Some("a/b"), "c"), scoped_name(Some("a"), "b/c"));
    }
}
