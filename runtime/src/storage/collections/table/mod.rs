//! [`Table`]: rows persisted one key each, with a derived ordered index, loaded on first use.

mod rows;

use crate::error::Error;
use crate::persist::{meta_key, EntryField};
use crate::storage::{ReadNow, WriteBatch};
use rows::{Rows, Slot};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Borrow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::ops::RangeBounds;
use std::rc::Rc;

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

/// A map persisted one row per key, with an ordered index derived from its rows (see the
/// [module](crate::collections) for an example).
///
/// - **Storage**: the field `#[persist(entries)] name: Table<K, V>` stores each row under
///   `e/<name>/<seq>` (its place in insertion order, 20 digits, so storage lists rows in that
///   order) as the JSON `[key, value]`; a save writes only the rows changed since the last.
///   From [`COUNTED_FROM`] rows on, the table also keeps its row count under `m/<name>`,
///   written when it changes.
/// - **Loading**: a table whose count is stored, where storage can be read without awaiting
///   (SQLite-backed Durable Objects, [`MemoryStorage`](crate::MemoryStorage)), leaves its rows
///   in storage when the actor activates and loads them on the first call that needs them:
///   [`len`](Table::len) and [`is_empty`](Table::is_empty) answer from the count. If that read
///   fails, the table is empty for the rest of the turn and the turn fails (`actor_error`);
///   the next turn reads again. Otherwise (fewer rows, KV-backed objects, a migration) the
///   rows load with the state.
/// - **Index**: each row's [`Indexed::index`] keys, ordered by key then insertion order;
///   rebuilt as the rows load, never stored.
/// - **Order**: [`insert`](Table::insert) places a new key after every row,
///   [`insert_front`](Table::insert_front) before every row; replacing or updating a row keeps
///   its place.
#[derive(Clone)]
pub struct Table<K, V: Indexed> {
    /// The rows, once loaded.
    in_memory: OnceCell<Rows<K, V>>,
    /// Rows left in storage when the actor activated, read on first use.
    unread: RefCell<Option<Unread<K, V>>>,
    /// Why reading them failed: the turn fails at its save.
    unreadable: RefCell<Option<String>>,
    /// The row count storage holds (`m/<name>`): `Some(None)` when absent, `None` when
    /// unknown (what it holds does not read as a count: the next save rewrites it).
    saved_count: Option<Option<usize>>,
}

/// From how many rows a table keeps its count in storage (and can leave its rows there when
/// the actor activates): below it, loading the rows costs less than writing the count with
/// every change of the table's length.
pub const COUNTED_FROM: usize = 1024;

/// Restores one stored row (`key` after the field's prefix, its JSON) into rows being read.
type LoadRow<K, V> = fn(&mut Rows<K, V>, &str, &str) -> Result<(), Error>;

/// Rows left in storage: how many, where, and how to read them.
#[derive(Clone)]
struct Unread<K, V: Indexed> {
    len: usize,
    prefix: String,
    reader: Rc<dyn ReadNow>,
    load_row: LoadRow<K, V>,
}

impl<K, V: Indexed> Unread<K, V> {
    fn read(self) -> Result<Rows<K, V>, String> {
        let stored = self
            .reader
            .list_now(&self.prefix)
            .map_err(|e| e.to_string())?;
        let mut rows = Rows::default();
        for (key, json) in &stored {
            let entry = key.strip_prefix(&self.prefix).unwrap_or(key);
            (self.load_row)(&mut rows, entry, json).map_err(|e| e.to_string())?;
        }
        Ok(rows)
    }
}

impl<K, V: Indexed> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            in_memory: OnceCell::from(Rows::default()),
            unread: RefCell::new(None),
            unreadable: RefCell::new(None),
            saved_count: Some(None),
        }
    }
}

impl<K: Hash + Eq + Clone + fmt::Debug, V: Indexed + fmt::Debug> fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Hash + Eq + Clone, V: Indexed> Table<K, V> {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// The rows, read from storage first if they are still there.
    fn loaded(&self) -> &Rows<K, V> {
        self.in_memory.get_or_init(|| self.read_unread())
    }

