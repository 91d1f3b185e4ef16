//! The coordinator (`coordinator:<name>`): registered workers, a queue of task ids and the
//! active tasks, assigned to idle workers as they come.
//!
//! Beyond protocol.md (a client sending only its fields sees exactly its behaviour):
//! `assign_task` may carry `priority` (higher first, FIFO within a priority) and `requires`
//! (a capability); `register_worker` may carry `capabilities`; `get_status` may take
//! `{limit, cursor}` for one bounded page. Every operation costs O(log n) and writes a
//! constant number of keys, whatever the number of workers or queued tasks. One durable
//! timer, set for the earliest expiry, serves every lease (`check_leases`), so completing a
//! task writes three keys: its lease, the next task's lease and that task's queue entry.

mod assign_payload;
mod leases;
mod queue_entry;
mod roster;
mod task_queue;

use assign_payload::AssignPayload;
pub use leases::{Lease, LeaseCursor, Leases};
pub use roster::Roster;
pub use task_queue::{Queued, TaskQueue};

use crate::worker::{ProcessTask, Worker};
use duract::{actor, message, payload, route, Ctx, Error, Limit};
use serde_json::Value;
use smol_str::SmolStr;

/// Registered workers per coordinator; registering a new id beyond it is `limit_exceeded`.
pub const MAX_WORKERS: Limit = Limit::new("MAX_WORKERS", 10_000);
/// Queued tasks per coordinator; an `assign_task` that would queue beyond it is
/// `limit_exceeded` (one that finds an idle worker is still assigned).
pub const MAX_QUEUED_TASKS: Limit = Limit::new("MAX_QUEUED_TASKS", 100_000);

/// `register_worker`: `{workerId?, capabilities?}`; without `workerId`, the id part of the
/// sender's address.
#[message]
pub struct RegisterWorker {
    /// The worker's id (non-empty when present).
    pub worker_id: Option<String>,
    /// What the worker can do, for tasks that require it.
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
}

/// The reply to [`RegisterWorker`]: `{status: "registered", workerId}`.
#[payload]
pub struct Registered {
    /// Always `registered`.
    pub status: String,
    /// The worker registered.
    pub worker_id: String,
}

/// `assign_task`: a non-empty task id string, or `{taskId, priority?, requires?}`.
#[message]
#[serde(untagged, from = "AssignPayload")]
pub enum AssignTask {
    /// `"t1"`.
    Id(String),
    /// `{"taskId": "t1", "priority": 5, "requires": "gpu"}`.
    Task {
        /// The task's id.
        #[serde(rename = "taskId")]
        task_id: String,
        /// Higher runs first; 0 when absent.
        #[serde(default)]
        priority: i64,
        /// A capability the worker must have.
        #[serde(default)]
        requires: Option<String>,
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
    /// `{status: "queued", taskId, position}`: it waits, 1-based `position` in the queue (among
    /// the tasks of its priority and required capability, when it has them).
    Queued {
        /// The task.
        task_id: String,
        /// Its place in the queue.
        position: usize,
    },
}

/// `task_complete` (internal): a worker reports a task done.
#[message(internal)]
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

/// `get_status`: its payload is ignored, unless it is `{limit, cursor?}` (one page). A
/// `limit` that is not a non-negative integer, or a `cursor` that is not a string, is
/// `invalid_payload`.
#[message]
#[serde(untagged, try_from = "Value")]
pub enum GetStatus {
    /// `{limit, cursor?}`: at most `limit` workers and active tasks after `cursor`.
    Page {
        /// The most entries to return.
        limit: usize,
        /// Where the previous page ended (its `nextCursor`).
        #[serde(default)]
        cursor: Option<String>,
    },
    /// Anything else: the whole status.
    Whole(serde_json::Value),
}

impl Default for GetStatus {
    /// The whole status.
    fn default() -> Self {
        GetStatus::Whole(Value::Null)
    }
}

impl TryFrom<Value> for GetStatus {
    type Error = &'static str;

