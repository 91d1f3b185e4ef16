//! The coordinator (`coordinator:<name>`): registered workers, a queue of task ids and the
//! active tasks, assigned to idle workers as they come.
//!
//! Beyond protocol.md (a client sending only its fields sees exactly its behaviour):
//! `assign_task` may carry `priority` (higher first, FIFO within a priority) and `requires`
//! (a capability); `register_worker` may carry `capabilities`; `get_status` may take
//! `{limit, cursor}` for one bounded page. The state is three [`Table`]s, one row per worker
//! or task: every operation costs O(log n) and writes a constant number of keys, whatever the
//! number of workers or queued tasks. One durable timer, set for the earliest expiry, serves
//! every lease (`check_leases`), so completing a task writes three keys: its lease, the next
//! task's lease and that task's queue entry.
//!
//! The live dashboard (`watch_dashboard`, [`board`]): watching sessions are pushed a page of
//! workers and active tasks, the throughput and recent incidents after changes, throttled;
//! nothing of it is stored, and a coordinator nobody watches pushes nothing.

pub mod board;
mod messages;
mod state;

use board::{Board, PageAt, DEFAULT_DASHBOARD_ROWS, MAX_DASHBOARD_ROWS};
pub use messages::*;
use state::{Lease, Member, Waiting, WorkerIndex};

use crate::session::Session;
use crate::worker::{ProcessTask, Worker};
use duract::{actor, route, Ctx, Error, Limit, Table};
use smol_str::SmolStr;
use std::collections::{HashMap, HashSet};
use std::iter::once;

/// Registered workers per coordinator; registering a new id beyond it is `limit_exceeded`.
pub const MAX_WORKERS: Limit = Limit::new("MAX_WORKERS", 10_000);
/// Queued tasks per coordinator; an `assign_task` that would queue beyond it is
/// `limit_exceeded` (one that finds an idle worker is still assigned).
pub const MAX_QUEUED_TASKS: Limit = Limit::new("MAX_QUEUED_TASKS", 100_000);

/// The name of the one timer that serves every lease.
const LEASE_TIMER: &str = "leases";
/// The name of the timer of the next dashboard push.
const BOARD_TIMER: &str = "dashboard";

