//! [`Table`]: rows persisted one key each, with a derived ordered index.

use crate::error::Error;
use crate::persist::EntryField;
use crate::storage::WriteBatch;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::hash::Hash;
use std::ops::{Bound, RangeBounds};

/// A row type of a [`Table`]: the keys it has in the table's index.
///
/// The index orders rows by index key, then by insertion order. A row may have no index key,
/// one, or several (an enum or a tuple tells several indexes apart); they must depend only on
/// the row, and the table recomputes them whenever it changes the row.
pub trait Indexed {
    /// What the index orders rows by.
    type Index: Ord + Hash + Clone;

    /// Whether the table counts the rows of each index key, so [`Table::count`] is O(1) (a
    /// hash update per change of a row; without it, `count` walks the rows of the key).
    const COUNTED: bool = false;

    /// The row's index keys.
    fn index(&self) -> impl IntoIterator<Item = Self::Index>;
}

/// A row as an index finds it: its index key, place and key; its value on demand (the index
/// holds keys: reading only them looks nothing up).
pub struct Row<'a, I, K, V> {
    /// The index key it was found by.
    pub index: &'a I,
    /// Its place in insertion order: rows inserted at the back count up from 0, rows inserted
    /// at the front down from -1. With the index key, a cursor for [`Table::range_from`].
    pub seq: i64,
    /// Its key.
    pub key: &'a K,
    rows: &'a HashMap<K, Slot<V>>,
}

impl<'a, I, K: Hash + Eq, V> Row<'a, I, K, V> {
    /// Its value.
    pub fn value(&self) -> &'a V {
        let slot = self.rows.get(self.key);
        &slot.expect("the index is kept in step with the rows").value
    }
}

impl<I: fmt::Debug, K: fmt::Debug, V> fmt::Debug for Row<'_, I, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (index, seq, key) = (self.index, self.seq, self.key);
        f.debug_struct("Row")
            .field("index", index)
            .field("seq", &seq)
            .field("key", key)
            .finish()
    }
}

impl<I, K, V> Clone for Row<'_, I, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, K, V> Copy for Row<'_, I, K, V> {}

/// A stored row: its place in insertion order and its value.
#[derive(Debug, Clone)]
struct Slot<V> {
    seq: i64,
    value: V,
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

/// A map persisted one row per key, with an ordered index derived from its rows (see the
/// [module](crate::collections) for an example).
///
/// - **Storage**: the field `#[persist(entries)] name: Table<K, V>` stores each row under
///   `e/<name>/<seq>` (its place in insertion order, 20 digits, so storage lists rows in that
///   order) as the JSON `[key, value]`; a save writes only the rows changed since the last.
/// - **Index**: each row's [`Indexed::index`] keys, ordered by key then insertion order;
///   rebuilt as the rows load, never stored.
/// - **Order**: [`insert`](Table::insert) places a new key after every row,
///   [`insert_front`](Table::insert_front) before every row; replacing or updating a row keeps
///   its place.
#[derive(Clone)]
pub struct Table<K, V: Indexed> {
    rows: HashMap<K, Slot<V>>,
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

impl<K, V: Indexed> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            rows: HashMap::new(),
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

impl<K: fmt::Debug, V: Indexed + fmt::Debug> fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows.iter().map(|(k, slot)| (k, &slot.value));
        f.debug_map().entries(rows).finish()
    }
}

