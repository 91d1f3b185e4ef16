//! Persistence of actor state: per field, and per entry for `#[persist(entries)]` fields.
//!
//! `#[actor]` stores each plain field under `f/<field>` and rewrites it only when its JSON
//! differs from what was last saved ([`Saved`]). A field marked `#[persist(entries)]` must be
//! an [`EntryField`] ([`PMap`], [`PSet`], [`PQueue`], or a [`Table`](crate::Table) with its
//! indexes): each entry has its own key `e/<field>/<entry>`, and a turn writes only the
//! entries it changed, so changing one entry of a 100,000-entry queue writes one key.

pub use super::migrate::{Migration, VERSION_KEY};
use crate::error::Error;
use crate::storage::{ReadNow, WriteBatch};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// What the storage key of every plain field starts with: `f/<field>`.
pub const FIELD_PREFIX: &str = "f/";

/// What the storage keys of every entries field start with: `e/<field>/<entry>`.
pub const ENTRIES_PREFIX: &str = "e/";

/// What the storage key of what an entries field keeps about its entries starts with:
/// `m/<field>` (a [`Table`](crate::Table)'s row count; see [`EntryField::keeps_meta`]).
pub const META_PREFIX: &str = "m/";

/// The storage key of a plain field.
pub fn field_key(field: &str) -> String {
    format!("{FIELD_PREFIX}{field}")
}

/// The key prefix of an entries field: `e/<field>/`.
pub fn entries_prefix(field: &str) -> String {
    format!("{ENTRIES_PREFIX}{field}/")
}

/// The meta key of the entries field whose prefix is `prefix` (`e/<field>/`): `m/<field>`.
pub fn meta_key(prefix: &str) -> String {
    let field = prefix.strip_prefix(ENTRIES_PREFIX).unwrap_or(prefix);
    format!("{META_PREFIX}{}", field.strip_suffix('/').unwrap_or(field))
}

/// What was last saved of each plain field, so unchanged fields are not rewritten; and the
/// writes the loaded state still needs (a migration's, renamed keys moved), which the next
/// committed turn writes with its own.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    fields: Vec<Option<String>>,
    /// Writes loading staged: the state in memory is what storage holds once they are stored.
    pending: WriteBatch,
    /// The version key of a versioned actor whose store was empty: written with the first
    /// commit that writes anything.
    stamp: Option<(String, String)>,
}

impl Saved {
    /// A snapshot of `n` fields, none saved yet.
    pub fn new(n: usize) -> Saved {
        Saved {
            fields: vec![None; n],
            ..Saved::default()
        }
    }

    /// Stages a write the loaded state needs (a renamed key's move).
    pub(crate) fn stage(&mut self, put: Option<(String, String)>, delete: Option<String>) {
        if let Some((key, json)) = put {
            self.pending.put(key, json);
        }
        if let Some(key) = delete {
            self.pending.delete(key);
        }
    }

    /// Stages `batch` before the writes already staged.
    pub(crate) fn stage_before(&mut self, mut batch: WriteBatch) {
        let later = std::mem::take(&mut self.pending);
        batch.puts.extend(later.puts);
        batch.deletes.extend(later.deletes);
        self.pending = batch;
    }

    /// Writes `key` = `value` with the first commit that writes anything.
    pub(crate) fn stamp(&mut self, key: &str, value: String) {
        self.stamp = Some((key.to_owned(), value));
    }

    /// What a commit writes: the staged writes, then the turn's `writes` (the later write of a
    /// key wins). Without staged writes, `writes` as they are.
    pub(crate) fn commit_writes(&self, writes: WriteBatch) -> WriteBatch {
        let stamp = self.stamp.as_ref().filter(|_| !writes.is_empty());
        if self.pending.is_empty() && stamp.is_none() {
            return writes;
        }
        let mut last: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut apply = |batch: &WriteBatch| {
            for (key, value) in &batch.puts {
                last.insert(key.clone(), Some(value.clone()));
            }
            for key in &batch.deletes {
                last.insert(key.clone(), None);
            }
        };
        apply(&self.pending);
        if let Some((key, value)) = stamp {
            apply(&WriteBatch {
                puts: vec![(key.clone(), value.clone())],
                deletes: Vec::new(),
            });
        }
        apply(&writes);
        let mut merged = WriteBatch::default();
        for (key, value) in last {
            match value {
                Some(value) => merged.put(key, value),
                None => merged.delete(key),
            }
        }
        merged
    }

