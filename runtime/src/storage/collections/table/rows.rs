//! A [`Table`](super::Table)'s rows in memory, their derived index, and their storage rows.

use super::{Indexed, Row};
use crate::error::Error;
use crate::storage::WriteBatch;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::Hash;
use std::ops::{Bound, RangeBounds};

/// A stored row: its place in insertion order and its value.
#[derive(Debug, Clone)]
pub(super) struct Slot<V> {
    pub(super) seq: i64,
    pub(super) value: V,
}

/// The derived index: every (index key, seq) of every row, and the rows per index key.
#[derive(Clone)]
struct Index<I, K> {
    order: BTreeMap<(I, i64), K>,
    counts: HashMap<I, usize>,
}

impl<I: Ord + Hash + Clone, K: Clone> Index<I, K> {
    fn add<V: Indexed<Index = I>>(&mut self, key: &K, seq: i64, value: &V) {
        for index in value.index() {
            self.add_one::<V>(key, seq, index);
        }
    }

    fn remove<V: Indexed<Index = I>>(&mut self, seq: i64, value: &V) {
        for index in value.index() {
            self.remove_one::<V>(seq, index);
        }
    }

    /// Moves a row from its keys `before` (distinct; emptied) to the keys of `value`, leaving
    /// the keys it keeps in place.
    fn reindex<V: Indexed<Index = I>>(
        &mut self,
        key: &K,
        seq: i64,
        before: &mut Vec<I>,
        value: &V,
    ) {
        for index in value.index() {
            match before.iter().position(|kept| *kept == index) {
                Some(at) => drop(before.swap_remove(at)),
                None => self.add_one::<V>(key, seq, index),
            }
        }
        for index in before.drain(..) {
            self.remove_one::<V>(seq, index);
        }
    }

    fn add_one<V: Indexed<Index = I>>(&mut self, key: &K, seq: i64, index: I) {
        let counted = V::COUNTED.then(|| index.clone());
        if self.order.insert((index, seq), key.clone()).is_none() {
            if let Some(index) = counted {
                *self.counts.entry(index).or_default() += 1;
            }
        }
    }

    fn remove_one<V: Indexed<Index = I>>(&mut self, seq: i64, index: I) {
        let Some(((index, _), _)) = self.order.remove_entry(&(index, seq)) else {
            return;
        };
        if let Some(n) = self.counts.get_mut(&index).filter(|_| V::COUNTED) {
            *n -= 1;
            if *n == 0 {
                self.counts.remove(&index);
            }
        }
    }
}

/// Collects the distinct index keys of `value` into `keys`.
fn keys_of<V: Indexed>(keys: &mut Vec<V::Index>, value: &V) {
    keys.clear();
    keys.extend(value.index());
    keys.sort_unstable();
    keys.dedup();
}

/// A table's rows in memory: by key, their index, and what changed since the last save.
#[derive(Clone)]
pub(super) struct Rows<K, V: Indexed> {
    map: HashMap<K, Slot<V>>,
    index: Index<V::Index, K>,
    /// The seq the next row inserted at the back takes, and at the front.
    back: i64,
    front: i64,
    /// `back` and `front` at the last save: seqs beyond them were taken since, so storage
    /// has no row at them.
    saved_back: i64,
    saved_front: i64,
    /// The rows changed since the last save, by seq: the key of a row set, `None` for a row
    /// removed (a seq is never taken again, so a removal is its last change).
    changed: Vec<(i64, Option<K>)>,
    /// The index keys of a row being changed (kept for its capacity).
    scratch: Vec<V::Index>,
}

impl<K, V: Indexed> Default for Rows<K, V> {
    fn default() -> Self {
        Rows {
            map: HashMap::new(),
            index: Index {
                order: BTreeMap::new(),
                counts: HashMap::new(),
            },
            back: 0,
            front: -1,
            saved_back: 0,
            saved_front: -1,
            changed: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Indexed> Rows<K, V> {
    /// The number of rows.
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// The value of `key`.
    pub(super) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|slot| &slot.value)
    }

    /// Whether `key` has a row.
    pub(super) fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// The rows, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().map(|(k, slot)| (k, &slot.value))
    }

