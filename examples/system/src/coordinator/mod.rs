//! The coordinator (`coordinator:<name>`): registered workers, a FIFO queue of task ids and the
//! active tasks, assigned to idle workers as they come.
//!
//! Every operation touches a constant number of entries (`#[persist(entries)]` fields), so a
//! turn writes O(1) keys whatever the number of workers or queued tasks.

use crate::worker::{ProcessTask, Worker};
use duract::{actor, message, payload, route, Ctx, Error, PMap, PQueue, PSet};

/// `register_worker`: `{workerId?}`; without it, the id part of the sender's address.
#[message(reply = Registered)]
pub struct RegisterWorker {
    /// The worker's id (non-empty when present).
    pub worker_id: Option<String>,
}

/// The reply to [`RegisterWorker`]: `{status: "registered", workerId}`.
#[payload]
pub struct Registered {
    /// Always `registered`.
    pub status: String,
    /// The worker registered.
    pub worker_id: String,
}

/// `assign_task`: a non-empty task id string, or `{taskId, ...}`.
#[message(reply = Assignment)]
#[serde(untagged)]
pub enum AssignTask {
    /// `"t1"`.
    Id(String),
    /// `{"taskId": "t1"}`.
    Task {
        /// The task's id.
        #[serde(rename = "taskId")]
        task_id: String,
    },
}

/// The reply to [`AssignTask`].
#[payload]
#[serde(
    tag = "status",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum Assignment {
    /// `{status: "assigned", taskId, workerId}`: an idle worker got it.
    Assigned {
        /// The task.
        task_id: String,
        /// Its worker.
        worker_id: String,
    },
    /// `{status: "queued", taskId, position}`: it waits, 1-based `position` in the queue.
    Queued {
        /// The task.
        task_id: String,
        /// Its place in the queue.
        position: usize,
    },
}

/// `task_complete` (internal): a worker reports a task done.
#[message(reply = Completed, internal)]
pub struct TaskComplete {
    /// The task.
    pub task_id: String,
    /// The worker reporting it.
    pub worker_id: String,
}

/// The reply to [`TaskComplete`]: `{status: "completed", taskId}`.
#[payload]
pub struct Completed {
    /// Always `completed`.
    pub status: String,
    /// The task.
    pub task_id: String,
}

/// `get_status`; its payload is ignored.
#[message(reply = Status)]
pub struct GetStatus;

/// The reply to [`GetStatus`].
#[payload]
pub struct Status {
    /// Registered workers, in registration order.
    pub workers: Vec<String>,
    /// How many tasks wait in the queue.
    pub queued_tasks: usize,
    /// `[taskId, workerId]` of each active task.
    pub active_tasks: Vec<(String, String)>,
}

/// `lease_expired` (internal, a timer the coordinator sets itself): the task's lease ran out.
#[message(reply = (), internal)]
pub struct LeaseExpired {
    /// The task.
    pub task_id: String,
    /// The worker that held it.
    pub worker_id: String,
    /// When it was assigned (tells this lease from a later one of the same task).
    pub assigned_at: f64,
}

/// Who holds an active task, since when.
#[payload]
#[derive(Clone, PartialEq)]
pub struct Lease {
    /// The worker.
    pub worker_id: String,
    /// When it was assigned (ms since the epoch).
    pub assigned_at: f64,
}

/// The coordinator's state: each field one entry per item.
#[actor]
#[derive(Default)]
pub struct Coordinator {
    /// Registered workers: id -> registration number.
    #[persist(entries)]
    workers: PMap<String, u64>,
    /// Idle workers, by registration number (the longest registered first).
    #[persist(entries)]
    idle: PMap<u64, String>,
    /// Task ids waiting, oldest first.
    #[persist(entries)]
    queue: PQueue<String>,
    /// The same ids, to refuse duplicates in O(log n).
    #[persist(entries)]
    queued: PSet<String>,
    /// Active tasks: task -> lease.
    #[persist(entries)]
    active: PMap<String, Lease>,
    /// The next registration number.
    next_registration: u64,
}

/// The lease of an active task in ms: the variable `TASK_LEASE_MS`, default 60 s.
fn lease_ms(ctx: &Ctx) -> f64 {
    ctx.var_or("TASK_LEASE_MS", 60_000.0)
}

#[route]
impl Coordinator {
    async fn register_worker(
        &mut self,
        ctx: &mut Ctx,
        msg: RegisterWorker,
    ) -> Result<Registered, Error> {
        let worker_id = match msg.worker_id {
            Some(id) if id.is_empty() => {
                return Err(invalid("workerId must be a non-empty string"))
            }
            Some(id) => id,
            None => ctx.sender().id().to_owned(),
        };
        if !self.workers.contains_key(&worker_id) {
            let number = self.next_registration;
            self.next_registration += 1;
            self.workers.insert(worker_id.clone(), number);
            self.idle.insert(number, worker_id.clone());
        }
        self.assign_queued(ctx).await?;
        Ok(Registered {
            status: "registered".into(),
            worker_id,
        })
    }

