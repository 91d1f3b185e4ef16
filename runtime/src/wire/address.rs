//! Actor addresses: `kind:id`.
//!
//! The rules of the wire protocol: both parts non-empty; `kind` matches `[a-z][a-z0-9_-]*`;
//! `id` is everything after the *first* `:` and may itself contain `:` (`session:user:bob`).

use core::fmt;
use core::str::FromStr;
use std::sync::Arc;

/// An actor's address, `kind:id`, kept as one shared string with the position of the
/// separator: cloning an address (every envelope holds two) allocates nothing.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    text: Arc<str>,
    colon: usize,
}

/// Why a string is not an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// No `:` in the string.
    MissingColon,
    /// Nothing before the first `:`.
    EmptyKind,
    /// Nothing after the first `:`.
    EmptyId,
    /// The kind does not match `[a-z][a-z0-9_-]*`.
    InvalidKind,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressError::MissingColon => "an address is `kind:id`, and this has no `:`",
            AddressError::EmptyKind => "the kind of an address is empty",
            AddressError::EmptyId => "the id of an address is empty",
            AddressError::InvalidKind => "the kind of an address must match [a-z][a-z0-9_-]*",
        })
    }
}

impl std::error::Error for AddressError {}

/// Whether `kind` is a valid address kind: `[a-z][a-z0-9_-]*`.
pub fn is_valid_kind(kind: &str) -> bool {
    let mut bytes = kind.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

impl Address {
    /// Parses `kind:id` by the protocol's rules.
    pub fn parse(text: &str) -> Result<Address, AddressError> {
        let colon = colon_of(text)?;
        Ok(Address {
            text: text.into(),
            colon,
        })
    }

    /// Builds an address from its parts, checking them.
    pub fn new(kind: &str, id: &str) -> Result<Address, AddressError> {
        Address::parse(&format!("{kind}:{id}"))
    }

    /// The part before the first `:`.
    pub fn kind(&self) -> &str {
        &self.text[..self.colon]
    }

    /// Everything after the first `:`.
    pub fn id(&self) -> &str {
        &self.text[self.colon + 1..]
    }

    /// The whole address, `kind:id`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({:?})", self.text)
    }
}

/// Checks `kind:id` by the protocol's rules; the position of the first `:`.
fn colon_of(text: &str) -> Result<usize, AddressError> {
    let colon = text.find(':').ok_or(AddressError::MissingColon)?;
    let (kind, id) = (&text[..colon], &text[colon + 1..]);
    if kind.is_empty() {
        return Err(AddressError::EmptyKind);
    }
    if id.is_empty() {
        return Err(AddressError::EmptyId);
    }
    if !is_valid_kind(kind) {
        return Err(AddressError::InvalidKind);
    }
    Ok(colon)
}

/// Parses an owned `kind:id`.
impl TryFrom<String> for Address {
    type Error = AddressError;
    fn try_from(text: String) -> Result<Address, AddressError> {
        Address::parse(&text)
    }
}

impl Address {
    /// [`Address::try_from`] that gives the text back when it is not an address (for errors
    /// that quote it).
    pub(crate) fn from_owned(text: String) -> Result<Address, String> {
        match colon_of(&text) {
            Ok(colon) => Ok(Address {
                text: text.into(),
                colon,
            }),
            Err(_) => Err(text),
        }
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Address::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kind_and_id() {
        let a = Address::parse("coordinator:main").unwrap();
        assert_eq!((a.kind(), a.id()), ("coordinator", "main"));
        assert_eq!(a.to_string(), "coordinator:main");
    }

    #[test]
    fn id_keeps_later_colons() {
        let a = Address::parse("session:user:bob").unwrap();
        assert_eq!((a.kind(), a.id()), ("session", "user:bob"));
    }

    #[test]
    fn rejects_each_broken_form() {
        assert_eq!(
            Address::parse("invalidformat"),
            Err(AddressError::MissingColon)
        );
        assert_eq!(Address::parse(":x"), Err(AddressError::EmptyKind));
        assert_eq!(Address::parse("worker:"), Err(AddressError::EmptyId));
        assert_eq!(Address::parse("Worker:x"), Err(AddressError::InvalidKind));
        assert_eq!(Address::parse("1w:x"), Err(AddressError::InvalidKind));
        assert_eq!(Address::parse("w x:y"), Err(AddressError::InvalidKind));
        assert_eq!(Address::parse(""), Err(AddressError::MissingColon));
    }

    #[test]
    fn built_and_owned_forms_check_like_parse() {
        let a = Address::new("session", "user:bob").unwrap();
        assert_eq!((a.kind(), a.id()), ("session", "user:bob"));
        assert_eq!(Address::new("Worker", "x"), Err(AddressError::InvalidKind));
        assert_eq!(Address::new("worker", ""), Err(AddressError::EmptyId));
        assert_eq!(
            Address::try_from(String::from("worker:w1")),
            Address::parse("worker:w1")
        );
        assert_eq!(
            Address::try_from(String::from("nocolon")),
            Err(AddressError::MissingColon)
        );
    }

    #[test]
    fn kind_allows_digits_dash_underscore_after_first_letter() {
        assert!(Address::parse("a1_b-c:x").is_ok());
    }
}
