//! [`MemoryStorage`]: storage in memory, for tests and the native host.

use super::{ListOptions, ReadNow, Storage, StorageError, StorageResult, WriteBatch};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::rc::Rc;

/// The entries of a [`MemoryStorage`] (shared with its [`ReadNow`] readers).
type Entries = Rc<RefCell<BTreeMap<String, String>>>;

/// Counts of what a [`MemoryStorage`] was asked to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Batches applied.
    pub batches: u64,
    /// Keys put.
    pub puts: u64,
    /// Keys deleted.
    pub deletes: u64,
    /// Bytes of keys and values put.
    pub bytes: u64,
}

/// Storage in an ordered map, for tests and the native host. Counts its writes.
///
/// Keys and values are plain `String`s. (Keeping short ones inside the map's nodes, with
/// `unsafe`, made the coordinator's operations at 100,000 queued tasks 0-7% faster in
/// `coordinator_scale`, 2 Dec 2026: not worth the code in a test storage.)
#[derive(Debug, Default)]
pub struct MemoryStorage {
    map: Entries,
    stats: Cell<WriteStats>,
    /// Whether writes skip Durable Object storage's limits ([`MemoryStorage::without_limits`]).
    unlimited: bool,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// An empty store that accepts batches over Durable Object storage's limits: for
    /// measuring a design that could not persist on Durable Objects as if it could.
    pub fn without_limits() -> MemoryStorage {
        MemoryStorage {
            unlimited: true,
            ..MemoryStorage::default()
        }
    }

    /// The writes so far.
    pub fn stats(&self) -> WriteStats {
        self.stats.get()
    }

    /// A copy of every entry, in key order.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        let map = self.map.borrow();
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The number of keys stored.
    pub fn len(&self) -> usize {
        self.map.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn apply(&self, batch: WriteBatch) {
        let mut stats = self.stats.get();
        stats.batches += 1;
        let mut map = self.map.borrow_mut();
        for (key, value) in batch.puts {
            stats.puts += 1;
            stats.bytes += (key.len() + value.len()) as u64;
            map.insert(key, value);
        }
        for key in batch.deletes {
            stats.deletes += 1;
            map.remove(&key);
        }
        self.stats.set(stats);
    }
}

/// The entries of `map` that `options` selects, in key order.
fn select(map: &BTreeMap<String, String>, options: &ListOptions) -> Vec<(String, String)> {
    let start = match &options.start {
        Some(s) if s.as_str() > options.prefix.as_str() => s.as_str(),
        _ => options.prefix.as_str(),
    };
    map.range::<str, _>((Bound::Included(start), Bound::Unbounded))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .take_while(|(k, _)| k.starts_with(&options.prefix))
        .take_while(|(k, _)| options.end.as_deref().is_none_or(|end| *k < end))
        .take(options.limit.unwrap_or(usize::MAX))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A [`MemoryStorage`]'s [`ReadNow`]: the same entries.
struct MemoryReader(Entries);

impl ReadNow for MemoryReader {
    fn list_now(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError> {
        Ok(select(&self.0.borrow(), &ListOptions::prefix(prefix)))
    }
}

impl Storage for MemoryStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>> {
        let map = self.map.borrow();
        let value = map.get(key).cloned();
        Box::pin(async move { Ok(value) })
    }

    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>> {
        let entries = select(&self.map.borrow(), options);
        Box::pin(async move { Ok(entries) })
    }

    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()> {
        // Refused as Durable Object storage would refuse it, so native tests meet the limits.
        let checked = if self.unlimited {
            Ok(())
        } else {
            batch.check()
        };
        if checked.is_ok() {
            self.apply(batch);
        }
        Box::pin(async { checked })
    }

    fn reader(&self) -> Option<Rc<dyn ReadNow>> {
        Some(Rc::new(MemoryReader(self.map.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;

    fn store(keys: &[&str]) -> MemoryStorage {
        let s = MemoryStorage::new();
        let puts = keys
            .iter()
            .map(|k| (k.to_string(), format!("\"{k}\"")))
            .collect();
        block_on(s.write(WriteBatch {
            puts,
            deletes: vec![],
        }))
        .unwrap();
        s
    }

    #[test]
    fn list_by_prefix_in_key_order() {
        let s = store(&["e/q/2", "e/q/1", "e/r/1", "f/a"]);
        let keys: Vec<_> = block_on(s.list(&ListOptions::prefix("e/q/")))
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["e/q/1", "e/q/2"]);
    }

    #[test]
    fn list_honours_end_and_limit() {
        let s = store(&["t/1", "t/2", "t/3"]);
        let opts = ListOptions::prefix("t/").end("t/3").limit(5);
        assert_eq!(block_on(s.list(&opts)).unwrap().len(), 2);
        assert_eq!(
            block_on(s.list(&ListOptions::prefix("t/").limit(1))).unwrap()[0].0,
            "t/1"
        );
    }

    #[test]
    fn batches_apply_puts_and_deletes_and_count_them() {
        let s = store(&["a", "b"]);
        let batch = WriteBatch {
            puts: vec![("c".into(), "1".into())],
            deletes: vec!["a".into()],
        };
        block_on(s.write(batch)).unwrap();
        assert_eq!(s.snapshot().keys().collect::<Vec<_>>(), ["b", "c"]);
        let stats = s.stats();
        assert_eq!((stats.batches, stats.puts, stats.deletes), (2, 3, 1));
        assert_eq!(block_on(s.get("c")).unwrap().as_deref(), Some("1"));
        assert_eq!(block_on(s.get("a")).unwrap(), None);
    }
}
