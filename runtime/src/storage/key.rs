//! [`Key`]: a storage key kept in place when it is short.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A storage key for an ordered map: up to [`Key::INLINE`] bytes inside the key itself (so
/// inside the map's node), longer ones on the heap. Keys order by their bytes, which is how
/// `str`s order, and borrow (and hash) as `[u8]` for lookups.
#[derive(Clone)]
pub(crate) enum Key {
    Inline { len: u8, bytes: [u8; Key::INLINE] },
    Heap(Box<str>),
}

impl Key {
    /// The longest key kept in place. With the length and the tag, a key is 48 bytes: a tree
    /// node of eleven keys and `String` values stays under 1 KiB.
    pub(crate) const INLINE: usize = 46;

    pub(crate) fn new(key: &str) -> Key {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= Key::INLINE => {
                let mut bytes = [0; Key::INLINE];
                bytes[..key.len()].copy_from_slice(key.as_bytes());
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(key.into()),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Key::Heap(text) => text.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // SAFETY: `bytes[..len]` is a copy of a whole `&str` (`Key::new`), so UTF-8.
            Key::Inline { .. } => unsafe { std::str::from_utf8_unchecked(self.as_bytes()) },
            Key::Heap(text) => text,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes as its bytes do, so a map of keys can be searched with `&[u8]`.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_kept_in_place_and_long_ones_on_the_heap() {
        let short = "e/queue/ünïcode";
        let long = "k".repeat(Key::INLINE + 1);
        assert!(matches!(Key::new(short), Key::Inline { .. }));
        assert!(matches!(
            Key::new(&"k".repeat(Key::INLINE)),
            Key::Inline { .. }
        ));
        assert!(matches!(Key::new(&long), Key::Heap(_)));
        assert_eq!(Key::new(short).as_str(), short);
        assert_eq!(Key::new(&long).as_str(), long);
        assert_eq!(std::mem::size_of::<Key>(), 48);
    }

    #[test]
    fn keys_order_as_their_strings_do_whatever_their_length() {
        let texts = [
            "",
            "a",
            "a/b",
            "ab",
            "é",
            &"z".repeat(60),
            &"a".repeat(50),
            "b",
        ];
        let mut keys: Vec<Key> = texts.iter().map(|t| Key::new(t)).collect();
        let mut sorted = texts.to_vec();
        keys.sort();
        sorted.sort();
        let keys: Vec<&str> = keys.iter().map(Key::as_str).collect();
        assert_eq!(keys, sorted);
    }
}