    /// The staged writes are stored: forget them (and the stamp, once anything was written).
    pub(crate) fn committed(&mut self, wrote: bool) {
        self.pending = WriteBatch::default();
        if wrote {
            self.stamp = None;
        }
    }

    /// Records that field `index` was loaded (or saved) as `json`.
    pub fn record(&mut self, index: usize, json: String) {
        self.fields[index] = Some(json);
    }

    /// Whether field `index` was loaded or saved.
    pub fn is_recorded(&self, index: usize) -> bool {
        self.fields[index].is_some()
    }

    /// Records the fields a committed batch wrote.
    pub(crate) fn record_all(&mut self, recorded: Vec<(usize, String)>) {
        for (index, json) in recorded {
            self.record(index, json);
        }
    }

    /// Whether `json` differs from what field `index` last saved.
    pub fn differs(&self, index: usize, json: &str) -> bool {
        self.fields[index].as_deref() != Some(json)
    }
}

/// The writes a turn's state changes need: changed plain fields and changed entries. Filled
/// by [`Actor::save`](crate::Actor::save), written by the turn's commit in the same batch as
/// its timers, then recorded into [`Saved`].
#[derive(Default)]
pub struct SaveBatch {
    batch: WriteBatch,
    recorded: Vec<(usize, String)>,
}

impl SaveBatch {
    /// An empty batch.
    #[inline]
    pub fn new() -> SaveBatch {
        SaveBatch::default()
    }

    /// Adds plain field number `index`, stored at `key`, when its JSON differs from the saved one.
    pub fn field<T: Serialize + ?Sized>(
        &mut self,
        saved: &Saved,
        index: usize,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        let json = encode_field(field_name(key), value)?;
        if saved.differs(index, &json) {
            self.batch.put(key.to_owned(), json.clone());
            self.recorded.push((index, json));
        }
        Ok(())
    }

    /// Adds the changed entries of an entries field stored under `prefix`.
    pub fn entries(&mut self, prefix: &str, field: &mut dyn DynEntries) -> Result<(), Error> {
        field.drain_changes(prefix, &mut self.batch)
    }

    /// Whether the state changed.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// The writes, and what to record once they are stored.
    pub(crate) fn into_parts(self) -> (WriteBatch, Vec<(usize, String)>) {
        (self.batch, self.recorded)
    }
}

/// Serializes a plain field to JSON for storage.
pub fn encode_field<T: Serialize + ?Sized>(field: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::ActorError {
        reason: format!("cannot encode field `{field}`: {e}"),
    })
}

/// Decodes a stored plain field.
pub fn decode_field<T: DeserializeOwned>(field: &str, json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| Error::ActorError {
        reason: format!("stored field `{field}` does not decode: {e}"),
    })
}

/// A collection persisted one entry per key, with change tracking.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be persisted per entry",
    label = "`#[persist(entries)]` needs an `EntryField` type",
    note = "use `PMap`, `PSet` or `PQueue`, implement `EntryField`, or drop `#[persist(entries)]` to store the field as one key"
)]
pub trait EntryField: Default {
    /// Restores one stored entry (`key` without the field prefix). Entries arrive in key order.
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error>;
    /// Moves the writes for the entries changed since the last call into `batch`, each key
    /// prefixed by `prefix`.
    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error>;

    /// Whether the field keeps what it knows of its entries under its meta key (`m/<field>`,
    /// written by its `drain_changes`), which activation then reads before its entries
    /// ([`defer_entries`](EntryField::defer_entries)). No by default.
    fn keeps_meta(&self) -> bool {
        false
    }