impl<K: Hash + Eq + Clone, V: Indexed> Table<K, V> {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The value of `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.rows.get(key).map(|slot| &slot.value)
    }

    /// Whether `key` has a row.
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.rows.contains_key(key)
    }

    /// The rows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.rows.iter().map(|(k, slot)| (k, &slot.value))
    }

    /// Sets the row of `key`, returning the old value: a new key goes after every row, an
    /// existing one keeps its place.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.rows.entry(key) {
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
    pub fn insert_front(&mut self, key: K, value: V) -> Option<V> {
        let old = self.remove(&key);
        let seq = self.front;
        self.front = self.front.saturating_sub(1);
        self.place(key, seq, value);
        old
    }

    /// Changes the row of `key` with `change` (its index keys follow), returning what
    /// `change` returns; `None` when `key` has no row. The row is written at the next save,
    /// changed or not: skip the call when nothing changes.
    pub fn update<Q, R>(&mut self, key: &Q, change: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (key, slot) = self.rows.get_key_value(key)?;
        let key = key.clone();
        keys_of(&mut self.scratch, &slot.value);
        let slot = self.rows.get_mut::<K>(&key)?;
        let result = change(&mut slot.value);
        (self.index).reindex(&key, slot.seq, &mut self.scratch, &slot.value);
        self.changed.push((slot.seq, Some(key)));
        Some(result)
    }

    /// Removes the row of `key`, returning its value.
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let slot = self.rows.remove(key)?;
        self.index.remove(slot.seq, &slot.value);
        self.changed.push((slot.seq, None));
        Some(slot.value)
    }

    /// Removes the row of `key` if `when` holds for its value, returning the value.
    pub fn remove_if<Q>(&mut self, key: &Q, when: impl FnOnce(&V) -> bool) -> Option<V>
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
    pub fn first(&self, index: &V::Index) -> Option<Row<'_, V::Index, K, V>> {
        self.range((Bound::Included(index), Bound::Included(index)))
            .next()
    }

    /// The rows whose index key is `index`, in insertion order.
    pub fn rows<'a>(
        &'a self,
        index: &'a V::Index,
    ) -> impl DoubleEndedIterator<Item = Row<'a, V::Index, K, V>> + 'a {
        self.range((Bound::Included(index), Bound::Included(index)))
    }

    /// The first row whose index key is in `range`.
    pub fn first_in(&self, range: impl RangeBounds<V::Index>) -> Option<Row<'_, V::Index, K, V>> {
        self.range(range).next()
    }

    /// The rows whose index keys are in `range`, in index order (a row appears once for
    /// each of its index keys in `range`).
    pub fn range(
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
    pub fn range_from(
        &self,
        index: V::Index,
        seq: i64,
    ) -> impl DoubleEndedIterator<Item = Row<'_, V::Index, K, V>> {
        self.rows_of(self.index.order.range((index, seq)..))
    }

    /// Removes the first row whose index key is in `range`, returning its key and value.
    pub fn pop_first(&mut self, range: impl RangeBounds<V::Index>) -> Option<(K, V)> {
        let key = self.first_in(range)?.key.clone();
        let value = self.remove(&key)?;
        Some((key, value))
    }

    /// The number of rows whose index key is `index`.
    pub fn count(&self, index: &V::Index) -> usize {
        if V::COUNTED {
            self.index.counts.get(index).copied().unwrap_or(0)
        } else {
            self.rows(index).count()
        }
    }

    fn rows_of<'a>(
        &'a self,
        entries: impl DoubleEndedIterator<Item = (&'a (V::Index, i64), &'a K)> + 'a,
    ) -> impl DoubleEndedIterator<Item = Row<'a, V::Index, K, V>> + 'a {
        let rows = &self.rows;
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
        self.rows.insert(key, Slot { seq, value });
    }
}

/// The storage key of the row at `seq`: `seq` moved to unsigned (order kept), 20 digits.
/// (Sized first: `format!` would grow the text two or three times.)
fn row_key(prefix: &str, seq: i64) -> String {
    let mut key = String::with_capacity(prefix.len() + 20);
    key.push_str(prefix);
    let _ = write!(key, "{:020}", (seq as u64) ^ (1 << 63)); // writing to a String never fails
    key
}

/// The seq of a stored row's key (after the field's prefix).
fn parse_seq(key: &str) -> Option<i64> {
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

impl<K, V> EntryField for Table<K, V>
where
    K: Hash + Eq + Clone + Serialize + DeserializeOwned,
    V: Indexed + Serialize + DeserializeOwned,
{
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
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

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
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
            let row = key
                .as_ref()
                .and_then(|key| Some((key, self.rows.get(key)?)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::cmp::Reverse;

    /// A job: what it needs, its priority.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Job(Option<String>, i64);

    impl Indexed for Job {
        type Index = (Option<String>, Reverse<i64>);
        const COUNTED: bool = true;
        fn index(&self) -> impl IntoIterator<Item = Self::Index> {
            [(self.0.clone(), Reverse(self.1))]
        }
    }

    /// A member: idle members are indexed by each of their skills; all by `()`... as `None`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Member {
        skills: Vec<String>,
        idle: bool,
    }

    impl Indexed for Member {
        type Index = Option<String>;
        fn index(&self) -> impl IntoIterator<Item = Option<String>> {
            let idle = self.skills.iter().cloned().map(Some).filter(|_| self.idle);
            std::iter::once(None).chain(idle)
        }
    }

    fn job(need: Option<&str>, priority: i64) -> Job {
        Job(need.map(Into::into), priority)
    }

    /// Every row a need may take, best first.
    fn class(need: Option<&str>) -> std::ops::RangeInclusive<(Option<String>, Reverse<i64>)> {
        let need = need.map(String::from);
        (need.clone(), Reverse(i64::MAX))..=(need, Reverse(i64::MIN))
    }

    fn keys<'a, I: 'a, V: 'a>(rows: impl Iterator<Item = Row<'a, I, String, V>>) -> Vec<&'a str> {
        rows.map(|row| row.key.as_str()).collect()
    }

    fn drain<K, V>(table: &mut Table<K, V>) -> WriteBatch
    where
        K: Hash + Eq + Clone + Serialize + DeserializeOwned,
        V: Indexed + Serialize + DeserializeOwned,
    {
        let mut batch = WriteBatch::default();
        table.drain_changes("e/t/", &mut batch).unwrap();
        batch
    }

    /// Applies `batches` to a store and loads a table from it, in key order.
    fn restore<K, V>(batches: &[WriteBatch]) -> Table<K, V>
    where
        K: Hash + Eq + Clone + Serialize + DeserializeOwned,
        V: Indexed + Serialize + DeserializeOwned,
    {
        let mut store = BTreeMap::new();
        for batch in batches {
            store.extend(batch.puts.iter().cloned());
            for key in &batch.deletes {
                store.remove(key);
            }
        }
        let mut table = Table::new();
        for (key, json) in &store {
            table.load_entry(&key["e/t/".len()..], json).unwrap();
        }
        table
    }

    #[test]
    fn rows_of_an_index_key_keep_insertion_order_and_the_front_comes_first() {
        let mut jobs = Table::new();
        for (key, priority) in [("a", 0), ("b", 5), ("c", 0)] {
            jobs.insert(key.to_owned(), job(None, priority));
        }
        jobs.insert_front("z".to_owned(), job(None, 0));
        jobs.insert("gpu".to_owned(), job(Some("gpu"), 9));
        assert_eq!(keys(jobs.range(class(None))), ["b", "z", "a", "c"]);
        assert_eq!(keys(jobs.rows(&(None, Reverse(0)))), ["z", "a", "c"]);
        assert_eq!(jobs.first_in(class(Some("gpu"))).unwrap().key, "gpu");
        assert_eq!(jobs.count(&(None, Reverse(0))), 3);
        assert_eq!(jobs.pop_first(class(None)).unwrap().0, "b");
        assert_eq!(jobs.pop_first(class(None)).unwrap().0, "z");
        assert_eq!((jobs.count(&(None, Reverse(0))), jobs.len()), (2, 3));
    }

    #[test]
    fn updates_move_a_row_between_index_keys_in_its_place() {
        let mut members = Table::new();
        for name in ["a", "b", "c"] {
            let skills = vec!["gpu".to_owned()];
            members.insert(name.to_owned(), Member { skills, idle: true });
        }
        let gpu = Some("gpu".to_owned());
        assert_eq!(keys(members.rows(&gpu)), ["a", "b", "c"]);
        assert_eq!(members.update("a", |m| m.idle = false), Some(()));
        assert_eq!(members.update("x", |m| m.idle = false), None);
        assert_eq!(keys(members.rows(&gpu)), ["b", "c"]);
        members.update("a", |m| m.idle = true);
        assert_eq!(
            keys(members.rows(&gpu)),
            ["a", "b", "c"],
            "back in its place"
        );
        assert_eq!(
            (members.count(&gpu), members.count(&None)),
            (3, 3),
            "counted by walking"
        );
        let replaced = members.insert(
            "b".into(),
            Member {
                skills: vec![],
                idle: true,
            },
        );
        assert!(replaced.is_some_and(|m| m.skills == ["gpu"]));
        assert_eq!(keys(members.rows(&gpu)), ["a", "c"]);
        assert_eq!(keys(members.rows(&None)), ["a", "b", "c"]);
        let twice = vec!["gpu".to_owned(), "gpu".to_owned()];
        members.update("a", |m| m.skills = twice);
        members.update("a", |m| m.skills.pop());
        assert_eq!(keys(members.rows(&gpu)), ["a", "c"], "a key a row repeats");
        assert!(members.remove_if("c", |m| !m.idle).is_none());
        assert!(members.remove_if("c", |m| m.idle).is_some());
        assert_eq!(keys(members.range(..)), ["a", "b", "a"]);
    }

    #[test]
    fn a_save_writes_each_changed_row_once_in_its_last_state() {
        let mut jobs = Table::new();
        for i in 0..1000 {
            jobs.insert(format!("t{i}"), job(None, 0));
        }
        let first = drain(&mut jobs);
        assert_eq!((first.puts.len(), first.deletes.len()), (1000, 0));
        assert!(drain(&mut jobs).is_empty(), "nothing changed since");
        jobs.update("t7", |j| j.1 = 3);
        jobs.update("t7", |j| j.1 = 4);
        jobs.remove("t8");
        jobs.insert("t9".into(), job(Some("gpu"), 0));
        jobs.insert_front("new".into(), job(None, 0));
        jobs.remove("new");
        let second = drain(&mut jobs);
        assert_eq!(
            (second.puts.len(), second.deletes.len()),
            (2, 1),
            "{second:?}"
        );
        assert_eq!(second.puts[0].1, r#"["t7",[null,4]]"#);
        assert_eq!(second.puts[1].1, r#"["t9",["gpu",0]]"#);
        let restored: Table<String, Job> = restore(&[first, second]);
        assert_eq!(restored.len(), 999);
        assert_eq!(restored.get("t7"), Some(&job(None, 4)));
        assert_eq!(restored.get("t9"), Some(&job(Some("gpu"), 0)));
    }

    #[test]
    fn a_restored_table_has_the_same_order_index_and_counts() {
        let mut jobs = Table::new();
        for (key, priority) in [("a", 0), ("b", 5), ("c", 0)] {
            jobs.insert(key.to_owned(), job(None, priority));
        }
        jobs.insert_front("z".to_owned(), job(None, 0));
        let mut restored: Table<String, Job> = restore(&[drain(&mut jobs)]);
        assert_eq!(keys(restored.range(..)), ["b", "z", "a", "c"]);
        assert_eq!(restored.count(&(None, Reverse(0))), 3);
        restored.insert("d".into(), job(None, 0));
        restored.insert_front("y".into(), job(None, 0));
        assert_eq!(
            keys(restored.range(..)),
            ["b", "y", "z", "a", "c", "d"],
            "new rows go around the restored ones"
        );
    }

    #[test]
    fn range_from_resumes_at_a_rows_place() {
        let mut jobs = Table::new();
        for i in 0..6 {
            jobs.insert(format!("t{i}"), job(None, i % 2));
        }
        let all: Vec<_> = jobs.range(..).map(|r| (r.index.clone(), r.seq)).collect();
        let (index, seq) = all[3].clone();
        assert_eq!(keys(jobs.range_from(index, seq)), ["t0", "t2", "t4"]);
        assert_eq!(
            jobs.range_from((None, Reverse(i64::MIN)), i64::MAX).count(),
            0
        );
    }

    #[test]
    fn storage_keys_sort_in_insertion_order_across_the_front_and_the_back() {
        let seqs = [i64::MIN, -100, -1, 0, 9, 10, 99_999, i64::MAX];
        let keys: Vec<String> = seqs.iter().map(|&s| row_key("", s)).collect();
        assert!(keys.is_sorted(), "{keys:?}");
        for (&seq, key) in seqs.iter().zip(&keys) {
            assert_eq!(parse_seq(key), Some(seq));
        }
    }

    #[test]
    fn a_malformed_row_is_an_error_that_names_it_and_a_repeated_key_heals() {
        let mut jobs: Table<String, Job> = Table::new();
        for (key, json) in [
            ("12", r#"["t",[null,0]]"#),
            ("09223372036854775808", r#""t""#),
        ] {
            let error = jobs.load_entry(key, json).unwrap_err().to_string();
            assert!(error.contains("stored table row"), "{error}");
        }
        jobs.load_entry(&row_key("", 0), r#"["t",[null,1]]"#)
            .unwrap();
        jobs.load_entry(&row_key("", 1), r#"["t",[null,2]]"#)
            .unwrap();
        assert_eq!((jobs.len(), jobs.get("t")), (1, Some(&job(None, 2))));
        assert_eq!(keys(jobs.range(..)), ["t"]);
        let batch = drain(&mut jobs);
        assert_eq!(
            (batch.puts.len(), batch.deletes),
            (0, vec![row_key("e/t/", 0)])
        );
    }
}