    /// Sets the row of `key`, returning the old value: a new key goes after every row, an
    /// existing one keeps its place.
    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.map.entry(key) {
            Entry::Occupied(mut row) => {
                let seq = row.get().seq;
                let old = std::mem::replace(&mut row.get_mut().value, value);
                keys_of(&mut self.scratch, &old);
                (self.index).reindex(row.key(), seq, &mut self.scratch, &row.get().value);
                self.changed.push((seq, Some(row.key().clone())));
                Some(old)
            }
            Entry::Vacant(row) => {
                let seq = self.back;
                self.back = self.back.saturating_add(1);
                self.index.add(row.key(), seq, &value);
                self.changed.push((seq, Some(row.key().clone())));
                row.insert(Slot { seq, value });
                None
            }
        }
    }

    /// Sets the row of `key` before every row (moving it there if it has one), returning the
    /// old value.
    pub(super) fn insert_front(&mut self, key: K, value: V) -> Option<V> {
        let old = self.remove(&key);
        let seq = self.front;
        self.front = self.front.saturating_sub(1);
        self.place(key, seq, value);
        old
    }

    /// Changes the row of `key` with `change` (its index keys follow), returning what
    /// `change` returns; `None` when `key` has no row. The row is written at the next save,
    /// changed or not: skip the call when nothing changes.
    pub(super) fn update<Q, R>(&mut self, key: &Q, change: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (key, slot) = self.map.get_key_value(key)?;
        let key = key.clone();
        keys_of(&mut self.scratch, &slot.value);
        let slot = self.map.get_mut::<K>(&key)?;
        let result = change(&mut slot.value);
        (self.index).reindex(&key, slot.seq, &mut self.scratch, &slot.value);
        self.changed.push((slot.seq, Some(key)));
        Some(result)
    }

    /// Removes the row of `key`, returning its value.
    pub(super) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let slot = self.map.remove(key)?;
        self.index.remove(slot.seq, &slot.value);
        self.changed.push((slot.seq, None));
        Some(slot.value)
    }

    /// Removes the row of `key` if `when` holds for its value, returning the value.
    pub(super) fn remove_if<Q>(&mut self, key: &Q, when: impl FnOnce(&V) -> bool) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.get(key).is_some_and(when) {
            return None;
        }
        self.remove(key)
    }

    /// The first row (in insertion order) whose index key is `index`.
    pub(super) fn first(&self, index: &V::Index) -> Option<Row<'_, V::Index, K, V>> {
        self.range((Bound::Included(index), Bound::Included(index)))
            .next()
    }

    /// The rows whose index key is `index`, in insertion order.
    pub(super) fn rows<'a>(
        &'a self,
        index: &'a V::Index,
    ) -> impl DoubleEndedIterator<Item = Row<'a, V::Index, K, V>> + 'a {
        self.range((Bound::Included(index), Bound::Included(index)))
    }

    /// The first row whose index key is in `range`.
    pub(super) fn first_in(
        &self,
        range: impl RangeBounds<V::Index>,
    ) -> Option<Row<'_, V::Index, K, V>> {
        self.range(range).next()
    }

    /// The rows whose index keys are in `range`, in index order (a row appears once for
    /// each of its index keys in `range`).
    pub(super) fn range(
        &self,
        range: impl RangeBounds<V::Index>,
    ) -> impl DoubleEndedIterator<Item = Row<'_, V::Index, K, V>> {
        let start = match range.start_bound() {
            Bound::Included(i) => Bound::Included((i.clone(), i64::MIN)),
            Bound::Excluded(i) => Bound::Excluded((i.clone(), i64::MAX)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let end = match range.end_bound() {
            Bound::Included(i) => Bound::Included((i.clone(), i64::MAX)),
            Bound::Excluded(i) => Bound::Excluded((i.clone(), i64::MIN)),
            Bound::Unbounded => Bound::Unbounded,
        };
        self.rows_of(self.index.order.range((start, end)))
    }

    /// The rows in index order from the place (`index`, `seq`) on, that place included: where
    /// a page that ended before [`Row`] `{index, seq, ..}` goes on.
    pub(super) fn range_from(
        &self,
        index: V::Index,
        seq: i64,
    ) -> impl DoubleEndedIterator<Item = Row<'_, V::Index, K, V>> {
        self.rows_of(self.index.order.range((index, seq)..))
    }

    /// Removes the first row whose index key is in `range`, returning its key and value.
    pub(super) fn pop_first(&mut self, range: impl RangeBounds<V::Index>) -> Option<(K, V)> {
        let key = self.first_in(range)?.key.clone();
        let value = self.remove(&key)?;
        Some((key, value))
    }

    /// The number of rows whose index key is `index`.
    pub(super) fn count(&self, index: &V::Index) -> usize {
        if V::COUNTED {
            self.index.counts.get(index).copied().unwrap_or(0)
        } else {
            self.rows(index).count()
        }
    }

    pub(super) fn rows_of<'a>(
        &'a self,
        entries: impl DoubleEndedIterator<Item = (&'a (V::Index, i64), &'a K)> + 'a,
    ) -> impl DoubleEndedIterator<Item = Row<'a, V::Index, K, V>> + 'a {
        let rows = &self.map;
        entries.map(move |((index, seq), key)| Row {
            index,
            seq: *seq,
            key,
            rows,
        })
    }

    /// Adds a row at `seq` (its key has none).
    fn place(&mut self, key: K, seq: i64, value: V) {
        self.index.add(&key, seq, &value);
        self.changed.push((seq, Some(key.clone())));
        self.map.insert(key, Slot { seq, value });
    }
}

