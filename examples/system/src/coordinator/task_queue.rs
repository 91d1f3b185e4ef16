//! The queue of waiting tasks: highest priority first, oldest first within a priority, kept
//! apart by the capability a task needs. Persisted one entry per task.

use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A task's place: its class (the capability it needs, `""` for none; minus its priority)
/// and its sequence number within the class. Ordering slots orders the queue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Slot {
    need: String,
    rank: i64,
    seq: i64,
}

/// A task as it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The task's id.
    pub task_id: String,
    /// Higher runs first.
    pub priority: i64,
    /// The capability a worker needs for it.
    pub need: Option<String>,
}

/// The waiting tasks. Push, pop and membership cost O(log n) and write one key.
#[derive(Debug)]
pub struct TaskQueue {
    slots: BTreeMap<Slot, String>,
    /// Derived: task id -> its slot (hashed: found in O(1) at any depth).
    by_task: HashMap<String, Slot>,
    /// Derived: tasks per class (need, rank), to tell a new task its position in its class.
    per_class: BTreeMap<(String, i64), usize>,
    /// Derived: the sequence number below every stored one, and the one above.
    head: i64,
    tail: i64,
    changed: Vec<Slot>,
}

impl Default for TaskQueue {
    fn default() -> Self {
        TaskQueue {
            slots: BTreeMap::new(),
            by_task: HashMap::new(),
            per_class: BTreeMap::new(),
            head: -1,
            tail: 0,
            changed: Vec::new(),
        }
    }
}

impl TaskQueue {
    /// Appends a task after those of its priority; returns its 1-based position among the
    /// tasks of its class (same priority, same required capability): for a client that uses
    /// neither, its place in the whole queue. O(log n).
    pub fn push_back(&mut self, task: Queued) -> usize {
        let slot = self.slot(&task, self.tail);
        self.tail += 1;
        let ahead = self
            .per_class
            .get(&(slot.need.clone(), slot.rank))
            .copied()
            .unwrap_or(0);
        self.insert(slot, task.task_id);
        ahead + 1
    }

    /// Puts a task before those of its priority (a task whose lease expired).
    pub fn push_front(&mut self, task: Queued) {
        let slot = self.slot(&task, self.head);
        self.head -= 1;
        self.insert(slot, task.task_id);
    }

    /// Removes a waiting task.
    pub fn remove(&mut self, task_id: &str) -> Option<Queued> {
        let slot = self.by_task.get(task_id)?.clone();
        self.take(slot)
    }

    /// The capability a waiting task needs (`Some(None)`: none).
    pub fn need_of(&self, task_id: &str) -> Option<Option<&str>> {
        self.by_task
            .get(task_id)
            .map(|slot| (!slot.need.is_empty()).then_some(slot.need.as_str()))
    }

    /// Whether `task_id` waits here.
    pub fn contains(&self, task_id: &str) -> bool {
        self.by_task.contains_key(task_id)
    }

    /// The number of waiting tasks.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no task waits.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Removes and returns the first task a worker with `capabilities` can run: the best of
    /// the heads of the classes it qualifies for.
    pub fn pop_for(&mut self, capabilities: &[String]) -> Option<Queued> {
        let needs = std::iter::once("").chain(capabilities.iter().map(String::as_str));
        let best = needs
            .filter_map(|need| self.head_of(need))
            .min_by_key(|slot| (slot.rank, slot.seq))?
            .clone();
        self.take(best)
    }

    /// Removes the task in `slot`, with its indexes.
    fn take(&mut self, slot: Slot) -> Option<Queued> {
        let task_id = self.slots.remove(&slot)?;
        self.by_task.remove(&task_id);
        self.count(&slot, -1);
        self.changed.push(slot.clone());
        Some(Queued {
            task_id,
            priority: -slot.rank,
            need: (!slot.need.is_empty()).then_some(slot.need),
        })
    }

