//! The active tasks: who holds each, since when and until when, with an index by expiry so
//! that one timer serves every lease (it is set for the earliest expiry). Persisted one
//! entry per task.

use duract::persist::entry_key;
use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Who holds an active task, since when, until when, and what the task asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The worker (shared with the roster).
    pub worker_id: SmolStr,
    /// When it was assigned (ms since the epoch).
    pub assigned_at: f64,
    /// When the lease runs out (ms since the epoch).
    pub expires_at: f64,
    /// The task's priority.
    pub priority: i64,
    /// The capability it requires.
    pub requires: Option<String>,
    /// The order leases were recorded in, set by [`Leases::insert`]: among leases that
    /// expire together, the earlier comes first. Stored, so a restored set keeps its order.
    #[serde(default)]
    pub order: u64,
}

/// A lease's expiry, ordered (`f64::total_cmp`), for the index.
#[derive(Debug, Clone, Copy)]
struct Expiry(f64);

impl PartialEq for Expiry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Expiry {}

impl PartialOrd for Expiry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Expiry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The stored key of the lease timer of earlier versions (the timer is now the framework's
/// named timer): removed when it is found.
const LEGACY_TIMER_KEY: &str = "timer";

/// A lease's place in the expiry index: its expiry, then its order.
type Place = (Expiry, u64);

fn place(lease: &Lease) -> Place {
    (Expiry(lease.expires_at), lease.order)
}

/// The active tasks, by task id. Finding a task
/// costs O(1), inserting, removing and finding the earliest expiry O(log n); each change
/// writes one key.
///
/// Every index is keyed by something compared in place (a hash, a number): at 10k active
/// tasks, a tree keyed by task id strings reads a cold string for each key it passes.
#[derive(Debug, Default)]
pub struct Leases {
    by_task: HashMap<SmolStr, Lease>,
    /// Derived: every lease by (expiry, order), earliest first. Also the order of pages.
    by_expiry: BTreeMap<Place, SmolStr>,
    /// The order the next lease recorded gets.
    next_order: u64,
    /// Writes since the last save, in order: (entry, JSON to put, or `None` to delete).
    /// Encoded when made, so that saving looks nothing up.
    changed: Vec<(Entry, Option<String>)>,
}

/// A stored entry of [`Leases`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Lease(SmolStr),
    LegacyTimer,
}

impl Leases {
    /// Records `task_id`'s lease (replacing any it had), after every lease recorded before.
    pub fn insert(&mut self, task_id: SmolStr, mut lease: Lease) -> Result<(), Error> {
        lease.order = self.next_order;
        let json = serde_json::to_string(&lease).map_err(stored)?;
        self.remove_if(&task_id, |_| true)?;
        self.index(task_id.clone(), lease);
        self.changed.push((Entry::Lease(task_id), Some(json)));
        Ok(())
    }

    /// Adds a lease to the indexes, in its order unless another lease that expires with it
    /// has that order (stored by a version that did not record orders).
    fn index(&mut self, task_id: SmolStr, mut lease: Lease) {
        if self.by_expiry.contains_key(&place(&lease)) {
            lease.order = self.next_order;
        }
        self.next_order = self.next_order.max(lease.order.saturating_add(1));
        self.by_expiry.insert(place(&lease), task_id.clone());
        self.by_task.insert(task_id, lease);
    }

    /// Removes `task_id`'s lease if `when` holds for it.
    pub fn remove_if(
        &mut self,
        task_id: &str,
        when: impl FnOnce(&Lease) -> bool,
    ) -> Result<Option<Lease>, Error> {
        if !self.by_task.get(task_id).is_some_and(when) {
            return Ok(None);
        }
        let Some((task_id, lease)) = self.by_task.remove_entry(task_id) else {
            return Ok(None);
        };
        self.by_expiry.remove(&place(&lease));
        self.changed.push((Entry::Lease(task_id), None));
        Ok(Some(lease))
    }