    fn try_from(payload: Value) -> Result<GetStatus, Self::Error> {
        let Value::Object(fields) = &payload else {
            return Ok(GetStatus::Whole(payload));
        };
        let cursor = match fields.get("cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(cursor)) => Some(cursor.clone()),
            Some(_) => return Err("cursor must be a string"),
        };
        match fields.get("limit") {
            None | Some(Value::Null) => Ok(GetStatus::Whole(payload)),
            Some(limit) => match limit.as_u64().and_then(|l| usize::try_from(l).ok()) {
                Some(limit) => Ok(GetStatus::Page { limit, cursor }),
                None => Err("limit must be a non-negative integer"),
            },
        }
    }
}

/// The reply to [`GetStatus`].
#[payload]
pub struct Status {
    /// Registered workers, in registration order.
    pub workers: Vec<String>,
    /// How many tasks wait in the queue.
    pub queued_tasks: usize,
    /// `[taskId, workerId]` of each active task.
    pub active_tasks: Vec<(String, String)>,
    /// Only on a page: the totals and where the next page starts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// What a page of [`Status`] adds.
#[payload]
pub struct Page {
    /// All registered workers.
    pub worker_count: usize,
    /// All active tasks.
    pub active_count: usize,
    /// The `cursor` of the next page; `null` after the last.
    pub next_cursor: Option<String>,
}

/// `check_leases` (internal, the coordinator's lease timer): every task whose lease ran out
/// goes back to the head of the queue.
#[message(internal)]
pub struct CheckLeases;

/// The name of the one timer that serves every lease.
const LEASE_TIMER: &str = "leases";

/// The coordinator's state: each field one entry per item.
#[actor]
#[derive(Default)]
pub struct Coordinator {
    /// Registered workers, and which are idle.
    #[persist(entries)]
    workers: Roster,
    /// Tasks waiting.
    #[persist(entries)]
    queue: TaskQueue,
    /// Active tasks: task -> lease, and the lease timer.
    #[persist(entries)]
    active: Leases,
}

#[route]
#[waive(
    unknown_type = "clients meet the gateway's own unknown_type check first; native tests call the coordinator directly"
)]
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
        ctx.check_id("workerId", &worker_id)?;
        for capability in msg.capabilities.iter().flatten() {
            ctx.check_id("a capability", capability)?;
        }
        let limit = ctx.limit(MAX_WORKERS);
        if self.workers.registered(&worker_id).is_none() && self.workers.len() as u64 >= limit {
            let what = "workers are registered".into();
            return Err(Error::LimitExceeded { what, limit });
        }
        self.workers.register(&worker_id, msg.capabilities);
        if self.workers.is_idle(&worker_id) {
            self.free_worker(ctx, &worker_id)?; // new capabilities may match queued tasks
        }
        Ok(Registered {
            status: "registered".into(),
            worker_id,
        })
    }

    async fn assign_task(&mut self, ctx: &mut Ctx, msg: AssignTask) -> Result<Assignment, Error> {
        let (task_id, priority, need) = match msg {
            AssignTask::Id(task_id) => (task_id, 0, None),
            AssignTask::Task {
                task_id,
                priority,
                requires,
            } => (task_id, priority, requires),
        };
        if task_id.is_empty() {
            return Err(invalid("taskId must be a non-empty string"));
        }
        ctx.check_id("taskId", &task_id)?;
        need.as_deref()
            .map_or(Ok(()), |need| ctx.check_id("requires", need))?;
        if self.queue.contains(&task_id) || self.active.contains_key(&task_id) {
            let message = format!("Task {task_id} is already queued or active");
            return Err(Error::handler("duplicate_task", message));
        }
        let task = Queued {
            task_id: task_id.as_str().into(),
            priority,
            need,
        };
        if let Some(worker_id) = self.workers.take_idle(task.need.as_deref()) {
            self.start(ctx, task, worker_id.clone())?;
            let worker_id = worker_id.to_string();
            return Ok(Assignment::Assigned { task_id, worker_id });
        }
        let limit = ctx.limit(MAX_QUEUED_TASKS);
        if self.queue.len() as u64 >= limit {
            let what = "tasks are queued".into();
            return Err(Error::LimitExceeded { what, limit });
        }
        let position = self.queue.push_back(task);
        Ok(Assignment::Queued { task_id, position })
    }

    #[waive(
        invalid_payload = "internal: only actors send it, well-formed; native tests send a malformed one",
        handler_error = "fails only if a timer or message of its own cannot be encoded, which never happens; a storage failure fails the turn after the handler (native tests inject one)"
    )]
    async fn task_complete(
        &mut self,
        ctx: &mut Ctx,
        msg: TaskComplete,
    ) -> Result<Completed, Error> {
        let reported_by_holder = |l: &Lease| *l.worker_id == *msg.worker_id;
        let Some(_) = self.active.remove_if(&msg.task_id, reported_by_holder)? else {
            // Unknown, or assigned to another worker since: nothing changes. (protocol.md's
            // "the reporting worker, if idle, gets the oldest queued task" is then a no-op: an
            // idle worker never waits beside a queued task it can run.)
            #[waive("a worker reports only its current task, so this takes a lost or repeated report; native tests send one")]
            return Ok(completed(msg.task_id));
        };
        // The lease timer stays: when it fires it finds this lease gone and re-arms.
        self.free_worker(ctx, &msg.worker_id)?;
        Ok(completed(msg.task_id))
    }

    #[waive(
        invalid_payload = "every payload is accepted: anything but {limit, cursor} asks for the whole status"
    )]
    async fn get_status(&mut self, _ctx: &mut Ctx, msg: GetStatus) -> Result<Status, Error> {
        match msg {
            GetStatus::Page { limit, cursor } => self.page(limit, cursor.as_deref()),
            GetStatus::Whole(_) => Ok(Status {
                workers: self.workers.from(0).map(|(_, id)| id.to_owned()).collect(),
                queued_tasks: self.queue.len(),
                active_tasks: self
                    .active
                    .iter()
                    .map(|(t, l)| (t.to_owned(), l.worker_id.to_string()))
                    .collect(),
                page: None,
            }),
        }
    }

    #[waive(
        invalid_payload = "a unit message: every payload decodes",
        handler_error = "fails only if a timer or message of its own cannot be encoded, which never happens; a storage failure fails the turn after the handler (native tests inject one)"
    )]
    async fn check_leases(&mut self, ctx: &mut Ctx, _msg: CheckLeases) -> Result<(), Error> {
        while let Some((task_id, lease)) = self.active.pop_expired(ctx.now() as f64)? {
            self.requeue(ctx, task_id, lease)?;
        }
        self.arm_lease_timer(ctx)
    }
}