    fn head_of(&self, need: &str) -> Option<&Slot> {
        let from = Slot {
            need: need.to_owned(),
            rank: i64::MIN,
            seq: i64::MIN,
        };
        self.slots
            .range(from..)
            .next()
            .map(|(slot, _)| slot)
            .filter(|slot| slot.need == need)
    }

    fn slot(&self, task: &Queued, seq: i64) -> Slot {
        Slot {
            need: task.need.clone().unwrap_or_default(),
            rank: -task.priority,
            seq,
        }
    }

    fn insert(&mut self, slot: Slot, task_id: String) {
        self.by_task.insert(task_id.clone(), slot.clone());
        self.count(&slot, 1);
        self.slots.insert(slot.clone(), task_id);
        self.changed.push(slot);
    }

    fn count(&mut self, slot: &Slot, delta: isize) {
        let class = (slot.need.clone(), slot.rank);
        let n = self.per_class.entry(class.clone()).or_default();
        *n = n.saturating_add_signed(delta);
        if *n == 0 {
            self.per_class.remove(&class);
        }
    }
}

impl EntryField for TaskQueue {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let slot: Slot = serde_json::from_str(key).map_err(|e| stored(e.to_string()))?;
        let task_id: String = serde_json::from_str(json).map_err(|e| stored(e.to_string()))?;
        self.head = self.head.min(slot.seq - 1);
        self.tail = self.tail.max(slot.seq + 1);
        self.insert(slot, task_id);
        self.changed.clear();
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort();
        changed.dedup();
        for slot in changed {
            let key = format!(
                "{prefix}{}",
                serde_json::to_string(&slot).map_err(|e| stored(e.to_string()))?
            );
            match self.slots.get(&slot) {
                Some(task_id) => batch.put(
                    key,
                    serde_json::to_string(task_id).map_err(|e| stored(e.to_string()))?,
                ),
                None => batch.delete(key),
            }
        }
        Ok(())
    }
}

fn stored(reason: String) -> Error {
    Error::ActorError {
        reason: format!("stored queue entry: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, priority: i64, need: Option<&str>) -> Queued {
        Queued {
            task_id: id.into(),
            priority,
            need: need.map(Into::into),
        }
    }

    #[test]
    fn fifo_within_a_priority_and_higher_priority_first() {
        let mut q = TaskQueue::default();
        assert_eq!(q.push_back(task("a", 0, None)), 1);
        assert_eq!(q.push_back(task("b", 0, None)), 2);
        assert_eq!(
            q.push_back(task("urgent", 5, None)),
            1,
            "first of its priority"
        );
        q.push_front(task("expired", 0, None));
        let order: Vec<_> = std::iter::from_fn(|| q.pop_for(&[]))
            .map(|t| t.task_id)
            .collect();
        assert_eq!(order, ["urgent", "expired", "a", "b"]);
    }

    #[test]
    fn tasks_needing_a_capability_go_only_to_workers_with_it() {
        let mut q = TaskQueue::default();
        q.push_back(task("gpu-job", 0, Some("gpu")));
        assert_eq!(q.pop_for(&[]), None);
        assert_eq!(
            q.pop_for(&["gpu".into()]).map(|t| t.task_id).as_deref(),
            Some("gpu-job")
        );
    }

    #[test]
    fn a_restored_queue_keeps_its_order() {
        let mut q = TaskQueue::default();
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            q.push_back(task(id, i as i64 % 2, None));
        }
        q.push_front(task("z", 0, None));
        let mut batch = WriteBatch::default();
        q.drain_changes("e/queue/", &mut batch).unwrap();
        let mut restored = TaskQueue::default();
        for (k, v) in &batch.puts {
            restored.load_entry(&k["e/queue/".len()..], v).unwrap();
        }
        restored.push_front(task("y", 0, None));
        let order: Vec<_> = std::iter::from_fn(|| restored.pop_for(&[]))
            .map(|t| t.task_id)
            .collect();
        assert_eq!(order, ["b", "y", "z", "a", "c"]);
    }
}
