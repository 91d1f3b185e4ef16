//! Schema evolution of persisted state: versioned migrations run on activation.
//!
//! An actor declared `#[actor(version = N)]` (N > 1) keeps its version under
//! [`VERSION_KEY`]. When an activation finds an older store (a store without the key but with
//! state is version 1), its `#[route(migrate)]` hook runs over a [`Migration`] view of the raw
//! store before the state loads: what the hook writes is staged, the state loads through it,
//! and the writes (with the new version) commit in the activation's first committed turn,
//! with that turn's own writes, in one batch. A turn that fails commits none of it, so the
//! next activation migrates again from the stored version.
//!
//! ```
//! use duract::persist::Migration;
//! use duract::{actor, message, route, Ctx, Error};
//!
//! #[message]
//! pub struct Get;
//!
//! #[actor(version = 2)] // version 1 stored `total` as text
//! #[derive(Default)]
//! pub struct Meter { total: u64 }
//!
//! #[route]
//! impl Meter {
//!     #[route(migrate)]
//!     async fn upgrade(from: u32, store: &mut Migration<'_>) -> Result<(), Error> {
//!         if from < 2 {
//!             if let Some(text) = store.field::<String>("total").await? {
//!                 store.set_field("total", &text.parse::<u64>().unwrap_or(0))?;
//!             }
//!         }
//!         Ok(())
//!     }
//!
//!     async fn get(&mut self, _ctx: &mut Ctx, _msg: Get) -> u64 {
//!         self.total
//!     }
//! }
//!
//! // A store version 1 wrote, then an activation of version 2.
//! let host = duract::native::Host::new().with::<Meter>();
//! let old = host.storage_of("meter:m").unwrap();
//! duract::block_on(duract::Storage::put(&*old, "f/total", r#""7""#.into())).unwrap();
//! let total = host.client("client:ui").unwrap().actor::<Meter>("m").ask(&Get).unwrap();
//! assert_eq!(total, 7);
//! let stored = host.storage("meter:m").unwrap();
//! assert_eq!(stored.get("f/total"), Some("7"));
//! assert_eq!(stored.get(duract::persist::VERSION_KEY), Some("2"));
//! ```

use super::persist::{decode_field, encode_field, entries_prefix, field_key};
use super::{ListOptions, Storage, StorageResult, WriteBatch};
use crate::error::Error;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The key holding a versioned actor's stored version (absent: version 1).
pub const VERSION_KEY: &str = "__duract/version";

/// Storage seen through writes staged on top of it: reads see the staged writes, writes are
/// only staged ([`Overlay::into_batch`] gives them back).
pub(crate) struct Overlay<'s> {
    base: &'s dyn Storage,
    /// Each staged key: its new value, or `None` when deleted.
    staged: RefCell<BTreeMap<String, Option<String>>>,
}

impl<'s> Overlay<'s> {
    pub(crate) fn new(base: &'s dyn Storage) -> Overlay<'s> {
        Overlay {
            base,
            staged: RefCell::new(BTreeMap::new()),
        }
    }

    pub(crate) fn stage(&self, key: String, value: Option<String>) {
        self.staged.borrow_mut().insert(key, value);
    }

    /// The staged writes, one per key.
    pub(crate) fn into_batch(self) -> WriteBatch {
        let mut batch = WriteBatch::default();
        for (key, value) in self.staged.into_inner() {
            match value {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        batch
    }

    async fn merged_list(&self, options: &ListOptions) -> Result<Vec<(String, String)>, Error> {
        let unlimited = ListOptions {
            limit: None,
            ..options.clone()
        };
        let mut rows: BTreeMap<String, String> =
            self.base.list(&unlimited).await?.into_iter().collect();
        let selected = |key: &str| {
            key.starts_with(&options.prefix)
                && options.start.as_deref().is_none_or(|s| key >= s)
                && options.end.as_deref().is_none_or(|e| key < e)
        };
        for (key, value) in self.staged.borrow().iter() {
            if !selected(key) {
                continue;
            }
            match value {
                Some(value) => rows.insert(key.clone(), value.clone()),
                None => rows.remove(key),
            };
        }
        let limit = options.limit.unwrap_or(usize::MAX);
        Ok(rows.into_iter().take(limit).collect())
    }
}

impl Storage for Overlay<'_> {
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>> {
        let staged = self.staged.borrow().get(key).cloned();
        Box::pin(async move {
            match staged {
                Some(value) => Ok(value),
                None => self.base.get(key).await,
            }
        })
    }

    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>> {
        Box::pin(async move {
            self.merged_list(options)
                .await
                .map_err(|e| super::StorageError {
                    reason: e.to_string(),
                })
        })
    }

    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()> {
        for (key, value) in batch.puts {
            self.stage(key, Some(value));
        }
        for key in batch.deletes {
            self.stage(key, None);
        }
        Box::pin(async { Ok(()) })
    }
}

/// The raw store of an actor as its `#[route(migrate)]` hook sees it: the keys of the stored
/// version (`f/<field>` for a plain field, `e/<field>/<entry>` for an entries field, see
/// [`crate::storage`]). Reads see the hook's own writes; the writes commit with the
/// activation's first committed turn, all of them or none.
pub struct Migration<'s> {
    overlay: &'s Overlay<'s>,
}

impl<'s> Migration<'s> {
    /// A migration that stages its changes in `overlay`.
    pub(crate) fn over(overlay: &'s Overlay<'s>) -> Migration<'s> {
        Migration { overlay }
    }
}