/// The storage key of the row at `seq`: `seq` moved to unsigned (order kept), 20 digits.
/// (Sized first: `format!` would grow the text two or three times.)
pub(super) fn row_key(prefix: &str, seq: i64) -> String {
    let mut key = String::with_capacity(prefix.len() + 20);
    key.push_str(prefix);
    let _ = write!(key, "{:020}", (seq as u64) ^ (1 << 63)); // writing to a String never fails
    key
}

/// The seq of a stored row's key (after the field's prefix).
pub(super) fn parse_seq(key: &str) -> Option<i64> {
    if key.len() != 20 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((key.parse::<u64>().ok()? ^ (1 << 63)) as i64)
}

fn stored(reason: String) -> Error {
    Error::ActorError {
        reason: format!("stored table row: {reason}"),
    }
}

impl<K, V> Rows<K, V>
where
    K: Hash + Eq + Clone + Serialize + DeserializeOwned,
    V: Indexed + Serialize + DeserializeOwned,
{
    /// Restores one stored row (`key` without the field's prefix).
    pub(super) fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let seq = parse_seq(key).ok_or_else(|| stored(format!("key `{key}`")))?;
        let (row_key, value): (K, V) =
            serde_json::from_str(json).map_err(|e| stored(format!("`{key}`: {e}")))?;
        self.back = self.back.max(seq.saturating_add(1));
        self.front = self.front.min(seq.saturating_sub(1));
        // Only storage can hold a key twice: the later row wins, the earlier is deleted at
        // the next save.
        self.remove(&row_key);
        self.place(row_key, seq, value);
        self.changed.pop(); // loaded as stored
        (self.saved_back, self.saved_front) = (self.back, self.front);
        Ok(())
    }

    /// Moves the writes of the rows changed since the last call into `batch`.
    pub(super) fn drain_changes(
        &mut self,
        prefix: &str,
        batch: &mut WriteBatch,
    ) -> Result<(), Error> {
        // One write per seq: its removal if it has one (sorted first), else the row as the
        // table holds it now. A row added and removed since the last save was never stored.
        // (Drained, not taken: the journal keeps its capacity for the next turn.)
        let (saved_back, saved_front) = (self.saved_back, self.saved_front);
        (self.saved_back, self.saved_front) = (self.back, self.front);
        let changed = &mut self.changed;
        changed.sort_unstable_by_key(|(seq, key)| (*seq, key.is_some()));
        changed.dedup_by_key(|(seq, _)| *seq);
        for (seq, key) in changed.drain(..) {
            let storage_key = row_key(prefix, seq);
            let row = key.as_ref().and_then(|key| Some((key, self.map.get(key)?)));
            match row.filter(|(_, slot)| slot.seq == seq) {
                Some((key, slot)) => {
                    let json = serde_json::to_string(&(key, &slot.value)).map_err(|e| {
                        Error::ActorError {
                            reason: format!("cannot encode a table row: {e}"),
                        }
                    })?;
                    batch.put(storage_key, json);
                }
                None if saved_front < seq && seq < saved_back => batch.delete(storage_key),
                None => {}
            }
        }
        Ok(())
    }
}