/// The coordinator's state.
#[actor]
#[derive(Default)]
pub struct Coordinator {
    /// Registered workers, by id: in registration order, the idle ones by capability.
    #[persist(entries)]
    workers: Table<SmolStr, Member>,
    /// Waiting tasks, by id: by class (requirement and priority), first in first out.
    #[persist(entries)]
    queue: Table<SmolStr, Waiting>,
    /// Active tasks, by id: their leases, the earliest expiry first.
    #[persist(entries)]
    active: Table<SmolStr, Lease>,
    /// The live dashboard's watchers and figures (not stored).
    #[persist(skip)]
    board: Board,
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
        if !self.workers.contains_key(worker_id.as_str()) && self.workers.len() as u64 >= limit {
            let what = "workers are registered".into();
            let error = Error::LimitExceeded { what, limit };
            return Err(self.board.refused(ctx.now(), error));
        }
        let id = SmolStr::new(&worker_id);
        self.enroll(&id, msg.capabilities);
        if self.workers.get(&id).is_some_and(|w| w.idle) {
            self.free_worker(ctx, &id)?; // new capabilities may match queued tasks
        }
        self.publish(ctx)?;
        Ok(Registered {
            status: "registered".into(),
            worker_id,
        })
    }

    async fn assign_task(&mut self, ctx: &mut Ctx, msg: AssignTask) -> Result<Assignment, Error> {
        let (task_id, task) = match msg {
            AssignTask::Id(task_id) => (task_id, Waiting::default()),
            AssignTask::Task {
                task_id,
                priority,
                requires,
            } => (task_id, Waiting::new(priority, requires)),
        };
        if task_id.is_empty() {
            return Err(invalid("taskId must be a non-empty string"));
        }
        ctx.check_id("taskId", &task_id)?;
        (task.requires.as_deref()).map_or(Ok(()), |need| ctx.check_id("requires", need))?;
        if self.queue.contains_key(task_id.as_str()) || self.active.contains_key(task_id.as_str()) {
            let message = format!("Task {task_id} is already queued or active");
            let error = Error::handler("duplicate_task", message);
            return Err(self.board.refused(ctx.now(), error));
        }
        if let Some(worker_id) = self.take_idle(task.requires.clone()) {
            self.start(ctx, SmolStr::new(&task_id), task, worker_id.clone())?;
            self.publish(ctx)?;
            let worker_id = worker_id.into();
            return Ok(Assignment::Assigned { task_id, worker_id });
        }
        let limit = ctx.limit(MAX_QUEUED_TASKS);
        if self.queue.len() as u64 >= limit {
            let what = "tasks are queued".into();
            let error = Error::LimitExceeded { what, limit };
            return Err(self.board.refused(ctx.now(), error));
        }
        let class = task.class();
        self.queue.insert(SmolStr::new(&task_id), task);
        let position = self.queue.count(&class);
        self.publish(ctx)?;
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
        // By the worker holding it, about this very assignment (when the report names one).
        let reported_by_holder = |l: &Lease| {
            *l.worker_id == *msg.worker_id && msg.assignment.is_none_or(|a| a == l.expires_at)
        };
        let Some(_) = self
            .active
            .remove_if(msg.task_id.as_str(), reported_by_holder)
        else {
            // Unknown, or assigned to another worker since: nothing changes. (protocol.md's
            // "the reporting worker, if idle, gets the oldest queued task" is then a no-op: an
            // idle worker never waits beside a queued task it can run.)
            #[waive("a worker reports only its current task, so this takes a lost or repeated report; native tests send one")]
            return Ok(completed(msg.task_id));
        };
        // The lease timer stays: when it fires it finds this lease gone and re-arms.
        (self.board).completed(ctx.now(), &msg.task_id, &msg.worker_id);
        self.free_worker(ctx, &msg.worker_id)?;
        self.publish(ctx)?;
        Ok(completed(msg.task_id))
    }

    #[waive(
        invalid_payload = "every payload is accepted: anything but {limit, cursor} asks for the whole status"
    )]
    async fn get_status(&mut self, _ctx: &mut Ctx, msg: GetStatus) -> Result<Status, Error> {
        match msg {
            GetStatus::Page { limit, cursor } => self.page(limit, cursor.as_deref()),
            GetStatus::Whole(_) => Ok(Status {
                workers: (self.workers.rows(&WorkerIndex::Registered))
                    .map(|w| w.key.to_string())
                    .collect(),
                queued_tasks: self.queue.len(),
                active_tasks: (self.active.range(..))
                    .map(|l| (l.key.to_string(), l.value().worker_id.to_string()))
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
        while let Some((task_id, lease)) = self.active.pop_first(..=ctx.now()) {
            let message = format!(
                "the lease of {task_id} on {} ran out: queued again",
                lease.worker_id
            );
            self.board.incident(ctx.now(), "lease_expired", message);
            self.requeue(ctx, task_id, lease)?;
        }
        self.publish(ctx)?;
        self.arm_lease_timer(ctx)
    }

    async fn watch_dashboard(
        &mut self,
        ctx: &mut Ctx,
        msg: WatchDashboard,
    ) -> Result<DashboardView, Error> {
        ctx.check_id("session", &msg.session)?;
        let page = page_at(&msg)?;
        self.board.watch(ctx, msg.session, page.clone())?;
        Ok(self.view(ctx, &page))
    }

    #[waive(invalid_payload = "a unit message: every payload decodes")]
    async fn push_dashboard(&mut self, ctx: &mut Ctx, _msg: PushDashboard) {
        self.push_views(ctx);
    }
}

/// The live dashboard: views and pushes.
impl Coordinator {
    /// After a change: pushes the watchers' views now if the last push is `DASHBOARD_PUSH_MS`
    /// old, else sets the timer of the next push (changes until then go out together). Does
    /// nothing while nobody watches.
    fn publish(&mut self, ctx: &Ctx) -> Result<(), Error> {
        if !self.board.is_watched(ctx.now()) {
            return Ok(());
        }
        let due = self.board.next_push(ctx);
        if due <= ctx.now() {
            self.push_views(ctx);
        } else if ctx.timer(BOARD_TIMER).is_none() {
            ctx.set_timer_at(BOARD_TIMER, due, &PushDashboard)?;
        }
        Ok(())
    }

    /// Sends each live watcher its page, to its principal's session. A push that cannot leave
    /// drops its watcher: a watcher never fails the turn of a change.
    fn push_views(&mut self, ctx: &Ctx) {
        let watchers = self.board.take_turn(ctx.now()).to_vec();
        for watcher in watchers {
            let update = DashboardUpdate(self.view(ctx, &watcher.page));
            let session = ctx.actor::<Session>(&watcher.session);
            let pushed = (session.for_principal(watcher.principal.as_ref())).send(&update);
            if pushed.is_err() {
                self.board.unwatch(&watcher);
            }
        }
    }

    /// The dashboard's page at `page`.
    fn view(&self, ctx: &Ctx, page: &PageAt) -> DashboardView {
        let now = ctx.now();
        let (workers, next_workers) = self.worker_rows(page);
        let (active, next_active) = self.active_rows(page);
        DashboardView {
            now,
            worker_count: self.workers.len(),
            queued_tasks: self.queue.len(),
            active_count: self.active.len(),
            workers,
            next_workers,
            active,
            next_active,
            throughput: self.board.throughput(now),
            incidents: self.board.incidents(),
            completed: self.board.finished(),
            watch_ms: Board::watch_ms(ctx),
        }
    }

    /// A page of workers in registration order, each with its task, and the next page's
    /// cursor (its first worker's registration seq).
    fn worker_rows(&self, page: &PageAt) -> (Vec<WorkerRow>, Option<String>) {
        let registered = (self.workers)
            .range_from(WorkerIndex::Registered, page.worker_seq)
            .take_while(|w| *w.index == WorkerIndex::Registered);
        let mut listed: Vec<_> = registered.take(page.limit + 1).collect();
        let next = listed.get(page.limit).map(|w| w.seq.to_string());
        listed.truncate(page.limit);
        let busy = listed.iter().filter(|w| !w.value().idle);
        let tasks = self.tasks_of(busy.map(|w| w.key.as_str()).collect());
        let rows = listed.iter().map(|w| WorkerRow {
            worker_id: w.key.to_string(),
            state: if w.value().idle { "idle" } else { "busy" }.into(),
            task: tasks.get(w.key.as_str()).cloned(),
            capabilities: (w.value().capabilities.iter())
                .map(SmolStr::to_string)
                .collect(),
        });
        (rows.collect(), next)
    }

    /// The task of each of the `busy` workers: one pass over the active tasks, none when no
    /// worker is busy.
    fn tasks_of<'a>(&'a self, busy: HashSet<&str>) -> HashMap<&'a str, String> {
        if busy.is_empty() {
            return HashMap::new();
        }
        let held = self
            .active
            .iter()
            .filter(|(_, l)| busy.contains(l.worker_id.as_str()));
        held.map(|(task, l)| (l.worker_id.as_str(), task.to_string()))
            .collect()
    }

    /// A page of active tasks, the earliest lease expiry first, and the next page's cursor
    /// (`<expiry>/<seq>` of its first task).
    fn active_rows(&self, page: &PageAt) -> (Vec<ActiveRow>, Option<String>) {
        let (at, seq) = page.lease;
        let mut listed: Vec<_> = self
            .active
            .range_from(at, seq)
            .take(page.limit + 1)
            .collect();
        let next = (listed.get(page.limit)).map(|l| format!("{}/{}", l.index, l.seq));
        listed.truncate(page.limit);
        let rows = listed.iter().map(|l| ActiveRow {
            task_id: l.key.to_string(),
            worker_id: l.value().worker_id.to_string(),
            lease_expires_at: l.value().expires_at,
        });
        (rows.collect(), next)
    }
}

