//! [`Table`]: the ordered map behind [`MemoryStorage`](super::MemoryStorage), which takes
//! writes into a small hashed buffer and moves them into its tree in key order.

use super::text::{Key, Value};
use std::collections::{BTreeMap, HashMap};

/// Writes buffered before they move into the tree: enough that a batch applied in key
/// order walks the tree's paths once, few enough that the buffer stays in the L1 cache.
const BUFFERED: usize = 256;

/// An ordered map from keys to values.
///
/// A write is a hashed insert into a buffer; every [`BUFFERED`] writes (or before anything
/// reads in order) the buffer is applied to the tree sorted by key. Writes scattered over a
/// tree of 100k keys each walked a cold path of nodes; applied in order, neighbouring writes
/// share their path.
#[derive(Debug, Default)]
pub(crate) struct Table {
    tree: BTreeMap<Key, Value>,
    /// Writes not yet in the tree, the latest per key: the value put, or `None` (deleted).
    buffer: HashMap<Key, Option<Value>>,
}

impl Table {
    pub(crate) fn put(&mut self, key: &str, value: String) {
        self.buffer.insert(Key::new(key), Some(value.into()));
        self.flush_if_full();
    }

    pub(crate) fn delete(&mut self, key: &str) {
        self.buffer.insert(Key::new(key), None);
        self.flush_if_full();
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        match self.buffer.get(key.as_bytes()) {
            Some(written) => written.as_ref(),
            None => self.tree.get(key.as_bytes()),
        }
        .map(Value::as_str)
    }

    /// Every entry, in key order (the buffer applied first).
    pub(crate) fn ordered(&mut self) -> &BTreeMap<Key, Value> {
        self.flush();
        &self.tree
    }

    fn flush_if_full(&mut self) {
        if self.buffer.len() >= BUFFERED {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let mut writes: Vec<_> = self.buffer.drain().collect();
        writes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, written) in writes {
            match written {
                Some(value) => {
                    self.tree.insert(key, value);
                }
                None => {
                    self.tree.remove(key.as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_buffered_writes_and_order_holds_across_flushes() {
        let mut t = Table::default();
        t.put("b", "1".into());
        t.put("a", "2".into());
        t.delete("b");
        assert_eq!(t.get("a"), Some("2"));
        assert_eq!(t.get("b"), None, "a buffered delete hides the buffered put");
        let keys: Vec<_> = t.ordered().keys().map(Key::as_str).collect();
        assert_eq!(keys, ["a"]);
        for i in 0..BUFFERED * 2 + 3 {
            t.put(&format!("k{i:04}"), i.to_string());
        }
        t.delete("a");
        t.put("k0000", "again".into());
        assert_eq!(t.get("k0000"), Some("again"));
        let ordered = t.ordered();
        assert_eq!(ordered.len(), BUFFERED * 2 + 3);
        assert!(ordered.keys().is_sorted());
        assert_eq!(
            ordered.first_key_value().map(|(_, v)| v.as_str()),
            Some("again")
        );
    }
}
