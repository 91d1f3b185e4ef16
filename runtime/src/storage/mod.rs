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
//! | `m/<field>` | what an entries field keeps about its entries (a [`Table`](crate::Table) of [`COUNTED_FROM`](crate::collections::COUNTED_FROM) rows or more: its row count), so it can load them on first use |
//! | `__duract/timer/<due ms, 20 digits>/<name>` | the durable timer `name`: the envelope it delivers |
//!
//! | `__duract/version` | the stored version of an `#[actor(version = N)]` (N > 1; see [`migrate`]) |
//!
//! Fields marked `#[persist(skip)]` are not stored. Renaming a field changes its key: mark it
//! `#[persist(renamed_from = "old")]` and the first turn moves the old key's value to the new.

pub mod collections;
mod memory;
pub mod migrate;
pub mod persist;

pub use memory::{MemoryStorage, WriteStats};

use crate::future::LocalBoxFuture;
use std::fmt;
use std::rc::Rc;

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

/// The longest key Durable Object storage accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 2048;

/// The largest value a batch may hold, as Durable Object storage measures it (its V8
/// serialization): what KV-backed classes accept (SQLite-backed ones accept more).
pub const MAX_VALUE_BYTES: usize = 128 * 1024;

/// The size of a string value in V8's serialization: one byte per character when every
/// character is Latin-1, else two per UTF-16 unit (a few header bytes aside).
fn stored_size(value: &str) -> usize {
    if value.len() <= MAX_VALUE_BYTES / 2 {
        return value.len(); // a bound that holds either way: no need to count
    }
    if value.chars().all(|c| u32::from(c) <= 0xFF) {
        value.chars().count()
    } else {
        2 * value.encode_utf16().count()
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

    /// Checks every key and value against the platform's limits ([`MAX_KEY_BYTES`],
    /// [`MAX_VALUE_BYTES`]). Storages check before issuing anything, so a batch is refused as
    /// a whole: no write can fail alone while the rest of its batch commits.
    pub fn check(&self) -> Result<(), StorageError> {
        let keys = self.puts.iter().map(|(k, _)| k).chain(&self.deletes);
        if let Some(key) = keys.into_iter().find(|k| k.len() > MAX_KEY_BYTES) {
            return Err(StorageError {
                reason: format!(
                    "key `{}…` is {} bytes, over the {MAX_KEY_BYTES} storage accepts",
                    key.chars().take(40).collect::<String>(),
                    key.len()
                ),
            });
        }
        for (key, value) in &self.puts {
            let size = stored_size(value);
            if size > MAX_VALUE_BYTES {
                return Err(StorageError {
                    reason: format!(
                        "the value of `{key}` is {size} bytes, over the {MAX_VALUE_BYTES} storage accepts"
                    ),
                });
            }
        }
        Ok(())
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

/// Reads a storage without awaiting: how a [`Table`](crate::Table) loads its rows when first
/// used rather than with the actor's state. A storage that can gives one through
/// [`Storage::reader`].
pub trait ReadNow {
    /// The entries whose keys start with `prefix`, in key order, as [`Storage::list`] gives
    /// them (writes already issued included).
    fn list_now(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError>;
}

/// An async key-value store with Durable Object storage's operations.
pub trait Storage {
    /// The value of `key`.
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>>;
    /// The entries `options` selects, in key order.
    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>>;
    /// Applies a batch of puts and deletes atomically.
    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()>;
    /// A reader of this storage for later, when it can be read without awaiting
    /// ([`MemoryStorage`]; a SQLite-backed Durable Object's). Without one (the default), every
    /// table loads its rows with the state.
    fn reader(&self) -> Option<Rc<dyn ReadNow>> {
        None
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(key: &str, value: String) -> WriteBatch {
        let mut batch = WriteBatch::default();
        batch.put(key.to_owned(), value);
        batch
    }

    #[test]
    fn keys_and_values_within_the_limits_pass() {
        assert!(
            batch(&"k".repeat(MAX_KEY_BYTES), "x".repeat(MAX_VALUE_BYTES))
                .check()
                .is_ok()
        );
        // Latin-1 takes one byte per character, whatever its UTF-8 length.
        assert!(batch("k", "é".repeat(MAX_VALUE_BYTES)).check().is_ok());
    }

    #[test]
    fn an_oversized_key_or_value_refuses_the_whole_batch() {
        let mut b = batch("ok", "1".into());
        b.delete("k".repeat(MAX_KEY_BYTES + 1));
        assert!(b.check().unwrap_err().reason.contains("2049 bytes"));
        let over = batch("k", "x".repeat(MAX_VALUE_BYTES + 1));
        assert!(over.check().is_err());
        // Mostly ASCII with one character beyond Latin-1: two bytes per unit.
        let wide = format!("{}€", "x".repeat(MAX_VALUE_BYTES / 2));
        assert!(batch("k", wide).check().is_err());
    }
}