    /// At activation, before any entry loads: the field's meta (when it
    /// [keeps one](EntryField::keeps_meta) and storage holds it) and a reader for later, when
    /// storage has one ([`Storage::reader`](crate::storage::Storage::reader)). Returns whether
    /// the field reads its entries (those under `prefix`) itself, when first needed; otherwise
    /// they load now, through [`load_entry`](EntryField::load_entry) (the default).
    fn defer_entries(
        &mut self,
        prefix: &str,
        meta: Option<&str>,
        reader: Option<Rc<dyn ReadNow>>,
    ) -> bool {
        let _ = (prefix, meta, reader);
        false
    }
}

fn entry_error(e: serde_json::Error) -> Error {
    Error::ActorError {
        reason: format!("stored entry does not decode: {e}"),
    }
}

/// The storage key of one entry: `prefix` (the field's, from [`entries_prefix`]) and the
/// entry's key as JSON, built in one allocation.
pub fn entry_key<T: Serialize + ?Sized>(prefix: &str, key: &T) -> Result<String, Error> {
    let mut text = Vec::with_capacity(prefix.len() + 32);
    text.extend_from_slice(prefix.as_bytes());
    serde_json::to_writer(&mut text, key).map_err(encode_error)?;
    // JSON text after a `&str` prefix is UTF-8.
    String::from_utf8(text).map_err(|e| Error::ActorError {
        reason: format!("entry key is not UTF-8: {e}"),
    })
}

fn encode_error(e: serde_json::Error) -> Error {
    Error::ActorError {
        reason: format!("cannot encode entry: {e}"),
    }
}

fn encode_entry<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(encode_error)
}

/// An [`EntryField`] behind a reference the generated code holds once per field, so a
/// field type that is not an `EntryField` is one error, at the field's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be persisted per entry",
    label = "`#[persist(entries)]` needs an `EntryField` type",
    note = "use `PMap`, `PSet` or `PQueue`, implement `EntryField`, or drop `#[persist(entries)]` to store the field as one key"
)]
pub trait DynEntries {
    /// [`EntryField::load_entry`].
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error>;
    /// [`EntryField::drain_changes`].
    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error>;
    /// [`EntryField::keeps_meta`].
    fn keeps_meta(&self) -> bool;
    /// [`EntryField::defer_entries`].
    fn defer_entries(
        &mut self,
        prefix: &str,
        meta: Option<&str>,
        reader: Option<Rc<dyn ReadNow>>,
    ) -> bool;
}

impl<F: EntryField> DynEntries for F {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        EntryField::load_entry(self, key, json)
    }
    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        EntryField::drain_changes(self, prefix, batch)
    }
    fn keeps_meta(&self) -> bool {
        EntryField::keeps_meta(self)
    }
    fn defer_entries(
        &mut self,
        prefix: &str,
        meta: Option<&str>,
        reader: Option<Rc<dyn ReadNow>>,
    ) -> bool {
        EntryField::defer_entries(self, prefix, meta, reader)
    }
}

/// The field name in a plain field's key (`f/<field>`).
pub(crate) fn field_name(key: &str) -> &str {
    key.strip_prefix(FIELD_PREFIX).unwrap_or(key)
}

/// A map persisted one entry per key (the key's JSON text is the entry's storage key).
#[derive(Debug, Clone)]
pub struct PMap<K: Ord, V> {
    map: BTreeMap<K, V>,
    changed: Vec<K>,
}

impl<K: Ord, V> Default for PMap<K, V> {
    fn default() -> Self {
        PMap {
            map: BTreeMap::new(),
            changed: Vec::new(),
        }
    }
}

