//! A worker (`worker:<id>`): does one task at a time and reports it to the coordinator that
//! sent it.
//!
//! The work is simulated: it takes `WORK_MS` (default 1000 ms), a message the worker sends
//! itself for later (`work_done`), so the worker answers `get_state` while it works
//! (reporting its `currentTask`). That message is held in memory, not stored: it costs no
//! write and no alarm. An instance evicted or restarted mid-task resumes the task when it
//! next activates (a message to it, or the coordinator sending the task again when its lease
//! runs out): no task is lost.

use crate::coordinator::{Coordinator, TaskComplete};
use duract::{actor, message, payload, route, Ctx, Error};
use std::time::Duration;

/// `process_task` (internal: only the coordinator sends it).
#[message(internal)]
pub struct ProcessTask {
    /// The task.
    pub task_id: String,
    /// Which assignment of the task this is (its lease's expiry): the report carries it back,
    /// so that a late or repeated report of an earlier assignment of the same task id ends
    /// nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<u64>,
}

/// The reply to [`ProcessTask`]: `{status: "processing", taskId}`. The work goes on after the
/// reply; its completion reaches the coordinator as `task_complete`.
#[payload]
pub struct Started {
    /// Always `processing`.
    pub status: String,
    /// The task.
    pub task_id: String,
}

/// `get_state`; its payload is ignored.
#[message]
pub struct GetState;

/// The reply to [`GetState`]: `{workerId, currentTask, processedCount}`.
#[payload]
pub struct WorkerState {
    /// This worker's id.
    pub worker_id: String,
    /// The task in progress, or `null`.
    pub current_task: Option<String>,
    /// Tasks finished so far.
    pub processed_count: u64,
}

/// `work_done` (internal, a message the worker sends itself for later): a task's work is over.
#[message(internal)]
pub struct WorkDone {
    /// The task.
    pub task_id: String,
}

/// The worker's state.
#[actor]
#[derive(Default)]
pub struct Worker {
    /// The task in progress.
    current_task: Option<String>,
    /// The coordinator that sent it (the id of its address).
    coordinator: Option<String>,
    /// The assignment it came with, for the report.
    assignment: Option<u64>,
    /// Tasks finished so far.
    processed_count: u64,
}

#[route]
#[waive(
    unknown_type = "clients meet the gateway's own unknown_type check first; native tests call the worker directly"
)]
impl Worker {
    /// The work is held in memory: an activation that finds a task in progress (the instance
    /// was evicted or restarted mid-task) starts its work again.
    #[route(on_activate)]
    async fn resume(&mut self, ctx: &mut Ctx) -> Result<(), Error> {
        match self.current_task.clone() {
            Some(task_id) => start_work(ctx, task_id),
            None => Ok(()),
        }
    }

    #[waive(
        invalid_payload = "internal: only actors send it, well-formed; native tests send a malformed one",
        handler_error = "fails only if a message of its own cannot be encoded, which never happens; a storage failure fails the turn after the handler (native tests inject one)"
    )]
    async fn process_task(&mut self, ctx: &mut Ctx, msg: ProcessTask) -> Result<Started, Error> {
        // A task sent again (its lease ran out meanwhile) goes on with the work in progress.
        let working = self.current_task.as_deref() == Some(msg.task_id.as_str());
        self.current_task = Some(msg.task_id.clone());
        self.coordinator = Some(ctx.sender().id().to_owned());
        self.assignment = msg.assignment;
        if !working {
            start_work(ctx, msg.task_id.clone())?;
        }
        Ok(Started {
            status: "processing".into(),
            task_id: msg.task_id,
        })
    }

    #[waive(
        invalid_payload = "internal: the worker's own message, always well-formed; native tests send a malformed one",
        handler_error = "its send fails only for an invalid address, and the coordinator's comes from a valid sender"
    )]
    async fn work_done(&mut self, ctx: &mut Ctx, msg: WorkDone) -> Result<(), Error> {
        if self.current_task.as_deref() != Some(msg.task_id.as_str()) {
            return Ok(()); // a task this worker was taken off
        }
        self.current_task = None;
        self.processed_count += 1;
        let done = TaskComplete {
            task_id: msg.task_id,
            worker_id: ctx.me().id().to_owned(),
            assignment: self.assignment.take(),
        };
        let coordinator = self.coordinator.take().unwrap_or_else(|| "main".into());
        ctx.actor::<Coordinator>(&coordinator).send(&done)
    }

    #[waive(invalid_payload = "the payload is ignored: no payload fails to decode")]
    async fn get_state(&mut self, ctx: &mut Ctx, _msg: GetState) -> WorkerState {
        WorkerState {
            worker_id: ctx.me().id().to_owned(),
            current_task: self.current_task.clone(),
            processed_count: self.processed_count,
        }
    }
}

/// Has `work_done` for `task_id` arrive after `WORK_MS` (default 1000 ms).
fn start_work(ctx: &Ctx, task_id: String) -> Result<(), Error> {
    let work = Duration::from_millis(ctx.var_or("WORK_MS", 1000));
    ctx.send_self_after(work, &WorkDone { task_id })
}