/// Where a watch's page starts; an empty session, a `limit` outside 1..=100 or an unreadable
/// cursor is `invalid_payload`.
fn page_at(msg: &WatchDashboard) -> Result<PageAt, Error> {
    if msg.session.is_empty() {
        return Err(invalid("session must be a non-empty string"));
    }
    let limit = msg.limit.unwrap_or(DEFAULT_DASHBOARD_ROWS);
    if !(1..=MAX_DASHBOARD_ROWS).contains(&limit) {
        return Err(invalid("limit must be between 1 and 100"));
    }
    let unreadable = || invalid("a cursor must be a nextWorkers or nextActive of an earlier view");
    let worker_seq = match msg.workers_cursor.as_deref() {
        None => 0,
        Some(text) => seq(text.parse().map_err(|_| unreadable())?),
    };
    let lease = match msg.active_cursor.as_deref() {
        None => (0, i64::MIN),
        Some(text) => lease_cursor(text).ok_or_else(unreadable)?,
    };
    Ok(PageAt {
        limit,
        worker_seq,
        lease,
    })
}

/// The policy: who gets which task, and leases.
impl Coordinator {
    /// Registers `id` (idle), or sets the capabilities of a registered worker when given.
    fn enroll(&mut self, id: &SmolStr, capabilities: Option<Vec<String>>) {
        let capabilities = capabilities.map(|c| c.into_iter().map(SmolStr::from).collect());
        if !self.workers.contains_key(id) {
            let capabilities = capabilities.unwrap_or_default();
            let member = Member {
                capabilities,
                idle: true,
            };
            self.workers.insert(id.clone(), member);
        } else if let Some(capabilities) = capabilities {
            self.workers.update(id, |w| w.capabilities = capabilities);
        }
    }