    /// Removes and returns the lease that ran out first, if it ran out at or before `now`.
    pub fn pop_expired(&mut self, now: f64) -> Result<Option<(SmolStr, Lease)>, Error> {
        let Some(((Expiry(at), _), task_id)) = self.by_expiry.first_key_value() else {
            return Ok(None);
        };
        if *at > now {
            return Ok(None);
        }
        let task_id = task_id.clone();
        let lease = self.remove_if(&task_id, |_| true)?;
        Ok(lease.map(|lease| (task_id, lease)))
    }

    /// When the first lease runs out.
    pub fn earliest_expiry(&self) -> Option<f64> {
        self.by_expiry
            .first_key_value()
            .map(|((Expiry(at), _), _)| *at)
    }

    /// Whether `task_id` is active.
    pub fn contains_key(&self, task_id: &str) -> bool {
        self.by_task.contains_key(task_id)
    }

    /// The number of active tasks.
    pub fn len(&self) -> usize {
        self.by_task.len()
    }

    /// Whether no task is active.
    pub fn is_empty(&self) -> bool {
        self.by_task.is_empty()
    }

    /// Active tasks, the earliest expiry first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Lease)> {
        self.page_from(LeaseCursor::FIRST)
            .map(|(_, task, lease)| (task, lease))
    }

    /// Active tasks, the earliest expiry first, from `cursor` on, each with its own cursor.
    pub fn page_from(
        &self,
        cursor: LeaseCursor,
    ) -> impl Iterator<Item = (LeaseCursor, &str, &Lease)> {
        self.by_expiry
            .range((Expiry(cursor.expires_at), cursor.order)..)
            .filter_map(|(&(Expiry(expires_at), order), task_id)| {
                let cursor = LeaseCursor { expires_at, order };
                Some((cursor, &**task_id, self.by_task.get(task_id)?))
            })
    }
}

/// A place in the order of [`Leases::page_from`]: a lease's expiry and order. Its text form
/// is `<expiry>/<order>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseCursor {
    expires_at: f64,
    order: u64,
}

impl LeaseCursor {
    /// Before every lease.
    pub const FIRST: LeaseCursor = LeaseCursor {
        expires_at: f64::NEG_INFINITY,
        order: 0,
    };

    /// Reads the text form; `None` if it is not one.
    pub fn parse(text: &str) -> Option<LeaseCursor> {
        let (expires_at, order) = text.split_once('/')?;
        Some(LeaseCursor {
            expires_at: expires_at.parse().ok()?,
            order: order.parse().ok()?,
        })
    }
}

impl fmt::Display for LeaseCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.expires_at, self.order)
    }
}

impl EntryField for Leases {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        if key == LEGACY_TIMER_KEY {
            self.changed.push((Entry::LegacyTimer, None));
            return Ok(());
        }
        let task_id: String = serde_json::from_str(key).map_err(stored)?;
        let lease: Lease = serde_json::from_str(json).map_err(stored)?;
        self.index(task_id.into(), lease);
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        // The last write of each entry wins: sort stably by entry, keep the last of each run.
        // (Drained, not taken: the list keeps its capacity for the next turn.)
        let changed = &mut self.changed;
        changed.reverse();
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        changed.dedup_by(|later, first| later.0 == first.0);
        for (entry, json) in changed.drain(..) {
            let key = match entry {
                Entry::Lease(task_id) => entry_key(prefix, &*task_id)?,
                Entry::LegacyTimer => format!("{prefix}{LEGACY_TIMER_KEY}"),
            };
            match json {
                Some(json) => batch.put(key, json),
                None => batch.delete(key),
            }
        }
        Ok(())
    }
}

