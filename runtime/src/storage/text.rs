//! [`Text`]: a storage key or value, kept in place when it is short.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// Text for an ordered map's nodes: up to `N` bytes inside itself (so inside the node),
/// longer on the heap. Texts order by their bytes, which is how `str`s order, and borrow as
/// `[u8]` for lookups.
#[derive(Clone)]
pub(crate) enum Text<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(String),
}

/// A storage key: 48 bytes, in place up to 46.
pub(crate) type Key = Text<46>;

/// A stored value: 32 bytes (a `String` is 24), in place up to 30. With a key, an entry is
/// 80 bytes: a tree node of eleven stays under 1 KiB.
pub(crate) type Value = Text<30>;

impl<const N: usize> Text<N> {
    /// The longest text kept in place.
    #[cfg(test)]
    const INLINE: usize = N;

    pub(crate) fn new(text: &str) -> Text<N> {
        Text::inline(text).unwrap_or_else(|| Text::Heap(text.to_owned()))
    }

    fn inline(text: &str) -> Option<Text<N>> {
        let len = u8::try_from(text.len()).ok().filter(|_| text.len() <= N)?;
        let mut bytes = [0; N];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Text::Inline { len, bytes })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Text::Heap(text) => text.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // SAFETY: `bytes[..len]` is a copy of a whole `&str` (`Text::inline`), so UTF-8.
            Text::Inline { .. } => unsafe { std::str::from_utf8_unchecked(self.as_bytes()) },
            Text::Heap(text) => text,
        }
    }
}

/// Takes a `String` without copying it when it is too long to keep in place.
impl<const N: usize> From<String> for Text<N> {
    fn from(text: String) -> Text<N> {
        Text::inline(&text).unwrap_or(Text::Heap(text))
    }
}

impl<const N: usize> PartialEq for Text<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for Text<N> {}

impl<const N: usize> PartialOrd for Text<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for Text<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> Borrow<[u8]> for Text<N> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_kept_in_place_and_long_ones_on_the_heap() {
        let short = "e/queue/ünïcode";
        let long = "k".repeat(Key::INLINE + 1);
        assert!(matches!(Key::new(short), Text::Inline { .. }));
        assert!(matches!(
            Key::new(&"k".repeat(Key::INLINE)),
            Text::Inline { .. }
        ));
        assert!(matches!(Key::new(&long), Text::Heap(_)));
        assert_eq!(Key::new(short).as_str(), short);
        assert_eq!(Key::new(&long).as_str(), long);
        assert_eq!(std::mem::size_of::<Key>(), 48);
        assert_eq!(std::mem::size_of::<Value>(), 32);
        let long = "v".repeat(Value::INLINE + 1);
        assert!(matches!(Value::from(long.clone()), Text::Heap(_)));
        assert!(matches!(
            Value::from("\"t1\"".to_owned()),
            Text::Inline { .. }
        ));
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