    async fn assign_task(&mut self, ctx: &mut Ctx, msg: AssignTask) -> Result<Assignment, Error> {
        let task_id = match msg {
            AssignTask::Id(id) | AssignTask::Task { task_id: id } => id,
        };
        if task_id.is_empty() {
            return Err(invalid("taskId must be a non-empty string"));
        }
        if self.queued.contains(&task_id) || self.active.contains_key(&task_id) {
            return Err(Error::handler(
                "duplicate_task",
                format!("Task {task_id} is already queued or active"),
            ));
        }
        if let Some(worker_id) = self.take_idle_worker() {
            self.start(ctx, task_id.clone(), worker_id.clone()).await?;
            return Ok(Assignment::Assigned { task_id, worker_id });
        }
        self.queue.push_back(task_id.clone());
        self.queued.insert(task_id.clone());
        Ok(Assignment::Queued {
            task_id,
            position: self.queue.len(),
        })
    }

    async fn task_complete(
        &mut self,
        ctx: &mut Ctx,
        msg: TaskComplete,
    ) -> Result<Completed, Error> {
        let recorded = self
            .active
            .get(&msg.task_id)
            .map(|lease| lease.worker_id == msg.worker_id);
        if recorded == Some(true) {
            self.active.remove(&msg.task_id);
            self.mark_idle(&msg.worker_id);
        }
        if recorded.is_some() {
            self.assign_queued(ctx).await?;
        }
        Ok(Completed {
            status: "completed".into(),
            task_id: msg.task_id,
        })
    }

    async fn get_status(&mut self, _ctx: &mut Ctx, _msg: GetStatus) -> Status {
        let mut workers: Vec<(&u64, &String)> =
            self.workers.iter().map(|(id, n)| (n, id)).collect();
        workers.sort_unstable();
        Status {
            workers: workers.into_iter().map(|(_, id)| id.clone()).collect(),
            queued_tasks: self.queue.len(),
            active_tasks: self
                .active
                .iter()
                .map(|(task, lease)| (task.clone(), lease.worker_id.clone()))
                .collect(),
        }
    }

    async fn lease_expired(&mut self, ctx: &mut Ctx, msg: LeaseExpired) -> Result<(), Error> {
        let current = Lease {
            worker_id: msg.worker_id,
            assigned_at: msg.assigned_at,
        };
        if self.active.get(&msg.task_id) != Some(&current) {
            return Ok(()); // completed, or a later lease of the same task
        }
        self.active.remove(&msg.task_id);
        self.mark_idle(&current.worker_id);
        self.queue.push_front(msg.task_id.clone());
        self.queued.insert(msg.task_id);
        self.assign_queued(ctx).await
    }
}

impl Coordinator {
    /// Gives the oldest queued tasks to idle workers while both exist.
    async fn assign_queued(&mut self, ctx: &Ctx) -> Result<(), Error> {
        while !self.queue.is_empty() {
            let Some(worker_id) = self.take_idle_worker() else {
                break;
            };
            let task_id = self.queue.pop_front().expect("checked non-empty");
            self.queued.remove(&task_id);
            self.start(ctx, task_id, worker_id).await?;
        }
        Ok(())
    }

    /// Records the assignment, sets its lease timer and sends the work, fire-and-forget.
    async fn start(&mut self, ctx: &Ctx, task_id: String, worker_id: String) -> Result<(), Error> {
        let assigned_at = ctx.now();
        self.active.insert(
            task_id.clone(),
            Lease {
                worker_id: worker_id.clone(),
                assigned_at,
            },
        );
        let expiry = LeaseExpired {
            task_id: task_id.clone(),
            worker_id: worker_id.clone(),
            assigned_at,
        };
        ctx.send_after(lease_ms(ctx), &expiry).await?;
        ctx.actor::<Worker>(&worker_id)
            .send(&ProcessTask { task_id })
    }

    /// Removes and returns the longest-registered idle worker.
    fn take_idle_worker(&mut self) -> Option<String> {
        let number = *self.idle.first()?.0;
        self.idle.remove(&number)
    }

    /// Marks a registered worker idle.
    fn mark_idle(&mut self, worker_id: &str) {
        if let Some(&number) = self.workers.get(&worker_id.to_owned()) {
            self.idle.insert(number, worker_id.to_owned());
        }
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidPayload {
        reason: reason.into(),
    }
}
