//! The coordinator's messages and replies: protocol.md's, with the optional fields of
//! revision 3.

use duract::{message, payload};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

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
#[serde(untagged, try_from = "Box<RawValue>")]
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

/// A string is a task id; anything else must be the object form, whose `null` fields count
/// as absent. (Told apart by its first character: an untagged enum buffers the payload and
/// tries each form in turn, which made `assign` 1.3 µs instead of 1.15 µs at (10, 10) in
/// `benches/coordinator_scale.rs`.)
impl TryFrom<Box<RawValue>> for AssignTask {
    type Error = serde_json::Error;

    fn try_from(payload: Box<RawValue>) -> Result<AssignTask, Self::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            task_id: String,
            priority: Option<i64>,
            requires: Option<String>,
        }
        if payload.get().starts_with('"') {
            return serde_json::from_str(payload.get()).map(AssignTask::Id);
        }
        let Fields {
            task_id,
            priority,
            requires,
        } = serde_json::from_str(payload.get())?;
        let priority = priority.unwrap_or(0);
        Ok(AssignTask::Task {
            task_id,
            priority,
            requires,
        })
    }
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
    /// The assignment reported (from its `process_task`): a report of an earlier assignment
    /// of the same task id, delivered late or twice, ends nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<u64>,
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
    Whole(Value),
}

impl Default for GetStatus {
    /// The whole status.
    fn default() -> Self {
        GetStatus::Whole(Value::Null)
    }
}

impl TryFrom<Value> for GetStatus {
    type Error = serde_json::Error;

    fn try_from(payload: Value) -> Result<GetStatus, Self::Error> {
        #[derive(Deserialize)]
        struct Fields {
            limit: Option<usize>,
            cursor: Option<String>,
        }
        if !payload.is_object() {
            return Ok(GetStatus::Whole(payload));
        }
        Ok(match Fields::deserialize(&payload)? {
            Fields {
                limit: Some(limit),
                cursor,
            } => GetStatus::Page { limit, cursor },
            Fields { limit: None, .. } => GetStatus::Whole(payload),
        })
    }
}

/// The reply to [`GetStatus`].
#[payload]
pub struct Status {
    /// Registered workers, in registration order.
    pub workers: Vec<String>,
    /// How many tasks wait in the queue.
    pub queued_tasks: usize,
    /// `[taskId, workerId]` of each active task, the earliest lease expiry first.
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

/// `watch_dashboard`: the live dashboard. The client's session (`session`: the `sessionId` of
/// its `SessionEstablished`) is pushed a `dashboard_update` (a [`DashboardView`] of the same
/// page) after changes, at most one per `DASHBOARD_PUSH_MS` (500 ms), for
/// `DASHBOARD_WATCH_MS` (60 s) unless sent again; with authentication, the principal's own
/// session only. Sending it again with other cursors moves the page.
#[message]
pub struct WatchDashboard {
    /// The session to push to.
    pub session: String,
    /// Rows per list, 1 to 100 (default 20).
    #[serde(default)]
    pub limit: Option<usize>,
    /// The first worker to list: a `nextWorkers` of an earlier view (default: the first).
    #[serde(default)]
    pub workers_cursor: Option<String>,
    /// The first active task to list: a `nextActive` of an earlier view (default: the first).
    #[serde(default)]
    pub active_cursor: Option<String>,
}

/// One page of the dashboard: the reply to [`WatchDashboard`] and the payload of each
/// `dashboard_update` push.
#[payload]
pub struct DashboardView {
    /// The coordinator's clock (ms since the epoch), for lease countdowns.
    pub now: u64,
    /// Registered workers.
    pub worker_count: usize,
    /// Tasks waiting in the queue.
    pub queued_tasks: usize,
    /// Tasks being worked on.
    pub active_count: usize,
    /// A page of workers, in registration order.
    pub workers: Vec<WorkerRow>,
    /// The `workersCursor` of the next page of workers; `null` after the last.
    pub next_workers: Option<String>,
    /// A page of active tasks, the earliest lease expiry first.
    pub active: Vec<ActiveRow>,
    /// The `activeCursor` of the next page of active tasks; `null` after the last.
    pub next_active: Option<String>,
    /// Assignments and completions per second of the last minute, oldest first (seconds
    /// without any are absent).
    pub throughput: Vec<Throughput>,
    /// Recent incidents (refused requests, expired leases), the latest first.
    pub incidents: Vec<Incident>,
    /// The tasks completed last, the latest first.
    pub completed: Vec<Finished>,
    /// How long the watch lasts (ms): send `watch_dashboard` again within it.
    pub watch_ms: u64,
}

/// A worker on the dashboard.
#[payload]
pub struct WorkerRow {
    /// Its id.
    pub worker_id: String,
    /// `idle` or `busy`.
    pub state: String,
    /// Its task, when busy.
    pub task: Option<String>,
    /// What it can do.
    pub capabilities: Vec<String>,
}

/// An active task on the dashboard.
#[payload]
pub struct ActiveRow {
    /// The task.
    pub task_id: String,
    /// Its worker.
    pub worker_id: String,
    /// When its lease runs out (ms since the epoch): then it goes back to the queue.
    pub lease_expires_at: u64,
}

/// A second of throughput.
#[payload]
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Its start (ms since the epoch).
    pub at: u64,
    /// Tasks assigned to a worker in it.
    pub assigned: u32,
    /// Tasks completed in it.
    pub completed: u32,
}

/// Something that went wrong: a refused request or an expired lease.
#[payload]
#[derive(Debug, Clone)]
pub struct Incident {
    /// When (ms since the epoch).
    pub at: u64,
    /// The error code (`duplicate_task`, `limit_exceeded`, `lease_expired`, ...).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// A task completed, on the dashboard.
#[payload]
#[derive(Debug, Clone)]
pub struct Finished {
    /// The task.
    pub task_id: String,
    /// The worker that did it.
    pub worker_id: String,
    /// When its report arrived (ms since the epoch).
    pub at: u64,
}

/// `dashboard_update`: what a watching session's sockets are pushed, a [`DashboardView`].
#[message]
#[serde(transparent)]
pub struct DashboardUpdate(pub DashboardView);

/// `push_dashboard` (internal, the coordinator's timer): changes since the last push go out.
#[message(internal)]
pub struct PushDashboard;
