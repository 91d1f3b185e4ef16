//! A client's upgrade to a gateway, before any socket exists: which session instance `GET /ws`
//! names, whether that name is acceptable, and who the client is. Pure logic: the Durable
//! Object entry (`duract::durable::gateway_entry`) applies it, native tests check it.
//!
//! The rules of protocol.md: `userId=<u>` selects the instance `user:<u>` and wins over
//! `session=<name>`; an empty value counts as absent; the first occurrence of a parameter
//! counts; with neither, the entry draws a random name. Each given name is at most
//! [`MAX_SESSION_NAME_BYTES`](crate::MAX_SESSION_NAME_BYTES) UTF-8 bytes with no control
//! character, else HTTP 400 `Invalid session name`. With authentication on, a missing,
//! malformed, badly signed or expired token is HTTP 401 `Unauthorized`, checked first.

use crate::limit::is_valid_session_name;
use crate::principal::Principal;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Why an upgrade is refused, before any socket is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No valid token while authentication is on: HTTP 401 `Unauthorized`.
    Unauthorized,
    /// A session name or `userId` too long or with a control character: HTTP 400.
    InvalidSessionName,
}

impl Refusal {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Refusal::Unauthorized => 401,
            Refusal::InvalidSessionName => 400,
        }
    }

    /// The response body.
    pub fn body(self) -> &'static str {
        match self {
            Refusal::Unauthorized => "Unauthorized",
            Refusal::InvalidSessionName => "Invalid session name",
        }
    }
}

/// The instance name the query selects (`None`: draw a random one), or why none may be used.
///
/// `pairs` are the decoded query pairs in order (`url.query_pairs()`); `limit` is the most
/// UTF-8 bytes of a given name.
pub fn session_name<K, V, I>(pairs: I, limit: u64) -> Result<Option<String>, Refusal>
where
    K: AsRef<str>,
    V: AsRef<str>,
    I: IntoIterator<Item = (K, V)>,
{
    let mut user: Option<String> = None;
    let mut session: Option<String> = None;
    for (key, value) in pairs {
        match key.as_ref() {
            "userId" if user.is_none() => user = Some(value.as_ref().to_owned()),
            "session" if session.is_none() => session = Some(value.as_ref().to_owned()),
            _ => {}
        }
    }
    let user = user.filter(|u| !u.is_empty());
    let session = session.filter(|s| !s.is_empty());
    for name in user.iter().chain(session.iter()) {
        if !is_valid_session_name(name, limit) {
            return Err(Refusal::InvalidSessionName);
        }
    }
    Ok(user.map(|u| format!("user:{u}")).or(session))
}

/// A random session name: 32 lowercase hex digits from 16 random bytes.
pub fn random_name(bytes: [u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token of an upgrade: the first `token` query parameter, else the `Authorization:
/// Bearer` header's.
pub fn bearer_token<'a>(query_token: Option<&'a str>, authorization: Option<&'a str>) -> &'a str {
    match query_token.filter(|t| !t.is_empty()) {
        Some(token) => token,
        None => authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map_or("", str::trim),
    }
}

/// The principal of a JWT signed with HS256 and `secret` whose `sub` is a non-empty string
/// and whose `exp` (seconds since the epoch) is after `now_ms`; its tenant is the `tenant`
/// claim, or `sub` when that is absent or empty. Anything else is [`Refusal::Unauthorized`].
pub fn verify_hs256(token: &str, secret: &[u8], now_ms: f64) -> Result<Principal, Refusal> {
    let (signed, signature) = token.rsplit_once('.').ok_or(Refusal::Unauthorized)?;
    let Some((header, claims)) = signed.split_once('.').filter(|(_, c)| !c.contains('.')) else {
        return Err(Refusal::Unauthorized);
    };
    let header: Header = decode_part(header)?;
    if header.alg != "HS256" {
        return Err(Refusal::Unauthorized);
    }
    let signature = BASE64URL
        .decode(signature)
        .map_err(|_| Refusal::Unauthorized)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| Refusal::Unauthorized)?;
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| Refusal::Unauthorized)?;
    let claims: Claims = decode_part(claims)?;
    let subject = claims.sub.filter(|s| !s.is_empty());
    let (Some(subject), Some(exp)) = (subject, claims.exp) else {
        return Err(Refusal::Unauthorized);
    };
    if !exp.is_finite() || exp * 1000.0 <= now_ms {
        return Err(Refusal::Unauthorized);
    }
    let tenant = match claims.tenant {
        Some(serde_json::Value::String(tenant)) if !tenant.is_empty() => tenant,
        _ => subject.clone(),
    };
    Ok(Principal::new(subject, tenant))
}