    /// A registered worker with nothing to do takes the first queued task it can run, or
    /// else becomes idle. (A worker that goes straight to its next task is not written.)
    fn free_worker(&mut self, ctx: &Ctx, worker_id: &str) -> Result<(), Error> {
        let Some(worker) = self.workers.get(worker_id) else {
            return Ok(());
        };
        let next = take_task_for(&mut self.queue, &worker.capabilities);
        if worker.idle != next.is_none() {
            self.workers.update(worker_id, |w| w.idle = next.is_none());
        }
        match next {
            Some((task_id, task)) => self.start(ctx, task_id, task, worker_id.into()),
            None => Ok(()),
        }
    }

    /// Takes the longest-registered idle worker that has `need` (any idle worker when
    /// `None`), marking it busy.
    fn take_idle(&mut self, need: Option<SmolStr>) -> Option<SmolStr> {
        let worker_id = self.workers.first(&WorkerIndex::Idle(need))?.key.clone();
        self.workers.update(&worker_id, |w| w.idle = false);
        Some(worker_id)
    }

    /// Records the assignment and its lease, and sends the work (it leaves once the turn's
    /// writes are stored).
    fn start(
        &mut self,
        ctx: &Ctx,
        task_id: SmolStr,
        task: Waiting,
        worker_id: SmolStr,
    ) -> Result<(), Error> {
        let expires_at = ctx
            .now()
            .saturating_add(ctx.var_or("TASK_LEASE_MS", 60_000));
        // The lease's expiry names the assignment: a later one of the same task id to the same
        // worker expires later (its report is told from a late report of this one).
        let work = ProcessTask {
            task_id: task_id.to_string(),
            assignment: Some(expires_at),
        };
        ctx.actor::<Worker>(&worker_id).send(&work)?;
        self.board.assigned(ctx.now());
        let lease = Lease {
            worker_id,
            expires_at,
            task,
        };
        self.active.insert(task_id, lease);
        self.arm_lease_timer(ctx)
    }

