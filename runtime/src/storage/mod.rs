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
//! | `__duract/timer/<due ms, 20 digits>/<name>` | the durable timer `name`: the envelope it delivers |
//!
//! Fields marked `#[persist(skip)]` are not stored. Renaming a field changes its key.

mod memory;
mod text;

pub use memory::{MemoryStorage, WriteStats};

use crate::future::LocalBoxFuture;
use std::fmt;

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