impl Coordinator {
    /// A registered worker with nothing to do takes the first queued task it can run, or
    /// else becomes idle. (A worker that goes straight to its next task is not written.)
    fn free_worker(&mut self, ctx: &Ctx, worker_id: &str) -> Result<(), Error> {
        let Some((worker, capabilities)) = self.workers.registered(worker_id) else {
            return Ok(());
        };
        let worker = worker.clone();
        let Some(task) = self.queue.pop_for(capabilities) else {
            self.workers.set_idle(worker_id, true);
            return Ok(());
        };
        self.workers.set_idle(worker_id, false);
        self.start(ctx, task, worker)
    }

    /// Gives a waiting task to an idle worker that can run it, if any.
    fn offer_task(&mut self, ctx: &Ctx, task_id: &str) -> Result<(), Error> {
        let Some(need) = self.queue.need_of(task_id) else {
            return Ok(()); // no longer waiting
        };
        let Some(worker_id) = self.workers.take_idle(need) else {
            return Ok(());
        };
        let task = self
            .queue
            .remove(task_id)
            .expect("need_of found it waiting");
        self.start(ctx, task, worker_id)
    }

    /// Records the assignment and its lease, and sends the work (it leaves once the turn's
    /// writes are stored).
    fn start(&mut self, ctx: &Ctx, task: Queued, worker_id: SmolStr) -> Result<(), Error> {
        let assigned_at = ctx.now() as f64;
        let lease = Lease {
            worker_id: worker_id.clone(),
            assigned_at,
            expires_at: assigned_at + ctx.var_or("TASK_LEASE_MS", 60_000.0),
            priority: task.priority,
            requires: task.need,
            order: 0, // set by `insert`
        };
        self.active.insert(task.task_id.clone(), lease)?;
        self.arm_lease_timer(ctx)?;
        ctx.actor::<Worker>(&worker_id).send(&ProcessTask {
            task_id: task.task_id.to_string(),
        })
    }

