//! A faithful small Rust model of the seed's `CoordinatorActor` (the TypeScript original in
//! the seed's `coordinator-worker-pattern.md`), to measure its algorithm beside duract's.
//!
//! What is kept, because it is the cost the seed pays:
//! - `workers: Set<string>` (insertion order, O(1) `has`): a `Vec` plus a `HashSet`;
//! - `taskQueue: string[]` with `push` and `shift`: a `Vec` with `remove(0)` (O(queue));
//! - `activeTasks: Map<taskId, workerId>`: a `HashMap` (its iteration order only decides the
//!   order of pairs in the snapshot, not its size or cost);
//! - `findAvailableWorker`: a `Set` of the busy workers built from `activeTasks`, then a scan of
//!   `workers` for the first one not in it (O(workers + active));
//! - `persist()`: the whole state `{workers, taskQueue, activeTasks}` as one JSON value put at
//!   `state`, after every change (so `task_complete` with a queue writes it twice, once for the
//!   completion and once for the assignment);
//! - `register_worker` adds the worker, persists, then gives it the oldest queued task if any
//!   (even if that worker is busy: the seed does not check); `assign_task` gives the task to the
//!   first idle worker or queues it; `task_complete` forgets the task, persists, and gives the
//!   oldest queued task to the reporting worker.
//!
//! Fire-and-forget `process_task` sends are recorded in `outbox` as `(worker, task)`, as a
//! host would hand them to `waitUntil`.

use duract::Storage;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The seed coordinator's state.
#[derive(Clone, Default)]
pub struct SeedCoordinator {
    workers: Vec<String>,
    worker_set: HashSet<String>,
    task_queue: Vec<String>,
    active_tasks: HashMap<String, String>,
    /// `process_task` sends of the last operation: `(worker, task)`.
    pub outbox: Vec<(String, String)>,
}

/// The snapshot `persist()` writes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot<'a> {
    workers: &'a [String],
    task_queue: &'a [String],
    active_tasks: Vec<(&'a str, &'a str)>,
}

/// The seed's replies, serialized as the DO's RPC would.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
enum Reply<'a> {
    Registered {
        #[serde(rename = "workerId")]
        worker_id: &'a str,
    },
    Assigned {
        #[serde(rename = "taskId")]
        task_id: &'a str,
        #[serde(rename = "workerId")]
        worker_id: &'a str,
    },
    Queued {
        #[serde(rename = "taskId")]
        task_id: &'a str,
        position: usize,
    },
    Completed {
        #[serde(rename = "taskId")]
        task_id: &'a str,
    },
}

fn reply(reply: &Reply<'_>) -> String {
    serde_json::to_string(reply).expect("replies serialize")
}

impl SeedCoordinator {
    /// A state built directly (not through the operations): `workers` in order, each of
    /// `active` `(task, worker)` pairs active, `queue` waiting oldest first. Nothing is stored.
    pub fn build(workers: Vec<String>, active: &[(String, String)], queue: Vec<String>) -> Self {
        SeedCoordinator {
            worker_set: workers.iter().cloned().collect(),
            workers,
            task_queue: queue,
            active_tasks: active.iter().cloned().collect(),
            outbox: Vec::new(),
        }
    }

    /// `register_worker` from `worker_id`.
    pub async fn register_worker(&mut self, storage: &dyn Storage, worker_id: &str) -> String {
        if self.worker_set.insert(worker_id.to_owned()) {
            self.workers.push(worker_id.to_owned());
        }
        self.persist(storage).await;
        if !self.task_queue.is_empty() {
            let task_id = self.task_queue.remove(0);
            self.assign(storage, task_id, worker_id.to_owned()).await;
        }
        reply(&Reply::Registered { worker_id })
    }

    /// `assign_task` of `task_id`.
    pub async fn assign_task(&mut self, storage: &dyn Storage, task_id: &str) -> String {
        match self.find_available_worker() {
            Some(worker_id) => {
                self.assign(storage, task_id.to_owned(), worker_id.clone())
                    .await;
                reply(&Reply::Assigned {
                    task_id,
                    worker_id: &worker_id,
                })
            }
            None => {
                self.task_queue.push(task_id.to_owned());
                self.persist(storage).await;
                reply(&Reply::Queued {
                    task_id,
                    position: self.task_queue.len(),
                })
            }
        }
    }

    /// `task_complete` of `task_id` reported by `worker_id`.
    pub async fn task_complete(
        &mut self,
        storage: &dyn Storage,
        task_id: &str,
        worker_id: &str,
    ) -> String {
        self.active_tasks.remove(task_id);
        self.persist(storage).await;
        if !self.task_queue.is_empty() {
            let next = self.task_queue.remove(0);
            self.assign(storage, next, worker_id.to_owned()).await;
        }
        reply(&Reply::Completed { task_id })
    }

    /// The number of queued tasks.
    pub fn queued(&self) -> usize {
        self.task_queue.len()
    }

    /// The first registered worker without an active task.
    fn find_available_worker(&self) -> Option<String> {
        let busy: HashSet<&str> = self.active_tasks.values().map(String::as_str).collect();
        self.workers
            .iter()
            .find(|w| !busy.contains(w.as_str()))
            .cloned()
    }

    async fn assign(&mut self, storage: &dyn Storage, task_id: String, worker_id: String) {
        self.active_tasks.insert(task_id.clone(), worker_id.clone());
        self.persist(storage).await;
        self.outbox.push((worker_id, task_id));
    }

    /// `persist()`: the whole state as one JSON value at `state`.
    pub async fn persist(&self, storage: &dyn Storage) {
        let snapshot = Snapshot {
            workers: &self.workers,
            task_queue: &self.task_queue,
            active_tasks: self
                .active_tasks
                .iter()
                .map(|(t, w)| (t.as_str(), w.as_str()))
                .collect(),
        };
        let json = serde_json::to_string(&snapshot).expect("the snapshot serializes");
        storage
            .put("state", json)
            .await
            .expect("memory storage does not fail");
    }
}
