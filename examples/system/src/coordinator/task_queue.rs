//! The queue of waiting tasks: highest priority first, oldest first within a priority, kept
//! apart by the capability a task needs. Persisted one entry per task.

use super::queue_entry;
use duract::storage::WriteBatch;
use duract::{EntryField, Error};
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashMap};

/// A task as it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The task's id (shared: the queue's indexes and then the task's lease hold it).
    pub task_id: SmolStr,
    /// Higher runs first.
    pub priority: i64,
    /// The capability a worker needs for it.
    pub need: Option<String>,
}

/// A task's place within its class: minus its priority, then its sequence number (unique
/// in the whole queue). Ordering places orders the class.
type Place = (i64, i64);

/// The tasks that need one capability (`""`: none), in order.
#[derive(Debug, Default)]
struct Class {
    tasks: BTreeMap<Place, SmolStr>,
    /// Derived: tasks per rank, to tell a new task its position among its priority
    /// (hashed: with a priority per task, a tree of ranks would be as deep as the queue).
    per_rank: HashMap<i64, usize>,
}

/// The waiting tasks. Push, pop and membership cost O(log n) and write one key.
///
/// Every tree is keyed by numbers, compared in place, and tasks are found by hashed id: at
/// 100k tasks, a tree keyed by strings reads a cold string for each key it passes.
#[derive(Debug)]
pub struct TaskQueue {
    /// Each need's class (a class is dropped when its last task leaves).
    classes: HashMap<SmolStr, Class>,
    /// Derived: task id -> its need and place.
    by_task: HashMap<SmolStr, (SmolStr, Place)>,
    /// Derived: the sequence number below every stored one, and the one above.
    head: i64,
    tail: i64,
    /// Entries changed since the last save: (need, place).
    changed: Vec<(SmolStr, Place)>,
    /// Keys of entries loaded in an earlier form, to delete at the next save (they are
    /// written again in the current form).
    legacy_keys: Vec<String>,
}

impl Default for TaskQueue {
    fn default() -> Self {
        TaskQueue {
            classes: HashMap::new(),
            by_task: HashMap::new(),
            head: -1,
            tail: 0,
            changed: Vec::new(),
            legacy_keys: Vec::new(),
        }
    }
}

impl TaskQueue {
    /// Appends a task after those of its priority; returns its 1-based position among the
    /// tasks of its class (same priority, same required capability): for a client that uses
    /// neither, its place in the whole queue. O(log n).
    pub fn push_back(&mut self, task: Queued) -> usize {
        let seq = self.tail;
        self.tail += 1;
        self.insert(task, seq)
    }

    /// Puts a task before those of its priority (a task whose lease expired).
    pub fn push_front(&mut self, task: Queued) {
        let seq = self.head;
        self.head -= 1;
        self.insert(task, seq);
    }

    /// Removes a waiting task.
    pub fn remove(&mut self, task_id: &str) -> Option<Queued> {
        let (need, place) = self.by_task.get(task_id)?.clone();
        self.take(&need, place)
    }

    /// The capability a waiting task needs (`Some(None)`: none).
    pub fn need_of(&self, task_id: &str) -> Option<Option<&str>> {
        self.by_task
            .get(task_id)
            .map(|(need, _)| (!need.is_empty()).then_some(&**need))
    }

    /// Whether `task_id` waits here.
    pub fn contains(&self, task_id: &str) -> bool {
        self.by_task.contains_key(task_id)
    }

    /// The number of waiting tasks.
    pub fn len(&self) -> usize {
        self.by_task.len()
    }

    /// Whether no task waits.
    pub fn is_empty(&self) -> bool {
        self.by_task.is_empty()
    }

    /// Removes and returns the first task a worker with `capabilities` can run: the best of
    /// the heads of the classes it qualifies for.
    pub fn pop_for(&mut self, capabilities: &[String]) -> Option<Queued> {
        let needs = std::iter::once("").chain(capabilities.iter().map(String::as_str));
        let (need, place) = needs
            .filter_map(|need| self.classes.get_key_value(need))
            .filter_map(|(need, class)| Some((need, *class.tasks.first_key_value()?.0)))
            .min_by_key(|&(_, place)| place)?;
        let need = need.clone();
        self.take(&need, place)
    }

    /// Removes the task at `place` in `need`'s class, with its indexes.
    fn take(&mut self, need: &SmolStr, place: Place) -> Option<Queued> {
        let class = self.classes.get_mut(need)?;
        let task_id = class.tasks.remove(&place)?;
        count(&mut class.per_rank, place.0, -1);
        if class.tasks.is_empty() {
            self.classes.remove(need);
        }
        self.by_task.remove(&task_id);
        self.changed.push((need.clone(), place));
        Some(Queued {
            task_id,
            priority: -place.0,
            need: (!need.is_empty()).then(|| need.to_string()),
        })
    }

    /// Adds a task at sequence number `seq`; returns its 1-based position among the tasks of
    /// its class and priority.
    fn insert(&mut self, task: Queued, seq: i64) -> usize {
        let need = self.shared_need(task.need.as_deref().unwrap_or_default());
        let place = (rank(task.priority), seq);
        let position = self.place(task.task_id, need.clone(), place);
        self.changed.push((need, place));
        position
    }