    /// Puts a task whose lease ran out back at the head of the queue. The worker that held
    /// it counts as idle and takes the best task it can run; if that was another, the task
    /// goes to any other idle worker that can run it.
    fn requeue(&mut self, ctx: &Ctx, task_id: SmolStr, lease: Lease) -> Result<(), Error> {
        self.queue.push_front(Queued {
            task_id: task_id.clone(),
            priority: lease.priority,
            need: lease.requires,
        });
        self.free_worker(ctx, &lease.worker_id)?;
        self.offer_task(ctx, &task_id)
    }

    /// Sets the lease timer for the earliest expiry, unless it is set for then or sooner.
    /// One timer serves every lease: completing a task leaves it alone, so a completion
    /// writes no timer.
    fn arm_lease_timer(&self, ctx: &Ctx) -> Result<(), Error> {
        let Some(due) = self.active.earliest_expiry() else {
            return Ok(());
        };
        let due = due.ceil() as u64;
        if ctx.timer(LEASE_TIMER).is_some_and(|set| set <= due) {
            return Ok(());
        }
        ctx.set_timer_at(LEASE_TIMER, due, &CheckLeases)
    }

    /// One page of the status: workers first (by registration), then active tasks (the
    /// earliest lease expiry first). Cursors: `w:<registration number>`, `a:<lease cursor>`;
    /// any other cursor is `invalid_payload`.
    fn page(&self, limit: usize, cursor: Option<&str>) -> Result<Status, Error> {
        let unreadable = || invalid("cursor must be a nextCursor of an earlier page");
        let (worker_from, task_from) = match cursor.map(|c| c.split_once(':')) {
            None => (Some(0), None),
            Some(Some(("w", n))) => (Some(n.parse().map_err(|_| unreadable())?), None),
            Some(Some(("a", lease))) => (
                None,
                Some(LeaseCursor::parse(lease).ok_or_else(unreadable)?),
            ),
            Some(_) => return Err(unreadable()),
        };
        let mut next_cursor = None;
        let mut workers = Vec::new();
        if let Some(from) = worker_from {
            for (number, id) in self.workers.from(from) {
                if workers.len() == limit {
                    next_cursor = Some(format!("w:{number}"));
                    break;
                }
                workers.push(id.to_owned());
            }
        }
        let mut active_tasks = Vec::new();
        if next_cursor.is_none() {
            let from = task_from.unwrap_or(LeaseCursor::FIRST);
            for (at, task, lease) in self.active.page_from(from) {
                if workers.len() + active_tasks.len() == limit {
                    next_cursor = Some(format!("a:{at}"));
                    break;
                }
                active_tasks.push((task.to_owned(), lease.worker_id.to_string()));
            }
        }
        let page = Page {
            worker_count: self.workers.len(),
            active_count: self.active.len(),
            next_cursor,
        };
        Ok(Status {
            workers,
            queued_tasks: self.queue.len(),
            active_tasks,
            page: Some(page),
        })
    }
}

fn completed(task_id: String) -> Completed {
    Completed {
        status: "completed".into(),
        task_id,
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidPayload {
        reason: reason.into(),
    }
}