    fn loaded_mut(&mut self) -> &mut Rows<K, V> {
        self.loaded();
        self.in_memory.get_mut().expect("loaded just above")
    }

    /// The rows left in storage, or none if reading them failed (the failure is kept for
    /// the save to report).
    fn read_unread(&self) -> Rows<K, V> {
        let Some(unread) = self.unread.borrow_mut().take() else {
            return Rows::default();
        };
        unread.read().unwrap_or_else(|reason| {
            *self.unreadable.borrow_mut() = Some(reason);
            Rows::default()
        })
    }

    /// The number of rows (from the stored count while the rows are still in storage).
    pub fn len(&self) -> usize {
        match self.in_memory.get() {
            Some(rows) => rows.len(),
            None => self.unread.borrow().as_ref().map_or(0, |unread| unread.len),
        }
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.loaded().get(key)
    }

    /// Whether `key` has a row.
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.loaded().contains_key(key)
    }

    /// The rows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.loaded().iter()
    }

    /// Sets the row of `key`, returning the old value: a new key goes after every row, an
    /// existing one keeps its place.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.loaded_mut().insert(key, value)
    }

    /// Sets the row of `key` before every row (moving it there if it has one), returning the
    /// old value.
    pub fn insert_front(&mut self, key: K, value: V) -> Option<V> {
        self.loaded_mut().insert_front(key, value)
    }

    /// Changes the row of `key` with `change` (its index keys follow), returning what
    /// `change` returns; `None` when `key` has no row. The row is written at the next save,
    /// changed or not: skip the call when nothing changes.
    pub fn update<Q, R>(&mut self, key: &Q, change: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.loaded_mut().update(key, change)
    }

    /// Removes the row of `key`, returning its value.
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.loaded_mut().remove(key)
    }

    /// Removes the row of `key` if `when` holds for its value, returning the value.
    pub fn remove_if<Q>(&mut self, key: &Q, when: impl FnOnce(&V) -> bool) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.loaded_mut().remove_if(key, when)
    }

    /// The first row (in insertion order) whose index key is `index`.
    pub fn first(&self, index: &V::Index) -> Option<Row<'_, V::Index, K, V>> {
        self.loaded().first(index)
    }

    /// The rows whose index key is `index`, in insertion order.
    pub fn rows<'a>(
        &'a self,
        index: &'a V::Index,
    ) -> impl DoubleEndedIterator<Item = Row<'a, V::Index, K, V>> + 'a {
        self.loaded().rows(index)
    }

    /// The first row whose index key is in `range`.
    pub fn first_in(&self, range: impl RangeBounds<V::Index>) -> Option<Row<'_, V::Index, K, V>> {
        self.loaded().first_in(range)
    }

    /// The rows whose index keys are in `range`, in index order (a row appears once for
    /// each of its index keys in `range`).
    pub fn range(
        &self,
        range: impl RangeBounds<V::Index>,
    ) -> impl DoubleEndedIterator<Item = Row<'_, V::Index, K, V>> {
        self.loaded().range(range)
    }

    /// The rows in index order from the place (`index`, `seq`) on, that place included: where
    /// a page that ended before [`Row`] `{index, seq, ..}` goes on.
    pub fn range_from(
        &self,
        index: V::Index,
        seq: i64,
    ) -> impl DoubleEndedIterator<Item = Row<'_, V::Index, K, V>> {
        self.loaded().range_from(index, seq)
    }

    /// Removes the first row whose index key is in `range`, returning its key and value.
    pub fn pop_first(&mut self, range: impl RangeBounds<V::Index>) -> Option<(K, V)> {
        self.loaded_mut().pop_first(range)
    }

    /// The number of rows whose index key is `index`.
    pub fn count(&self, index: &V::Index) -> usize {
        self.loaded().count(index)
    }
}