fn stored(e: serde_json::Error) -> Error {
    Error::ActorError {
        reason: format!("stored lease: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(worker: &str, expires_at: f64) -> Lease {
        Lease {
            worker_id: worker.into(),
            assigned_at: expires_at - 10.0,
            expires_at,
            priority: 0,
            requires: None,
            order: 0,
        }
    }

    #[test]
    fn leases_run_out_earliest_first_and_only_when_due() {
        let mut l = Leases::default();
        l.insert("b".into(), lease("w1", 20.0)).unwrap();
        l.insert("a".into(), lease("w2", 30.0)).unwrap();
        l.insert("c".into(), lease("w3", 10.0)).unwrap();
        assert_eq!(l.earliest_expiry(), Some(10.0));
        assert_eq!(l.pop_expired(5.0).unwrap(), None);
        let expired: Vec<_> = std::iter::from_fn(|| l.pop_expired(20.0).unwrap())
            .map(|(task, _)| task.to_string())
            .collect();
        assert_eq!(expired, ["c", "b"]);
        assert_eq!(l.earliest_expiry(), Some(30.0));
    }

    #[test]
    fn a_removed_or_replaced_lease_leaves_the_expiry_index() {
        let mut l = Leases::default();
        l.insert("t".into(), lease("w1", 10.0)).unwrap();
        l.insert("t".into(), lease("w1", 50.0)).unwrap();
        assert_eq!(l.earliest_expiry(), Some(50.0));
        l.insert("t".into(), lease("w1", 50.0)).unwrap();
        assert_eq!(
            l.earliest_expiry(),
            Some(50.0),
            "replaced by an equal expiry"
        );
        assert_eq!(l.remove_if("t", |x| &*x.worker_id == "w2").unwrap(), None);
        assert!(l
            .remove_if("t", |x| &*x.worker_id == "w1")
            .unwrap()
            .is_some());
        assert_eq!((l.earliest_expiry(), l.len()), (None, 0));
    }

    #[test]
    fn the_last_write_of_a_key_in_a_turn_is_the_one_saved() {
        let mut l = Leases::default();
        l.insert("t".into(), lease("w1", 10.0)).unwrap();
        l.remove_if("t", |_| true).unwrap();
        l.insert("t".into(), lease("w2", 20.0)).unwrap();
        let mut batch = WriteBatch::default();
        l.drain_changes("p/", &mut batch).unwrap();
        assert_eq!(batch.puts.len(), 1);
        assert!(batch.puts[0].1.contains("w2"), "{:?}", batch.puts);
        assert!(batch.deletes.is_empty());
    }

    #[test]
    fn a_restored_set_of_leases_has_the_same_index() {
        let mut l = Leases::default();
        l.insert("t1".into(), lease("w1", 40.0)).unwrap();
        l.insert("t2".into(), lease("w2", 30.0)).unwrap();
        let mut batch = WriteBatch::default();
        l.drain_changes("e/active/", &mut batch).unwrap();
        let mut restored = Leases::default();
        for (k, v) in &batch.puts {
            restored.load_entry(&k["e/active/".len()..], v).unwrap();
        }
        assert_eq!(restored.earliest_expiry(), Some(30.0));
        assert_eq!(
            restored.iter().map(|(t, _)| t).collect::<Vec<_>>(),
            ["t2", "t1"],
            "earliest expiry first"
        );
    }

    #[test]
    fn an_earlier_versions_lease_timer_entry_is_deleted_on_the_next_save() {
        let mut l = Leases::default();
        l.load_entry(LEGACY_TIMER_KEY, r#"{"due":1,"id":"x"}"#)
            .unwrap();
        let mut batch = WriteBatch::default();
        l.drain_changes("e/active/", &mut batch).unwrap();
        assert_eq!(batch.deletes, ["e/active/timer"]);
    }

    #[test]
    fn leases_stored_without_an_order_all_load_into_the_index() {
        let mut l = Leases::default();
        let json = r#"{"workerId":"w","assignedAt":0,"expiresAt":10,"priority":0,"requires":null}"#;
        l.load_entry(r#""a""#, json).unwrap();
        l.load_entry(r#""b""#, json).unwrap();
        let ids: Vec<_> = l.iter().map(|(t, _)| t).collect();
        assert_eq!(ids, ["a", "b"]);
        l.insert("c".into(), lease("w", 10.0)).unwrap();
        let expired: Vec<_> = std::iter::from_fn(|| l.pop_expired(10.0).unwrap())
            .map(|(task, _)| task.to_string())
            .collect();
        assert_eq!(expired, ["a", "b", "c"]);
    }
}