impl<K: Ord + Clone, V> PMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        PMap::default()
    }
    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }
    /// The value of `key`, to change (marks the entry changed).
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let value = self.map.get_mut(key)?;
        self.changed.push(key.clone());
        Some(value)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }
    /// Sets `key`, returning the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.push(key.clone());
        self.map.insert(key, value)
    }
    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.map.remove(key)?;
        self.changed.push(key.clone());
        Some(old)
    }
    /// Removes `key` when its value satisfies `pred`, returning the value.
    pub fn remove_if(&mut self, key: &K, pred: impl FnOnce(&V) -> bool) -> Option<V> {
        if !pred(self.map.get(key)?) {
            return None;
        }
        self.remove(key)
    }
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }
    /// The entries from `start` (inclusive) in key order.
    pub fn range_from<'a>(&'a self, start: &K) -> impl Iterator<Item = (&'a K, &'a V)> {
        self.map.range(start.clone()..)
    }
    /// The first entry in key order.
    pub fn first(&self) -> Option<(&K, &V)> {
        self.map.first_key_value()
    }
}

impl<K, V> EntryField for PMap<K, V>
where
    K: Ord + Clone + Serialize + DeserializeOwned,
    V: Serialize + DeserializeOwned,
{
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let k = serde_json::from_str(key).map_err(entry_error)?;
        let v = serde_json::from_str(json).map_err(entry_error)?;
        self.map.insert(k, v);
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort();
        changed.dedup();
        for key in changed {
            let storage_key = entry_key(prefix, &key)?;
            match self.map.get(&key) {
                Some(value) => batch.put(storage_key, encode_entry(value)?),
                None => batch.delete(storage_key),
            }
        }
        Ok(())
    }
}

/// A set persisted one entry per key.
#[derive(Debug, Clone)]
pub struct PSet<T: Ord> {
    map: PMap<T, ()>,
}

impl<T: Ord> Default for PSet<T> {
    fn default() -> Self {
        PSet {
            map: PMap::default(),
        }
    }
}

impl<T: Ord + Clone> PSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        PSet::default()
    }
    /// Adds `value`; false when it was present.
    pub fn insert(&mut self, value: T) -> bool {
        if self.map.contains_key(&value) {
            return false;
        }
        self.map.insert(value, ());
        true
    }
    /// Removes `value`; false when it was absent.
    pub fn remove(&mut self, value: &T) -> bool {
        self.map.remove(value).is_some()
    }
    /// Whether `value` is present.
    pub fn contains(&self, value: &T) -> bool {
        self.map.contains_key(value)
    }
    /// The number of values.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.map.iter().map(|(k, _)| k)
    }
    /// The first value in order.
    pub fn first(&self) -> Option<&T> {
        self.map.first().map(|(k, _)| k)
    }
}

impl<T: Ord + Clone + Serialize + DeserializeOwned> EntryField for PSet<T> {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        EntryField::load_entry(&mut self.map, key, json)
    }
    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        EntryField::drain_changes(&mut self.map, prefix, batch)
    }
}

/// A double-ended queue persisted one entry per key; entries keep their order across restarts.
///
/// Each entry is stored under a 20-digit sequence number, so storage's key order is queue
/// order. Pushing or popping at either end writes one key.
#[derive(Debug, Clone)]
pub struct PQueue<T> {
    items: VecDeque<(u64, T)>,
    /// The sequence number the next `push_back` takes.
    next_back: u64,
    changed: Vec<u64>,
}

/// The sequence number of the first entry of an empty queue: the middle of `u64`, so the
/// queue can grow at the front as well.
const QUEUE_ORIGIN: u64 = 1 << 63;

impl<T> Default for PQueue<T> {
    fn default() -> Self {
        PQueue {
            items: VecDeque::new(),
            next_back: QUEUE_ORIGIN,
            changed: Vec::new(),
        }
    }
}

