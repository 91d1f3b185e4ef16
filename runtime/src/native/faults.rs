//! Storage with injected write failures, wrapped around each instance's [`MemoryStorage`].
//!
//! Failures follow Durable Objects: a write that fails *breaks* the storage for the rest of
//! the turn (every later write fails too), and at the end of the turn the host rolls back
//! every write the turn made ([`FaultStorage::roll_back`]), drops the instance's in-memory
//! state and re-arms its alarm from what storage holds: the turn's writes are not applied
//! and the caller gets `actor_error`. A turn that did not fail commits
//! ([`FaultStorage::commit`]). Writes are journaled for the roll-back only while a fault is
//! armed, so storage without faults costs nothing extra.

use crate::storage::{
    ListOptions, MemoryStorage, Storage, StorageError, StorageResult, WriteBatch,
};
use std::cell::{Cell, RefCell};

/// Which writes fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// The next this-many writes fail.
    pub fail_next: u64,
    /// Once this many more writes have succeeded, every later write fails.
    pub fail_after: Option<u64>,
}

/// An instance's storage: a [`MemoryStorage`] that fails writes as its [`FaultPlan`] says.
#[derive(Debug, Default)]
pub struct FaultStorage {
    inner: MemoryStorage,
    plan: Cell<FaultPlan>,
    failed: Cell<u64>,
    /// A write failed in the current turn.
    broken: Cell<bool>,
    /// The previous value of every key written since the last commit, while faults are armed.
    undo: RefCell<Vec<(String, Option<String>)>>,
}

impl FaultStorage {
    /// Empty storage without faults.
    pub fn new() -> FaultStorage {
        FaultStorage::default()
    }

    /// The underlying store (reads and writes bypass the faults).
    pub fn memory(&self) -> &MemoryStorage {
        &self.inner
    }

    /// Replaces the fault plan.
    pub fn set_plan(&self, plan: FaultPlan) {
        self.plan.set(plan);
    }

    /// The fault plan as it stands (counts go down as writes happen).
    pub fn plan(&self) -> FaultPlan {
        self.plan.get()
    }

    /// How many writes were refused.
    pub fn failed_writes(&self) -> u64 {
        self.failed.get()
    }

    /// Whether a write failed since the last [`FaultStorage::commit`] or roll-back.
    pub fn is_broken(&self) -> bool {
        self.broken.get()
    }

    /// Ends a turn that did not fail: its writes stay.
    pub fn commit(&self) {
        if !self.undo.borrow().is_empty() {
            self.undo.borrow_mut().clear();
        }
    }

    /// Ends a failed turn: undoes its writes (newest first) and mends the storage.
    pub fn roll_back(&self) {
        let undo = std::mem::take(&mut *self.undo.borrow_mut());
        let mut batch = WriteBatch::default();
        let mut restored = std::collections::BTreeMap::new();
        for (key, old) in undo.into_iter().rev() {
            restored.insert(key, old); // the oldest previous value wins
        }
        for (key, old) in restored {
            match old {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        if !batch.is_empty() {
            // MemoryStorage completes at once; its result is always Ok.
            let _ = crate::block_on(self.inner.write(batch));
        }
        self.broken.set(false);
    }

    fn armed(&self) -> bool {
        let plan = self.plan.get();
        plan.fail_next > 0 || plan.fail_after.is_some()
    }

    fn journal(&self, batch: &WriteBatch) {
        let keys = batch.puts.iter().map(|(k, _)| k).chain(&batch.deletes);
        let mut undo = self.undo.borrow_mut();
        for key in keys {
            let old = crate::block_on(self.inner.get(key)).ok().flatten();
            undo.push((key.clone(), old));
        }
    }

    /// Decides the fate of one write, updating the plan.
    fn admit(&self) -> Result<(), StorageError> {
        let mut plan = self.plan.get();
        let fail = if plan.fail_next > 0 {
            plan.fail_next -= 1;
            true
        } else {
            match plan.fail_after {
                Some(0) => true,
                Some(n) => {
                    plan.fail_after = Some(n - 1);
                    false
                }
                None => false,
            }
        };
        self.plan.set(plan);
        if fail {
            self.failed.set(self.failed.get() + 1);
            Err(StorageError {
                reason: "injected write failure".into(),
            })
        } else {
            Ok(())
        }
    }
}

impl Storage for FaultStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>> {
        self.inner.get(key)
    }

    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>> {
        self.inner.list(options)
    }

    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()> {
        if self.broken.get() {
            self.failed.set(self.failed.get() + 1);
            let e = StorageError {
                reason: "an earlier write of this turn failed".into(),
            };
            return Box::pin(async move { Err(e) });
        }
        let armed = self.armed();
        match self.admit() {
            Ok(()) => {
                if armed {
                    self.journal(&batch);
                }
                self.inner.write(batch)
            }
            Err(e) => {
                self.broken.set(true);
                Box::pin(async move { Err(e) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;

    fn write(s: &FaultStorage, key: &str) -> bool {
        block_on(s.put(key, "1".into())).is_ok()
    }

    #[test]
    fn fail_next_refuses_that_many_writes_then_recovers() {
        let s = FaultStorage::new();
        s.set_plan(FaultPlan {
            fail_next: 2,
            fail_after: None,
        });
        assert!(!write(&s, "a"));
        s.roll_back();
        assert!(!write(&s, "b"));
        s.roll_back();
        assert!(write(&s, "c"));
        assert_eq!(s.memory().snapshot().keys().collect::<Vec<_>>(), ["c"]);
        assert_eq!(s.failed_writes(), 2);
    }

    #[test]
    fn fail_after_lets_n_writes_through_then_refuses_all() {
        let s = FaultStorage::new();
        s.set_plan(FaultPlan {
            fail_next: 0,
            fail_after: Some(1),
        });
        assert!(write(&s, "a"));
        s.commit();
        assert!(!write(&s, "b"));
        s.roll_back();
        assert!(!write(&s, "c"));
        assert_eq!(s.memory().len(), 1);
    }

    #[test]
    fn a_failed_turn_rolls_back_its_earlier_writes_and_later_writes_fail() {
        let s = FaultStorage::new();
        assert!(write(&s, "kept"));
        s.set_plan(FaultPlan {
            fail_next: 0,
            fail_after: Some(2),
        });
        assert!(write(&s, "kept")); // overwritten in the failed turn: restored
        assert!(write(&s, "new"));
        assert!(!write(&s, "failing"));
        s.set_plan(FaultPlan::default());
        assert!(!write(&s, "after"), "broken until the turn ends");
        assert!(s.is_broken());
        s.roll_back();
        assert!(!s.is_broken());
        assert_eq!(s.memory().snapshot().keys().collect::<Vec<_>>(), ["kept"]);
        assert!(write(&s, "next-turn"));
    }
}