    /// Puts a task whose lease ran out back at the head of the queue. The worker that held
    /// it counts as idle and takes the best task it can run; if that was another, the task
    /// goes to any other idle worker that can run it.
    fn requeue(&mut self, ctx: &Ctx, task_id: SmolStr, lease: Lease) -> Result<(), Error> {
        self.queue.insert_front(task_id.clone(), lease.task);
        self.free_worker(ctx, &lease.worker_id)?;
        let Some(need) = self.queue.get(&task_id).map(|t| t.requires.clone()) else {
            return Ok(()); // its holder took it again
        };
        let Some(worker_id) = self.take_idle(need) else {
            return Ok(());
        };
        let task = self.queue.remove(&task_id).unwrap_or_default(); // found just above
        self.start(ctx, task_id, task, worker_id)
    }

    /// Sets the lease timer for the earliest expiry, unless it is set for then or sooner.
    /// One timer serves every lease: completing a task leaves it alone, so a completion
    /// writes no timer.
    fn arm_lease_timer(&self, ctx: &Ctx) -> Result<(), Error> {
        let Some(due) = self.active.first_in(..).map(|l| *l.index) else {
            return Ok(());
        };
        if ctx.timer(LEASE_TIMER).is_some_and(|set| set <= due) {
            return Ok(());
        }
        ctx.set_timer_at(LEASE_TIMER, due, &CheckLeases)
    }

    /// One page of the status: workers first (by registration), then active tasks (the
    /// earliest lease expiry first). Cursors: `w:<worker's seq>`, `a:<expiry>/<lease's seq>`;
    /// any other cursor is `invalid_payload`.
    fn page(&self, limit: usize, cursor: Option<&str>) -> Result<Status, Error> {
        let unreadable = || invalid("cursor must be a nextCursor of an earlier page");
        let (worker_from, lease_from) = match cursor.map(|c| c.split_once(':')) {
            None => (Some(0), None),
            Some(Some(("w", seq))) => (Some(seq.parse().map_err(|_| unreadable())?), None),
            Some(Some(("a", at))) => (None, Some(lease_cursor(at).ok_or_else(unreadable)?)),
            Some(_) => return Err(unreadable()),
        };
        let mut next_cursor = None;
        let mut workers = Vec::new();
        if let Some(from) = worker_from.map(seq) {
            let registered = self.workers.range_from(WorkerIndex::Registered, from);
            for w in registered.take_while(|w| *w.index == WorkerIndex::Registered) {
                if workers.len() == limit {
                    next_cursor = Some(format!("w:{}", w.seq));
                    break;
                }
                workers.push(w.key.to_string());
            }
        }
        let mut active_tasks = Vec::new();
        if next_cursor.is_none() {
            let (at, from) = lease_from.unwrap_or((0, i64::MIN));
            for l in self.active.range_from(at, from) {
                if workers.len() + active_tasks.len() == limit {
                    next_cursor = Some(format!("a:{}/{}", l.index, l.seq));
                    break;
                }
                active_tasks.push((l.key.to_string(), l.value().worker_id.to_string()));
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

/// Removes the first queued task a worker with `capabilities` can run: the best of the heads
/// of the classes it qualifies for.
fn take_task_for(
    queue: &mut Table<SmolStr, Waiting>,
    capabilities: &[SmolStr],
) -> Option<(SmolStr, Waiting)> {
    let needs = once(None).chain(capabilities.iter().cloned().map(Some));
    let heads = needs.filter_map(|need| queue.first_in(Waiting::classes(need)));
    let task_id = heads
        .min_by_key(|task| (task.index.1, task.seq))?
        .key
        .clone();
    Some((task_id.clone(), queue.remove(&task_id)?))
}

/// Reads `<expiry>/<seq>` (the expiry may be written as any number).
fn lease_cursor(text: &str) -> Option<(u64, i64)> {
    let (at, from) = text.split_once('/')?;
    let at: f64 = at.parse().ok()?;
    Some((at.ceil() as u64, seq(from.parse().ok()?)))
}

/// A seq from a cursor's number (one past every seq is past the end).
fn seq(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