impl<T> PQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        PQueue::default()
    }
    /// Appends at the back.
    pub fn push_back(&mut self, value: T) {
        let seq = self.next_back;
        self.next_back += 1;
        self.items.push_back((seq, value));
        self.changed.push(seq);
    }
    /// Inserts at the front.
    pub fn push_front(&mut self, value: T) {
        let seq = self
            .items
            .front()
            .map_or(self.next_back, |(s, _)| s.saturating_sub(1));
        if self.items.is_empty() {
            self.next_back += 1;
        }
        self.items.push_front((seq, value));
        self.changed.push(seq);
    }
    /// Removes the front entry.
    pub fn pop_front(&mut self) -> Option<T> {
        let (seq, value) = self.items.pop_front()?;
        self.changed.push(seq);
        Some(value)
    }
    /// The front entry.
    pub fn front(&self) -> Option<&T> {
        self.items.front().map(|(_, v)| v)
    }
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// The entries front to back.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|(_, v)| v)
    }
    /// Removes the first entry `pred` matches (O(n): prefer an index beside the queue).
    pub fn remove_first(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let at = self.items.iter().position(|(_, v)| pred(v))?;
        let (seq, value) = self.items.remove(at)?;
        self.changed.push(seq);
        Some(value)
    }
    fn position_of(&self, seq: u64) -> Result<usize, usize> {
        self.items.binary_search_by_key(&seq, |(s, _)| *s)
    }
}

impl<T: Serialize + DeserializeOwned> EntryField for PQueue<T> {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let seq: u64 = key.parse().map_err(|_| Error::ActorError {
            reason: format!("stored queue key `{key}` is not a sequence number"),
        })?;
        let value = serde_json::from_str(json).map_err(entry_error)?;
        self.items.push_back((seq, value));
        self.next_back = self.next_back.max(seq.saturating_add(1)); // stored: never trusted to be small
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort_unstable();
        changed.dedup();
        for seq in changed {
            let key = format!("{prefix}{seq:020}");
            match self.position_of(seq) {
                Ok(at) => batch.put(key, encode_entry(&self.items[at].1)?),
                Err(_) => batch.delete(key),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay<F: EntryField>(batches: &[WriteBatch], prefix: &str) -> F {
        let mut store = BTreeMap::new();
        for b in batches {
            for (k, v) in &b.puts {
                store.insert(k.clone(), v.clone());
            }
            for k in &b.deletes {
                store.remove(k);
            }
        }
        let mut field = F::default();
        for (k, v) in store {
            field.load_entry(&k[prefix.len()..], &v).unwrap();
        }
        field
    }

    fn drain<F: EntryField>(field: &mut F) -> WriteBatch {
        let mut batch = WriteBatch::default();
        field.drain_changes("e/q/", &mut batch).unwrap();
        batch
    }

    #[test]
    fn queue_writes_one_key_per_change_and_restores_in_order() {
        let mut q = PQueue::new();
        let mut batches = Vec::new();
        for i in 0..1000 {
            q.push_back(format!("t{i}"));
        }
        batches.push(drain(&mut q));
        q.pop_front();
        q.push_front("urgent".to_string());
        let one = drain(&mut q);
        // pop and push_front touch the same or adjacent keys: at most two writes.
        assert!(one.puts.len() + one.deletes.len() <= 2, "{one:?}");
        batches.push(one);
        let restored: PQueue<String> = replay(&batches, "e/q/");
        assert_eq!(
            restored.iter().collect::<Vec<_>>(),
            q.iter().collect::<Vec<_>>()
        );
        assert_eq!(restored.front().map(String::as_str), Some("urgent"));
    }

    #[test]
    fn map_writes_only_changed_entries() {
        let mut m = PMap::new();
        for i in 0..100 {
            m.insert(i, i * 2);
        }
        let first = drain(&mut m);
        assert_eq!(first.puts.len(), 100);
        m.remove(&7);
        *m.get_mut(&8).unwrap() = 0;
        let second = drain(&mut m);
        assert_eq!((second.puts.len(), second.deletes.len()), (1, 1));
        let restored: PMap<i32, i32> = replay(&[first, second], "e/q/");
        assert_eq!(restored.len(), 99);
        assert_eq!(restored.get(&8), Some(&0));
    }

    #[test]
    fn set_insert_is_idempotent() {
        let mut s = PSet::new();
        assert!(s.insert("a".to_string()));
        assert!(!s.insert("a".to_string()));
        assert_eq!(drain(&mut s).puts.len(), 1);
    }
}
