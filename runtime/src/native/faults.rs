//! Storage with injected write failures (and failures of the synchronous reads tables load
//! their rows with), wrapped around each instance's [`MemoryStorage`].
//!
//! A refused write stores nothing of its batch. A turn makes one write (its commit), so a
//! refused write is a failed turn: nothing of it is stored or sent, the instance drops its
//! in-memory state and the caller gets `actor_error` ([`Instance`](crate::instance::Instance)).

use crate::storage::{
    ListOptions, MemoryStorage, ReadNow, Storage, StorageError, StorageResult, WriteBatch,
};
use std::cell::Cell;
use std::rc::Rc;

/// Which writes fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// The next this-many writes fail.
    pub fail_next: u64,
    /// Once this many more writes have succeeded, every later write fails.
    pub fail_after: Option<u64>,
    /// The next this-many synchronous reads ([`ReadNow`]: a table loading its rows on first
    /// use) fail.
    pub fail_reads: u64,
}

/// An instance's storage: a [`MemoryStorage`] that fails writes as its [`FaultPlan`] says.
#[derive(Debug, Default)]
pub struct FaultStorage {
    inner: MemoryStorage,
    plan: Rc<Cell<FaultPlan>>,
    failed: Cell<u64>,
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

/// The [`ReadNow`] of a [`FaultStorage`]: its store's, failing as the plan says.
struct FaultReader {
    inner: Rc<dyn ReadNow>,
    plan: Rc<Cell<FaultPlan>>,
}

impl ReadNow for FaultReader {
    fn list_now(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError> {
        let mut plan = self.plan.get();
        if plan.fail_reads > 0 {
            plan.fail_reads -= 1;
            self.plan.set(plan);
            return Err(StorageError {
                reason: "injected read failure".into(),
            });
        }
        self.inner.list_now(prefix)
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
        match self.admit() {
            Ok(()) => self.inner.write(batch),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn reader(&self) -> Option<Rc<dyn ReadNow>> {
        let inner = self.inner.reader()?;
        let plan = self.plan.clone();
        Some(Rc::new(FaultReader { inner, plan }))
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
            ..FaultPlan::default()
        });
        assert!(!write(&s, "a"));
        assert!(!write(&s, "b"));
        assert!(write(&s, "c"));
        assert_eq!(s.memory().snapshot().keys().collect::<Vec<_>>(), ["c"]);
        assert_eq!(s.failed_writes(), 2);
    }

    #[test]
    fn fail_after_lets_n_writes_through_then_refuses_all() {
        let s = FaultStorage::new();
        s.set_plan(FaultPlan {
            fail_after: Some(1),
            ..FaultPlan::default()
        });
        assert!(write(&s, "a"));
        assert!(!write(&s, "b"));
        assert!(!write(&s, "c"));
        assert_eq!(s.memory().len(), 1);
    }
}
