//! What the coordinator stores, one row per worker and per task, and how each table finds
//! its rows (indexes the tables derive and keep in step; they are never stored).

use duract::Indexed;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::cmp::Reverse;
use std::iter::once;
use std::ops::RangeInclusive;

/// A registered worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// What it can do, for tasks that require it.
    pub capabilities: Vec<SmolStr>,
    /// Registered and with nothing to do.
    pub idle: bool,
}

/// How workers are found: each by registration, the idle ones also by `None` and by each of
/// their capabilities. (Rows of one index key are in insertion order: registration order.)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkerIndex {
    /// Every worker.
    Registered,
    /// Idle workers that can run a task needing this (`None`: nothing in particular).
    Idle(Option<SmolStr>),
}

impl Indexed for Member {
    type Index = WorkerIndex;

    fn index(&self) -> impl IntoIterator<Item = WorkerIndex> {
        let needs = once(None).chain(self.capabilities.iter().cloned().map(Some));
        let idle = needs.filter(|_| self.idle).map(WorkerIndex::Idle);
        once(WorkerIndex::Registered).chain(idle)
    }
}

/// A task as it waits: its priority and the capability it requires.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Waiting {
    /// Higher runs first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i64,
    /// A capability its worker must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<SmolStr>,
}

/// A waiting task's class: what it requires, then its priority, highest first. Tasks of a
/// class wait first in, first out (a task whose lease ran out goes back to the front).
pub type Class = (Option<SmolStr>, Reverse<i64>);

impl Waiting {
    /// A task of `priority` that requires `requires`.
    pub fn new(priority: i64, requires: Option<String>) -> Waiting {
        let requires = requires.map(SmolStr::from);
        Waiting { priority, requires }
    }

    /// The task's class.
    pub fn class(&self) -> Class {
        (self.requires.clone(), Reverse(self.priority))
    }

    /// The classes of the tasks that require `need`, the highest priority first.
    pub fn classes(need: Option<SmolStr>) -> RangeInclusive<Class> {
        (need.clone(), Reverse(i64::MAX))..=(need, Reverse(i64::MIN))
    }
}

impl Indexed for Waiting {
    type Index = Class;
    /// A queued task's position counts the tasks of its class.
    const COUNTED: bool = true;

    fn index(&self) -> impl IntoIterator<Item = Class> {
        [self.class()]
    }
}

/// An active task: who holds it, until when (ms since the epoch), and the task as it waited.
/// Leases are indexed by expiry: one timer, set for the earliest, serves them all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The worker.
    pub worker_id: SmolStr,
    /// When the lease runs out.
    pub expires_at: u64,
    /// The task, to queue again when the lease runs out.
    pub task: Waiting,
}

impl Indexed for Lease {
    type Index = u64;

    fn index(&self) -> impl IntoIterator<Item = u64> {
        [self.expires_at]
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}
