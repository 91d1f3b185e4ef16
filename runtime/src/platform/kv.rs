//! [`KvStore`]: a Workers KV namespace as duract calls it, and [`MemoryKv`], the native host's.

use crate::error::Error;
use crate::future::LocalBoxFuture;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The longest key Workers KV accepts, in bytes.
pub const MAX_KV_KEY_BYTES: usize = 512;

/// `Ok` when Workers KV accepts `key`: not empty, not `.` or `..`, at most
/// [`MAX_KV_KEY_BYTES`].
pub fn check_kv_key(key: &str) -> Result<(), Error> {
    let problem = if key.is_empty() || key == "." || key == ".." {
        Some("is empty, `.` or `..`".to_owned())
    } else if key.len() > MAX_KV_KEY_BYTES {
        Some(format!("is {} bytes, over {MAX_KV_KEY_BYTES}", key.len()))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::ActorError {
            reason: format!(
                "KV key `{}` {problem}",
                key.chars().take(40).collect::<String>()
            ),
        }),
        None => Ok(()),
    }
}

/// A KV namespace: what a host gives for a KV binding. The futures own what they need, so a
/// call does not borrow the turn's context.
pub trait KvStore {
    /// The value of `key`, `None` when absent.
    fn get(&self, key: &str) -> LocalBoxFuture<'static, Result<Option<String>, Error>>;
    /// Sets `key` to `value`.
    fn put(&self, key: &str, value: String) -> LocalBoxFuture<'static, Result<(), Error>>;
    /// Removes `key`.
    fn delete(&self, key: &str) -> LocalBoxFuture<'static, Result<(), Error>>;
    /// The keys starting with `prefix`, in key order, at most `limit`.
    fn list(
        &self,
        prefix: &str,
        limit: usize,
    ) -> LocalBoxFuture<'static, Result<Vec<String>, Error>>;
}

/// A KV namespace in memory, for the native host (`Host::new().kv("CACHE", kv.clone())`):
/// deterministic, immediately consistent, keys in order. Clones share the same entries, so a
/// test keeps one to seed and inspect.
#[derive(Clone, Debug, Default)]
pub struct MemoryKv {
    entries: Rc<RefCell<BTreeMap<String, String>>>,
}

impl MemoryKv {
    /// An empty namespace.
    pub fn new() -> MemoryKv {
        MemoryKv::default()
    }

    /// Sets `key` (to seed a test).
    pub fn with(self, key: &str, value: &str) -> MemoryKv {
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// The value of `key` now.
    pub fn value(&self, key: &str) -> Option<String> {
        self.entries.borrow().get(key).cloned()
    }

    /// Every key and value, in key order.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.entries.borrow().clone()
    }
}

fn ready<T: 'static>(value: T) -> LocalBoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

impl KvStore for MemoryKv {
    fn get(&self, key: &str) -> LocalBoxFuture<'static, Result<Option<String>, Error>> {
        ready(Ok(self.value(key)))
    }

    fn put(&self, key: &str, value: String) -> LocalBoxFuture<'static, Result<(), Error>> {
        let checked = check_kv_key(key);
        if checked.is_ok() {
            self.entries.borrow_mut().insert(key.to_owned(), value);
        }
        ready(checked)
    }

    fn delete(&self, key: &str) -> LocalBoxFuture<'static, Result<(), Error>> {
        self.entries.borrow_mut().remove(key);
        ready(Ok(()))
    }

    fn list(
        &self,
        prefix: &str,
        limit: usize,
    ) -> LocalBoxFuture<'static, Result<Vec<String>, Error>> {
        let entries = self.entries.borrow();
        let keys = entries
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .take(limit)
            .cloned()
            .collect();
        ready(Ok(keys))
    }
}
