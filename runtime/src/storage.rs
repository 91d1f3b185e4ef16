//! Storage: an async key-value store shaped after Durable Object storage, and an in-memory one.
//!
//! Values are JSON text. Keys sort as strings, and [`Storage::list`] returns them in that
//! order, as Durable Object storage does.
//!
//! # Key scheme of generated persistence
//! | key | holds |
//! |---|---|
//! | `f/<field>` | a plain field of an `#[actor]` struct, as JSON |
//! | `e/<field>/<entry>` | one entry of a `#[persist(entries)]` field (see [`crate::persist`]) |
//! | `__duract/timer/<due ms, 20 digits>/<id>` | a durable timer: the envelope it delivers |
//!
//! Fields marked `#[persist(skip)]` are not stored. Renaming a field changes its key.

use crate::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

/// A storage operation that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// What failed.
    pub reason: String,
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failure: {}", self.reason)
    }
}

impl std::error::Error for StorageError {}

impl From<StorageError> for crate::Error {
    fn from(e: StorageError) -> Self {
        crate::Error::ActorError {
            reason: e.to_string(),
        }
    }
}

/// Which keys [`Storage::list`] returns: those with `prefix`, from `start` (inclusive) to
/// `end` (exclusive), at most `limit`, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Only keys starting with this.
    pub prefix: String,
    /// Only keys `>= start`.
    pub start: Option<String>,
    /// Only keys `< end`.
    pub end: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl ListOptions {
    /// All keys with `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> ListOptions {
        ListOptions {
            prefix: prefix.into(),
            ..ListOptions::default()
        }
    }

    /// Only keys `< end`.
    pub fn end(mut self, end: impl Into<String>) -> ListOptions {
        self.end = Some(end.into());
        self
    }

    /// At most `limit` keys.
    pub fn limit(mut self, limit: usize) -> ListOptions {
        self.limit = Some(limit);
        self
    }
}

/// Writes applied together: all of them or, on failure, none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// Keys to set.
    pub puts: Vec<(String, String)>,
    /// Keys to remove.
    pub deletes: Vec<String>,
}

impl WriteBatch {
    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }

    /// Adds a put.
    pub fn put(&mut self, key: String, value: String) {
        self.puts.push((key, value));
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: String) {
        self.deletes.push(key);
    }
}

/// The result of a storage call.
pub type StorageResult<'a, T> = LocalBoxFuture<'a, Result<T, StorageError>>;

/// An async key-value store with Durable Object storage's operations.
pub trait Storage {
    /// The value of `key`.
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>>;
    /// The entries `options` selects, in key order.
    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>>;
    /// Applies a batch of puts and deletes atomically.
    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()>;

    /// Sets one key.
    fn put<'a>(&'a self, key: &'a str, value: String) -> StorageResult<'a, ()> {
        self.write(WriteBatch {
            puts: vec![(key.to_owned(), value)],
            deletes: Vec::new(),
        })
    }
    /// Removes one key.
    fn delete<'a>(&'a self, key: &'a str) -> StorageResult<'a, ()> {
        self.write(WriteBatch {
            puts: Vec::new(),
            deletes: vec![key.to_owned()],
        })
    }
}

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

/// Storage in a `BTreeMap`, for tests and the native host. Counts its writes.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    map: RefCell<BTreeMap<String, String>>,
    stats: Cell<WriteStats>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// The writes so far.
    pub fn stats(&self) -> WriteStats {
        self.stats.get()
    }

    /// A copy of every entry, in key order.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.map.borrow().clone()
    }

    /// The number of keys stored.
    pub fn len(&self) -> usize {
        self.map.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.map.borrow().is_empty()
    }

    fn select(&self, options: &ListOptions) -> Vec<(String, String)> {
        let map = self.map.borrow();
        let start = match &options.start {
            Some(s) if s.as_str() > options.prefix.as_str() => s.clone(),
            _ => options.prefix.clone(),
        };
        map.range::<String, _>((Bound::Included(start), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&options.prefix))
            .take_while(|(k, _)| options.end.as_ref().is_none_or(|end| *k < end))
            .take(options.limit.unwrap_or(usize::MAX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
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

impl Storage for MemoryStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>> {
        let value = self.map.borrow().get(key).cloned();
        Box::pin(async move { Ok(value) })
    }

    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>> {
        let entries = self.select(options);
        Box::pin(async move { Ok(entries) })
    }

    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()> {
        self.apply(batch);
        Box::pin(async { Ok(()) })
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