impl<K, V> EntryField for Table<K, V>
where
    K: Hash + Eq + Clone + Serialize + DeserializeOwned,
    V: Indexed + Serialize + DeserializeOwned,
{
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        self.loaded_mut().load_entry(key, json)
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        if let Some(reason) = self.unreadable.borrow().as_ref() {
            return Err(Error::ActorError {
                reason: format!("the rows of table `{prefix}` could not be read: {reason}"),
            });
        }
        let count = Some(self.len()).filter(|&len| len >= COUNTED_FROM);
        if let Some(rows) = self.in_memory.get_mut() {
            rows.drain_changes(prefix, batch)?;
        }
        if self.saved_count != Some(count) {
            match count {
                None => batch.delete(meta_key(prefix)),
                Some(n) => batch.put(meta_key(prefix), n.to_string()),
            }
            self.saved_count = Some(count);
        }
        Ok(())
    }

    fn keeps_meta(&self) -> bool {
        true
    }

    fn defer_entries(
        &mut self,
        prefix: &str,
        meta: Option<&str>,
        reader: Option<Rc<dyn ReadNow>>,
    ) -> bool {
        let Some(text) = meta else {
            self.saved_count = Some(None); // a small table, or rows stored before counts were
            return false;
        };
        let Ok(len) = text.trim().parse::<usize>() else {
            self.saved_count = None; // rewritten at the next save
            return false;
        };
        self.saved_count = Some(Some(len));
        let Some(reader) = reader else {
            return false;
        };
        self.in_memory = OnceCell::new();
        *self.unread.get_mut() = Some(Unread {
            len,
            prefix: prefix.to_owned(),
            reader,
            load_row: Rows::load_entry,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::rows::{parse_seq, row_key};
    use super::*;
    use serde::Deserialize;
    use std::cmp::Reverse;
    use std::collections::BTreeMap;

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
        for (key, json) in store
            .range("e/t/".to_owned()..)
            .take_while(|(k, _)| k.starts_with("e/t/"))
        {
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

    /// A reader over `store` that counts its reads, or fails every one.
    struct Reader {
        store: crate::MemoryStorage,
        reads: std::cell::Cell<u32>,
        fail: bool,
    }

    impl ReadNow for Reader {
        fn list_now(&self, prefix: &str) -> Result<Vec<(String, String)>, crate::StorageError> {
            self.reads.set(self.reads.get() + 1);
            if self.fail {
                return Err(crate::StorageError {
                    reason: "disk on fire".into(),
                });
            }
            crate::Storage::reader(&self.store)
                .unwrap()
                .list_now(prefix)
        }
    }

    /// A table of `COUNTED_FROM` jobs `n0`, `n1`, … of priority 1, then `extra`.
    fn counted(extra: &[(&str, i64)]) -> Table<String, Job> {
        let mut jobs = Table::new();
        for i in 0..COUNTED_FROM {
            jobs.insert(format!("n{i}"), job(None, 1));
        }
        for (key, priority) in extra {
            jobs.insert((*key).to_owned(), job(None, *priority));
        }
        jobs
    }

    /// A reader over what `jobs` saves, and the count it saved.
    fn saved(jobs: &mut Table<String, Job>, fail: bool) -> (Rc<Reader>, String) {
        use crate::Storage;
        let batch = drain(jobs);
        let count = batch
            .puts
            .iter()
            .find(|(k, _)| k == "m/t")
            .unwrap()
            .1
            .clone();
        let store = crate::MemoryStorage::new();
        crate::block_on(store.write(batch)).unwrap();
        let reads = std::cell::Cell::new(0);
        (Rc::new(Reader { store, reads, fail }), count)
    }

    fn deferred(reader: &Rc<Reader>, count: &str) -> Table<String, Job> {
        let mut table = Table::new();
        let reader: Rc<dyn ReadNow> = reader.clone();
        assert!(table.defer_entries("e/t/", Some(count), Some(reader)));
        table
    }

    #[test]
    fn rows_left_in_storage_load_on_first_use_and_the_count_needs_none() {
        let mut jobs = counted(&[("a", 0), ("b", 5), ("c", 0)]);
        jobs.insert_front("z".to_owned(), job(None, 0));
        let n = COUNTED_FROM + 4;
        let (reader, count) = saved(&mut jobs, false);
        assert_eq!(count, n.to_string());
        let mut lazy = deferred(&reader, &count);
        assert_eq!(
            (lazy.len(), lazy.is_empty(), reader.reads.get()),
            (n, false, 0)
        );
        assert!(
            drain(&mut lazy).is_empty(),
            "an unread table has nothing to save"
        );
        assert_eq!(lazy.get("b"), Some(&job(None, 5)));
        let best: Vec<_> = keys(lazy.range(..)).into_iter().take(3).collect();
        assert_eq!(best, ["b", "n0", "n1"]);
        assert_eq!(keys(lazy.rows(&(None, Reverse(0)))), ["z", "a", "c"]);
        assert_eq!(lazy.count(&(None, Reverse(0))), 3);
        assert_eq!(reader.reads.get(), 1, "read once");
        lazy.insert("d".into(), job(None, 0));
        let batch = drain(&mut lazy);
        assert_eq!(batch.puts.len(), 2, "the new row and the count: {batch:?}");
        assert_eq!(batch.puts[1], ("m/t".to_owned(), (n + 1).to_string()));
        // A change is the first use too.
        let mut lazy = deferred(&reader, &count);
        assert_eq!(lazy.remove("a"), Some(job(None, 0)));
        assert_eq!((lazy.len(), reader.reads.get()), (n - 1, 2));
    }

    #[test]
    fn the_count_is_kept_from_counted_from_rows_on() {
        let mut jobs = counted(&[]);
        let batch = drain(&mut jobs);
        assert_eq!(batch.puts.last().unwrap().0, "m/t");
        jobs.remove("n0");
        let batch = drain(&mut jobs);
        assert_eq!(batch.deletes, [row_key("e/t/", 0), "m/t".to_owned()]);
        jobs.remove("n1");
        assert_eq!(
            drain(&mut jobs).deletes,
            [row_key("e/t/", 1)],
            "no count to delete"
        );
    }

    #[test]
    fn a_failed_read_leaves_the_table_empty_and_fails_the_save() {
        let mut jobs = counted(&[("a", 0)]);
        let (reader, count) = saved(&mut jobs, true);
        let mut lazy = deferred(&reader, &count);
        assert_eq!(lazy.len(), COUNTED_FROM + 1, "the count, before the read");
        assert!(!lazy.contains_key("a"));
        assert_eq!(lazy.len(), 0, "what the turn sees once the read failed");
        let error = lazy.drain_changes("e/t/", &mut WriteBatch::default());
        let error = error.unwrap_err().to_string();
        assert!(
            error.contains("could not be read") && error.contains("disk on fire"),
            "{error}"
        );
    }

    #[test]
    fn without_a_reader_or_a_count_the_rows_load_now_and_a_wrong_count_is_rewritten() {
        let (reader, count) = saved(&mut counted(&[]), false);
        let reader: Rc<dyn ReadNow> = reader;
        let mut other: Table<String, Job> = Table::new();
        assert!(
            !other.defer_entries("e/t/", None, Some(reader.clone())),
            "no count"
        );
        assert!(
            !other.defer_entries("e/t/", Some("many"), Some(reader)),
            "not a count"
        );
        let mut table: Table<String, Job> = Table::new();
        assert!(
            !table.defer_entries("e/t/", Some(&count), None),
            "no reader"
        );
        table
            .load_entry(&row_key("", 0), r#"["a",[null,0]]"#)
            .unwrap();
        let batch = drain(&mut table);
        assert_eq!(batch.deletes, ["m/t"], "no count for one row");
    }
}