    /// `need` as its class's key when it has a class, so the tasks of a class share one.
    fn shared_need(&self, need: &str) -> SmolStr {
        match self.classes.get_key_value(need) {
            Some((shared, _)) => shared.clone(),
            None => SmolStr::new(need),
        }
    }

    /// Records a task at `place` in `need`'s class, with its indexes; returns the number of
    /// tasks of its class and rank.
    fn place(&mut self, task_id: SmolStr, need: SmolStr, place: Place) -> usize {
        let class = self.classes.entry(need.clone()).or_default();
        class.tasks.insert(place, task_id.clone());
        let position = count(&mut class.per_rank, place.0, 1);
        self.by_task.insert(task_id, (need, place));
        position
    }
}

/// The rank of a priority: higher priorities rank first. The lowest priority, i64::MIN, has
/// no negation: it counts as the one above.
fn rank(priority: i64) -> i64 {
    -priority.max(-i64::MAX)
}

/// Adds `delta` to `rank`'s count, forgetting ranks that reach zero; returns the new count.
fn count(per_rank: &mut HashMap<i64, usize>, rank: i64, delta: isize) -> usize {
    let n = per_rank.entry(rank).or_default();
    *n = n.saturating_add_signed(delta);
    let now = *n;
    if now == 0 {
        per_rank.remove(&rank);
    }
    now
}

impl EntryField for TaskQueue {
    fn load_entry(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let task = queue_entry::load(key, json)?;
        self.head = self.head.min(task.seq.saturating_sub(1));
        self.tail = self.tail.max(task.seq.saturating_add(1));
        let need = self.shared_need(&task.need);
        let place = (rank(task.priority), task.seq);
        self.place(task.task_id.into(), need.clone(), place);
        if task.legacy {
            self.changed.push((need, place));
            self.legacy_keys.push(key.to_owned());
        }
        Ok(())
    }

    fn drain_changes(&mut self, prefix: &str, batch: &mut WriteBatch) -> Result<(), Error> {
        // (Drained, not taken: the lists keep their capacity for the next turn.)
        let changed = &mut self.changed;
        changed.sort_by_key(|&(_, (_, seq))| seq); // sequence numbers are unique
        changed.dedup_by_key(|&mut (_, (_, seq))| seq);
        for (need, (rank, seq)) in changed.drain(..) {
            let key = queue_entry::key(prefix, seq);
            let task = self
                .classes
                .get(&need)
                .and_then(|c| c.tasks.get(&(rank, seq)));
            match task {
                Some(task_id) => batch.put(key, queue_entry::value(task_id, -rank, &need)?),
                None => batch.delete(key),
            }
        }
        for key in self.legacy_keys.drain(..) {
            batch.delete(format!("{prefix}{key}"));
        }
        Ok(())
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
            .map(|t| t.task_id.to_string())
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
            .map(|t| t.task_id.to_string())
            .collect();
        assert_eq!(order, ["b", "y", "z", "a", "c"]);
    }

    #[test]
    fn entries_are_stored_in_queue_order_with_their_priority_and_need() {
        let mut q = TaskQueue::default();
        q.push_back(task("a", 2, Some("gpu")));
        q.push_back(task("b", i64::MIN, None));
        let mut batch = WriteBatch::default();
        q.drain_changes("p/", &mut batch).unwrap();
        let expected = [
            ("p/09223372036854775808", r#"["a",2,"gpu"]"#),
            ("p/09223372036854775809", r#"["b",-9223372036854775807]"#),
        ];
        let puts: Vec<(&str, &str)> = batch
            .puts
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(puts, expected);
        assert_eq!(&*q.pop_for(&["gpu".into()]).unwrap().task_id, "a");
        assert_eq!(
            q.pop_for(&[]).unwrap().priority,
            -i64::MAX,
            "the lowest priority"
        );
        let mut batch = WriteBatch::default();
        q.drain_changes("p/", &mut batch).unwrap();
        assert_eq!(batch.deletes.len(), 2);
        assert!(
            q.is_empty() && q.classes.is_empty(),
            "empty classes are dropped"
        );
    }

    #[test]
    fn entries_stored_in_the_earlier_form_load_and_are_rewritten() {
        let mut q = TaskQueue::default();
        q.load_entry(r#"{"need":"","rank":0,"seq":10}"#, r#""old""#)
            .unwrap();
        q.load_entry("09223372036854775819", r#"["new",0]"#)
            .unwrap();
        let mut batch = WriteBatch::default();
        q.drain_changes("p/", &mut batch).unwrap();
        assert_eq!(
            batch.puts,
            [(
                "p/09223372036854775818".to_owned(),
                r#"["old",0]"#.to_owned()
            )]
        );
        assert_eq!(batch.deletes, [r#"p/{"need":"","rank":0,"seq":10}"#]);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_for(&[]))
            .map(|t| t.task_id.to_string())
            .collect();
        assert_eq!(order, ["old", "new"]);
    }
}