impl Migration<'_> {
    /// The JSON stored at `key`.
    pub async fn get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.overlay.get(key).await?)
    }

    /// Every key starting with `prefix` and its JSON, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, Error> {
        self.overlay.merged_list(&ListOptions::prefix(prefix)).await
    }

    /// Stages `json` at `key`.
    pub fn put(&mut self, key: &str, json: String) {
        self.overlay.stage(key.to_owned(), Some(json));
    }

    /// Stages the removal of `key`.
    pub fn delete(&mut self, key: &str) {
        self.overlay.stage(key.to_owned(), None);
    }

    /// The plain field `name` decoded as `T`; `None` when not stored.
    pub async fn field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        match self.get(&field_key(name)).await? {
            Some(json) => decode_field(name, &json).map(Some),
            None => Ok(None),
        }
    }

    /// Stages `value` as the plain field `name`.
    pub fn set_field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let json = encode_field(name, value)?;
        self.put(&field_key(name), json);
        Ok(())
    }

    /// Stages the removal of the plain field `name`.
    pub fn remove_field(&mut self, name: &str) {
        self.delete(&field_key(name));
    }

    /// The stored entries of the entries field `name`: each entry's key (as stored after
    /// `e/<name>/`) and its JSON, in key order.
    pub async fn entries(&self, name: &str) -> Result<Vec<(String, String)>, Error> {
        let prefix = entries_prefix(name);
        let rows = self.list(&prefix).await?;
        Ok(rows
            .into_iter()
            .map(|(key, json)| (key[prefix.len()..].to_owned(), json))
            .collect())
    }
}

/// The stored version, `None` for a store that holds no state (nothing to migrate).
pub(crate) async fn stored_version(storage: &dyn Storage) -> Result<Option<u32>, Error> {
    if let Some(text) = storage.get(VERSION_KEY).await? {
        let version = text.trim().parse().map_err(|_| Error::ActorError {
            reason: format!("stored version `{text}` is not a number"),
        })?;
        return Ok(Some(version));
    }
    for prefix in [super::persist::FIELD_PREFIX, super::persist::ENTRIES_PREFIX] {
        let any = storage.list(&ListOptions::prefix(prefix).limit(1)).await?;
        if !any.is_empty() {
            return Ok(Some(1)); // state written before the actor declared a version
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;
    use crate::MemoryStorage;

    #[test]
    fn the_overlay_lists_staged_writes_over_the_base() {
        let base = MemoryStorage::new();
        let mut seed = WriteBatch::default();
        for key in ["f/a", "f/b", "f/c"] {
            seed.put(key.into(), "1".into());
        }
        block_on(base.write(seed)).unwrap();
        let overlay = Overlay::new(&base);
        overlay.stage("f/b".into(), None);
        overlay.stage("f/d".into(), Some("2".into()));
        let keys = |options: ListOptions| -> Vec<String> {
            block_on(overlay.list(&options))
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(keys(ListOptions::prefix("f/")), ["f/a", "f/c", "f/d"]);
        assert_eq!(keys(ListOptions::prefix("f/").limit(2)), ["f/a", "f/c"]);
        assert_eq!(block_on(overlay.get("f/b")).unwrap(), None);
        assert_eq!(base.len(), 3, "the base is untouched");
        let batch = overlay.into_batch();
        assert_eq!(batch.puts, [("f/d".to_owned(), "2".to_owned())]);
        assert_eq!(batch.deletes, ["f/b"]);
    }
}