/// Signs `claims` (a JSON object) as an HS256 JWT: for tests and development tools.
pub fn sign_hs256(claims: &serde_json::Value, secret: &[u8]) -> String {
    let header = BASE64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = BASE64URL.encode(claims.to_string());
    let signed = format!("{header}.{body}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    let signature = BASE64URL.encode(mac.finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// Unpadded base64url, as JWTs use; padding is tolerated when decoding.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
    /// Any JSON: a tenant that is not a non-empty string counts as absent.
    #[serde(default)]
    tenant: Option<serde_json::Value>,
}

fn decode_part<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, Refusal> {
    let bytes = BASE64URL.decode(part).map_err(|_| Refusal::Unauthorized)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Unauthorized)
}

/// What the entry tells a gateway instance about the upgrade it forwards: the session name
/// and the principal. Travels in one header, percent-encoded (header values must be bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The session name (the instance's id).
    pub session: String,
    /// The authenticated principal, when authentication is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Principal>,
}

impl Ticket {
    /// The header value: the ticket's JSON, percent-encoded.
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).expect("a ticket always encodes");
        let mut out = String::with_capacity(json.len());
        for b in json.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The ticket in a header value; `None` when it is not one.
    pub fn decode(value: &str) -> Option<Ticket> {
        let mut bytes = Vec::with_capacity(value.len());
        let mut rest = value.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'%' {
                let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[2..];
            } else {
                bytes.push(b);
                rest = tail;
            }
        }
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_700_000_000_000.0;
    const SECRET: &[u8] = b"s3cret";

    fn token(claims: serde_json::Value) -> String {
        sign_hs256(&claims, SECRET)
    }

    #[test]
    fn a_valid_token_names_its_principal_and_tenant() {
        let t = token(json!({"sub": "alice", "exp": 1_700_000_100, "tenant": "acme"}));
        assert_eq!(
            verify_hs256(&t, SECRET, NOW),
            Ok(Principal::new("alice", "acme"))
        );
        let t = token(json!({"sub": "bob", "exp": 1_700_000_100}));
        assert_eq!(
            verify_hs256(&t, SECRET, NOW),
            Ok(Principal::new("bob", "bob"))
        );
    }

    #[test]
    fn forged_expired_and_malformed_tokens_are_refused() {
        let good = token(json!({"sub": "alice", "exp": 1_700_000_100}));
        let forged = sign_hs256(&json!({"sub": "alice", "exp": 1_700_000_100}), b"other");
        let expired = token(json!({"sub": "alice", "exp": 1_699_999_999}));
        let no_sub = token(json!({"exp": 1_700_000_100}));
        let empty_sub = token(json!({"sub": "", "exp": 1_700_000_100}));
        let no_exp = token(json!({"sub": "alice"}));
        let (head, rest) = good.split_once('.').unwrap();
        let none_alg = format!("{}.{rest}", BASE64URL.encode(br#"{"alg":"none"}"#));
        let tampered = format!("{head}.{}", rest.replacen('e', "f", 1));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            forged.as_str(),
            expired.as_str(),
            no_sub.as_str(),
            empty_sub.as_str(),
            no_exp.as_str(),
            none_alg.as_str(),
            tampered.as_str(),
        ] {
            assert_eq!(
                verify_hs256(bad, SECRET, NOW),
                Err(Refusal::Unauthorized),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_token_comes_from_the_query_or_the_bearer_header() {
        assert_eq!(bearer_token(Some("q"), Some("Bearer h")), "q");
        assert_eq!(bearer_token(None, Some("Bearer h ")), "h");
        assert_eq!(bearer_token(Some(""), Some("Basic x")), "");
    }

    #[test]
    fn session_names_follow_the_protocol() {
        let name = |q: &[(&str, &str)]| session_name(q.iter().copied(), 128);
        assert_eq!(name(&[("session", "s1")]), Ok(Some("s1".into())));
        assert_eq!(
            name(&[("session", "s1"), ("userId", "bob")]),
            Ok(Some("user:bob".into()))
        );
        assert_eq!(
            name(&[("userId", ""), ("session", "s1")]),
            Ok(Some("s1".into()))
        );
        assert_eq!(name(&[("session", ""), ("session", "s2")]), Ok(None));
        assert_eq!(name(&[]), Ok(None));
        let long = "x".repeat(129);
        for bad in [
            [("session", "a\r\nb")],
            [("userId", "x\0")],
            [("session", long.as_str())],
        ] {
            assert_eq!(name(&bad), Err(Refusal::InvalidSessionName), "{bad:?}");
        }
        // `user:` does not count against the limit of the userId itself.
        let max = "u".repeat(128);
        assert_eq!(
            name(&[("userId", max.as_str())]),
            Ok(Some(format!("user:{max}")))
        );
        assert_eq!(random_name([0xab; 16]).len(), 32);
    }

    #[test]
    fn tickets_survive_a_header() {
        let ticket = Ticket {
            session: "s é\r\n:1".into(),
            auth: Some(Principal::new("alice", "acme")),
        };
        let header = ticket.encode();
        assert!(header.bytes().all(|b| b.is_ascii_graphic()));
        assert_eq!(Ticket::decode(&header), Some(ticket));
        assert_eq!(Ticket::decode("%zz"), None);
        assert_eq!(Ticket::decode("%7"), None);
    }
}
