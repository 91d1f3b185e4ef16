//! Declared limits: every input a client controls is bounded by a [`Limit`], a configuration
//! variable with a default, read through the host's [`Port`](crate::Port::limit).
//!
//! The gateway's limits are declared here ([`MAX_FRAME_BYTES`], [`MAX_INFLIGHT`],
//! [`MAX_ID_BYTES`], [`MAX_SESSION_NAME_BYTES`]); an actor declares its own the same way and
//! reads them with [`Ctx::limit`](crate::Ctx::limit):
//!
//! ```
//! use duract::Limit;
//! /// Registered workers per coordinator.
//! pub const MAX_WORKERS: Limit = Limit::new("MAX_WORKERS", 10_000);
//! ```

use crate::error::Error;

/// A limit: the variable that sets it and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The configuration variable (wrangler.toml `[vars]`, `Host::var` natively).
    pub var: &'static str,
    /// The value when the variable is unset or not a positive integer.
    pub default: u64,
}

/// A frame's size in UTF-8 bytes; larger frames get `too_large`.
pub const MAX_FRAME_BYTES: Limit = Limit::new("MAX_FRAME_BYTES", 1_048_576);
/// Requests of one socket awaiting their replies; one more gets `overloaded`.
pub const MAX_INFLIGHT: Limit = Limit::new("MAX_INFLIGHT", 64);
/// An id's UTF-8 bytes: the id part of `to` (else `invalid_address`) and the ids in payloads
/// (checked by handlers with [`Ctx::check_id`](crate::Ctx::check_id), else `invalid_payload`).
pub const MAX_ID_BYTES: Limit = Limit::new("MAX_ID_BYTES", 256);
/// A session name's (or `userId`'s) UTF-8 bytes at the upgrade; longer gets HTTP 400.
pub const MAX_SESSION_NAME_BYTES: Limit = Limit::new("MAX_SESSION_NAME_BYTES", 128);
/// How long an `ask` waits for its reply, in ms (virtual time on the native host); then it
/// fails with `timeout`. The same default on both hosts.
pub const ASK_TIMEOUT_MS: Limit = Limit::new("ASK_TIMEOUT_MS", 10_000);

impl Limit {
    /// The limit set by `var`, `default` when unset.
    pub const fn new(var: &'static str, default: u64) -> Limit {
        Limit { var, default }
    }

    /// The limit a variable's value sets (`None`: unset).
    pub fn parse(&self, value: Option<&str>) -> u64 {
        value
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(self.default)
    }
}

/// `Ok` when `id` fits in `limit` bytes, else `invalid_payload` naming `field`.
pub fn check_id(field: &str, id: &str, limit: u64) -> Result<(), Error> {
    if id.len() as u64 <= limit {
        return Ok(());
    }
    Err(Error::InvalidPayload {
        reason: format!("{field} is longer than {limit} bytes"),
    })
}

/// Whether `name` may name a session: at most `limit` UTF-8 bytes, no control character
/// (U+0000 to U+001F, U+007F).
pub fn is_valid_session_name(name: &str, limit: u64) -> bool {
    name.len() as u64 <= limit && !name.chars().any(|c| c <= '\u{1f}' || c == '\u{7f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_reads_a_positive_integer_or_falls_back() {
        assert_eq!(MAX_INFLIGHT.parse(None), 64);
        assert_eq!(MAX_INFLIGHT.parse(Some(" 3 ")), 3);
        for bad in ["0", "-1", "x", "1.5", ""] {
            assert_eq!(MAX_INFLIGHT.parse(Some(bad)), 64, "{bad}");
        }
    }

    #[test]
    fn ids_and_session_names_are_bounded_in_bytes() {
        assert!(check_id("taskId", &"a".repeat(256), 256).is_ok());
        let long = check_id("taskId", &"é".repeat(129), 256).unwrap_err();
        assert_eq!(long.code(), "invalid_payload");
        assert!(long.to_string().contains("taskId"));
        assert!(is_valid_session_name(&"s".repeat(128), 128));
        assert!(!is_valid_session_name(&"s".repeat(129), 128));
        assert!(!is_valid_session_name(&"€".repeat(43), 128)); // 129 bytes
        for bad in ["a\rb", "a\nb", "\0", "x\u{7f}", "tab\t"] {
            assert!(!is_valid_session_name(bad, 128), "{bad:?}");
        }
        assert!(is_valid_session_name("user:bob é", 128));
    }
}
