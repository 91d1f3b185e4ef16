//! The active tasks: who holds each, since when and until when, with an index by expiry so
//! that one timer serves every lease (it is set for the earliest expiry). Persisted one
//! entry per task.

use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Who holds an active task, since when, until when, and what the task asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The worker.
    pub worker_id: String,
    /// When it was assigned (ms since the epoch).
    pub assigned_at: f64,
    /// When the lease runs out (ms since the epoch).
    pub expires_at: f64,
    /// The task's priority.
    pub priority: i64,
    /// The capability it requires.
    pub requires: Option<String>,
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

/// The active tasks, by task id. Insert, remove and finding the earliest expiry cost
/// O(log n); each change writes one key.
#[derive(Debug, Default)]
pub struct Leases {
    /// Boxed: a tree node of unboxed leases passes 1 KiB, where glibc's malloc (and
    /// dlmalloc in wasm) stops serving from its fast caches and starts consolidating.
    by_task: BTreeMap<String, Box<Lease>>,
    /// Derived: (expiry, task) of every lease, earliest first.
    by_expiry: BTreeSet<(Expiry, String)>,
    changed: Vec<String>,
}

impl Leases {
    /// Records `task_id`'s lease (replacing any it had).
    pub fn insert(&mut self, task_id: String, lease: Lease) {
        self.by_expiry
            .insert((Expiry(lease.expires_at), task_id.clone()));
        if let Some(old) = self.by_task.insert(task_id.clone(), Box::new(lease)) {
            self.by_expiry
                .remove(&(Expiry(old.expires_at), task_id.clone()));
        }
        self.changed.push(task_id);
    }

    /// Removes `task_id`'s lease if `when` holds for it.
    pub fn remove_if(&mut self, task_id: &str, when: impl FnOnce(&Lease) -> bool) -> Option<Lease> {
        if !self.by_task.get(task_id).is_some_and(|lease| when(lease)) {
            return None;
        }
        let (task_id, lease) = self.by_task.remove_entry(task_id)?;
        self.by_expiry
            .remove(&(Expiry(lease.expires_at), task_id.clone()));
        self.changed.push(task_id);
        Some(*lease)
    }

    /// Removes and returns the lease that ran out first, if it ran out at or before `now`.
    pub fn pop_expired(&mut self, now: f64) -> Option<(String, Lease)> {
        let (Expiry(at), task_id) = self.by_expiry.first()?;
        if *at > now {
            return None;
        }
        let task_id = task_id.clone();
        let lease = self.remove_if(&task_id, |_| true)?;
        Some((task_id, lease))
    }

    /// When the first lease runs out.
    pub fn earliest_expiry(&self) -> Option<f64> {
        self.by_expiry.first().map(|(Expiry(at), _)| *at)
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

    /// Active tasks by id.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Lease)> {
        self.by_task.iter().map(|(task, lease)| (task, &**lease))
    }

    /// Active tasks by id, from `task_id` on.
    pub fn range_from<'a>(
        &'a self,
        task_id: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Lease)> {
        self.by_task
            .range::<str, _>((
                std::ops::Bound::Included(task_id),
                std::ops::Bound::Unbounded,
            ))
            .map(|(task, lease)| (task, &**lease))
    }
}

impl EntryField for Leases {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let task_id: String = serde_json::from_str(key).map_err(stored)?;
        let lease: Lease = serde_json::from_str(json).map_err(stored)?;
        self.insert(task_id, lease);
        self.changed.clear();
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort_unstable();
        changed.dedup();
        for task_id in changed {
            let key = format!(
                "{prefix}{}",
                serde_json::to_string(&task_id).map_err(stored)?
            );
            match self.by_task.get(&task_id) {
                Some(lease) => batch.put(key, serde_json::to_string(lease).map_err(stored)?),
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
        }
    }

    #[test]
    fn leases_run_out_earliest_first_and_only_when_due() {
        let mut l = Leases::default();
        l.insert("b".into(), lease("w1", 20.0));
        l.insert("a".into(), lease("w2", 30.0));
        l.insert("c".into(), lease("w3", 10.0));
        assert_eq!(l.earliest_expiry(), Some(10.0));
        assert_eq!(l.pop_expired(5.0), None);
        let expired: Vec<_> = std::iter::from_fn(|| l.pop_expired(20.0))
            .map(|(task, _)| task)
            .collect();
        assert_eq!(expired, ["c", "b"]);
        assert_eq!(l.earliest_expiry(), Some(30.0));
    }

    #[test]
    fn a_removed_or_replaced_lease_leaves_the_expiry_index() {
        let mut l = Leases::default();
        l.insert("t".into(), lease("w1", 10.0));
        l.insert("t".into(), lease("w1", 50.0));
        assert_eq!(l.earliest_expiry(), Some(50.0));
        assert_eq!(l.remove_if("t", |x| x.worker_id == "w2"), None);
        assert!(l.remove_if("t", |x| x.worker_id == "w1").is_some());
        assert_eq!((l.earliest_expiry(), l.len()), (None, 0));
    }

    #[test]
    fn a_restored_set_of_leases_has_the_same_index() {
        let mut l = Leases::default();
        l.insert("t1".into(), lease("w1", 40.0));
        l.insert("t2".into(), lease("w2", 30.0));
        let mut batch = WriteBatch::default();
        l.drain_changes("e/active/", &mut batch).unwrap();
        let mut restored = Leases::default();
        for (k, v) in &batch.puts {
            restored.load_entry(&k["e/active/".len()..], v).unwrap();
        }
        assert_eq!(restored.earliest_expiry(), Some(30.0));
        assert_eq!(
            restored.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ["t1", "t2"]
        );
    }
}
