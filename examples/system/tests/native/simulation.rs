//! Proof by simulation (issue 14, item 5), as FoundationDB and TigerBeetle test: a seeded
//! simulator drives the example's workflows on the native host — many sessions,
//! `register_worker`, `assign_task` (with and without `priority`/`requires`), completions by
//! the workers' own `WORK_MS` messages for later — through restarts, evictions, storage faults at any
//! write, lost alarms, duplicate deliveries of internal messages and clock jumps, and checks
//! the system's invariants after every step:
//!
//! - **none is lost**: every task the coordinator acknowledged (`assigned` or `queued`) is
//!   queued, active, or was completed by a worker; at the end (faults cleared, time well past
//!   every lease) every one of them was completed at least once;
//! - **a refused request changed nothing**: a task or worker whose every request got an error
//!   never appears in storage nor reaches a worker; a `duplicate_task` only names a task that
//!   exists;
//! - **no worker holds two tasks**: each worker holds at most one lease, and the roster's busy
//!   workers are exactly the lease holders;
//! - **queue, leases and roster agree**: no task is both queued and active, every lease's
//!   worker is registered, no idle worker waits beside a queued task it can run, the lease
//!   timer is due no later than the earliest lease, a worker in memory reporting a task has
//!   its work waiting (workers store no timers), and an instance with stored timers has its
//!   alarm armed (unless the simulator lost it and the instance did not load since: loading
//!   re-arms it);
//! - **stored state equals in-memory state**: `get_status`/`get_state` answered from memory
//!   equal what storage holds, before and after a restart;
//! - **one reply per request**, with a code the contract allows for it.
//!
//! Completions are observed by spies: the coordinator and the worker are registered wrapped
//! in [`Spy`], which forwards everything to the real actor and records each `task_complete`
//! and `process_task` it dispatches (the duplicates the simulator injects are marked).
//!
//! Reproduce a failing seed (the failure prints this line):
//! `DURACT_SIM_SEED=<seed> cargo test -p duract-example-system --test native simulation`.
//! More seeds: `DURACT_SIM_SEEDS=<n>` (no time limit then; `DURACT_SIM_FIRST=<seed>` to start
//! elsewhere); `DURACT_SIM_TRACE=1` prints every step of the seeds run.

use crate::common::Rng;
use duract::native::{Connection, Host, HostError, Stored, ALARM_RETRY_MS};
use duract::persist::{SaveBatch, Saved};
use duract::timer::PREFIX as TIMER_PREFIX;
use duract::{Actor, ActorInfo, Ctx, Envelope, Error, Storage, Target};
use duract_example_system::{Coordinator, Session, Worker};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seeds run by default, unless the time budget runs out first.
const DEFAULT_SEEDS: u64 = 2_000;
/// The default time budget of one `cargo test` run (debug builds run on 2 cores in CI).
const DEFAULT_BUDGET: Duration = Duration::from_secs(8);
/// The fewest seeds a default run must get through, or the test fails (the budget is too
/// small for the simulation to prove anything).
const MIN_SEEDS: u64 = 50;

const COORD: &str = "coordinator:main";
const CAPS: [&str; 2] = ["gpu", "io"];

// ---------------------------------------------------------------------------------------
// Spies: the real actors, with what they dispatch recorded.

/// One `task_complete` or `process_task` a spy dispatched, and whether the simulator injected it.
struct Seen {
    envelope: Envelope,
    injected: bool,
}

thread_local! {
    static SEEN: RefCell<Vec<Seen>> = const { RefCell::new(Vec::new()) };
    /// Ids of envelopes re-sent by the simulator, not yet dispatched.
    static INJECTED: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
    /// How many times each instance loaded its state (and so re-armed its alarm).
    static LOADS: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
    /// How many states of each instance are in memory (a state dropped after a failed turn
    /// or a restart is not).
    static LIVE: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
    /// The steps of the seed running on this thread, printed when it fails.
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Actor `A`, registered in its place: forwards load, save, activation and dispatch to it,
/// records the internal messages it dispatches and whether its state is in memory (the
/// address).
struct Spy<A>(A, String);

impl<A> Drop for Spy<A> {
    fn drop(&mut self) {
        LIVE.with(|l| {
            if let Some(n) = l.borrow_mut().get_mut(&self.1) {
                *n -= 1;
            }
        });
    }
}

/// Whether a state of `address` is in memory.
fn live(address: &str) -> bool {
    LIVE.with(|l| l.borrow().get(address).is_some_and(|n| *n > 0))
}

impl<A: Actor> Target for Spy<A> {
    const INFO: &'static ActorInfo = A::INFO;

    fn __turns(port: Rc<dyn duract::Port>) -> Option<Rc<dyn duract::instance::Turns>> {
        Some(Rc::new(duract::instance::Instance::<Spy<A>>::new(port)))
    }
}

impl<A: Actor> Actor for Spy<A> {
    async fn load(id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error> {
        let (actor, saved) = A::load(id, storage).await?;
        let address = format!("{}:{id}", A::INFO.kind);
        LOADS.with(|l| *l.borrow_mut().entry(address.clone()).or_default() += 1);
        LIVE.with(|l| *l.borrow_mut().entry(address.clone()).or_default() += 1);
        Ok((Spy(actor, address), saved))
    }

    fn save(&mut self, saved: &Saved, batch: &mut SaveBatch) -> Result<(), Error> {
        self.0.save(saved, batch)
    }

    async fn on_activate(&mut self, ctx: &mut Ctx) -> Result<(), Error> {
        self.0.on_activate(ctx).await
    }

    async fn dispatch(
        &mut self,
        ctx: &mut Ctx,
        envelope: &Envelope,
    ) -> Result<Box<RawValue>, Error> {
        if matches!(
            envelope.message_type.as_str(),
            "task_complete" | "process_task"
        ) {
            let injected = INJECTED.with(|i| match i.borrow_mut().get_mut(&envelope.id) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            });
            SEEN.with(|s| {
                s.borrow_mut().push(Seen {
                    envelope: envelope.clone(),
                    injected,
                })
            });
        }
        self.0.dispatch(ctx, envelope).await
    }
}

/// Whether `envelope` is the `work_done` of `task`.
fn is_work_done_of(envelope: &Envelope, task: &str) -> bool {
    envelope.message_type == "work_done"
        && envelope
            .decode_payload::<Value>()
            .is_ok_and(|p| p["taskId"] == task)
}

/// How many times `address` loaded its state.
fn loads(address: &str) -> u64 {
    LOADS.with(|l| l.borrow().get(address).copied().unwrap_or(0))
}

fn trace(line: String) {
    if std::env::var_os("DURACT_SIM_TRACE").is_some() {
        eprintln!("  {line}");
    }
    TRACE.with(|t| t.borrow_mut().push(line));
}

// ---------------------------------------------------------------------------------------
// One seed's configuration.

#[derive(Debug, Clone, Copy)]
struct Config {
    /// Worker ids `w0`..
    workers: usize,
    /// Session names `s0`..
    sessions: usize,
    work_ms: u64,
    lease_ms: u64,
    max_queued: Option<u64>,
    max_workers: Option<u64>,
    max_inflight: Option<u64>,
    steps: usize,
    /// Whether a task id may be assigned again (after it completed, or while it exists).
    reuse_ids: bool,
}

impl Config {
    fn draw(rng: &mut Rng) -> Config {
        Config {
            workers: 1 + rng.index(6),
            sessions: 1 + rng.index(4),
            work_ms: rng.pick(&[1, 5, 20, 100, 250]),
            lease_ms: rng.pick(&[1_000, 5_000, 10_000, 30_000]),
            max_queued: rng.chance(20).then(|| 2 + rng.below(6)),
            max_workers: rng.chance(15).then(|| 1 + rng.below(3)),
            max_inflight: rng.chance(20).then(|| 1 + rng.below(3)),
            steps: 40 + rng.index(120),
            reuse_ids: rng.chance(30),
        }
    }

    fn host(&self) -> Host {
        let mut host = Host::new()
            .with::<Session>()
            .with::<Spy<Coordinator>>()
            .with::<Spy<Worker>>()
            .var("WORK_MS", &self.work_ms.to_string())
            .var("TASK_LEASE_MS", &self.lease_ms.to_string());
        for (name, value) in [
            ("MAX_QUEUED_TASKS", self.max_queued),
            ("MAX_WORKERS", self.max_workers),
            ("MAX_INFLIGHT", self.max_inflight),
        ] {
            if let Some(value) = value {
                host = host.var(name, &value.to_string());
            }
        }
        host
    }
}

// ---------------------------------------------------------------------------------------
// What the simulator knows.

/// What became of one request, as its reply (or its absence) tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// No reply yet.
    Pending,
    /// `registered`, `assigned` or `queued`.
    Acked,
    /// An error: the request must have changed nothing.
    Refused,
    /// `duplicate_task`.
    Duplicate,
    /// The connection closed before a reply: it may or may not have happened.
    Unknown,
}

/// A request awaiting its reply on a connection.
#[derive(Debug, Clone)]
enum Req {
    Register { worker: String },
    Assign { task: String, send: usize },
    Status { limit: Option<u64> },
    State { worker: String },
}

struct TaskRecord {
    requires: Option<String>,
    /// Each `assign_task` sent for it: its outcome, and the worker completions of the task
    /// seen before it was sent (an acknowledged send needs one more).
    sends: Vec<(Outcome, u32)>,
}

impl TaskRecord {
    fn new(requires: Option<String>) -> TaskRecord {
        TaskRecord {
            requires,
            sends: Vec::new(),
        }
    }

    fn refused_only(&self) -> bool {
        !self.sends.is_empty() && self.sends.iter().all(|(o, _)| *o == Outcome::Refused)
    }

    /// The completions the task needs to have had by the end: one more than before its
    /// latest acknowledged send.
    fn needs_completions(&self) -> Option<u32> {
        // A stale report of an earlier assignment of the same task id ends nothing (it names
        // its assignment), so every acknowledged send needs its own completion.
        self.sends
            .iter()
            .filter(|(o, _)| *o == Outcome::Acked)
            .map(|(_, before)| before + 1)
            .max()
    }
}

struct SimConn {
    conn: Connection,
    label: String,
    /// Frames already read.
    seen: usize,
    pending: BTreeMap<String, Req>,
}

/// A roster entry as stored.
#[derive(Deserialize)]
struct RosterRecord {
    #[serde(default)]
    id: String,
    #[serde(default)]
    capabilities: Vec<String>,
    idle: bool,
}

/// A lease as stored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeaseRecord {
    worker_id: String,
    expires_at: f64,
    #[serde(default)]
    order: u64,
}

/// How many batches `address`'s storage applied: unchanged, its view need not be read again.
fn version(host: &Host, address: &str) -> u64 {
    let storage = host.storage_of(address).expect("storage");
    storage.memory().stats().batches
}

/// The stored timers, as (due, name), in due order.
fn stored_timers(stored: &Stored) -> Vec<(u64, String)> {
    stored
        .entries()
        .range(TIMER_PREFIX.to_owned()..)
        .take_while(|(k, _)| k.starts_with(TIMER_PREFIX))
        .map(|(k, _)| {
            let rest = &k[TIMER_PREFIX.len()..];
            let due = rest[..20].parse().expect("a timer key's due time");
            (due, rest[21..].to_owned())
        })
        .collect()
}

/// What storage holds of the coordinator, decoded.
struct CoordView {
    /// (id, capabilities, idle), in registration order.
    roster: Vec<RosterRecord>,
    /// (task, requires), in key order.
    queue: Vec<(String, Option<String>)>,
    queued: BTreeSet<String>,
    /// task -> lease.
    active: BTreeMap<String, LeaseRecord>,
    timers: Vec<(u64, String)>,
}

impl CoordView {
    fn read(host: &Host) -> CoordView {
        let stored = host.storage(COORD).expect("coordinator storage");
        let roster = stored
            .entry_values::<(String, RosterRecord)>("workers")
            .expect("roster entries decode")
            .into_iter()
            .map(|(_, (id, r))| RosterRecord { id, ..r })
            .collect();
        let queue: Vec<(String, Option<String>)> = stored
            .entry_values::<(String, Value)>("queue")
            .expect("queue entries decode")
            .into_iter()
            .map(|(_, (task, q))| (task, q["requires"].as_str().map(str::to_owned)))
            .collect();
        let active = stored
            .entry_values::<(String, LeaseRecord)>("active")
            .expect("lease entries decode")
            .into_iter()
            .map(|(key, (task, lease))| {
                let order = key.parse().expect("a row key is a number");
                (task, LeaseRecord { order, ..lease })
            })
            .collect();
        CoordView {
            queued: queue.iter().map(|(t, _)| t.clone()).collect(),
            roster,
            queue,
            active,
            timers: stored_timers(&stored),
        }
    }

    /// Due time of the lease timer, if stored.
    fn lease_timer(&self) -> Option<u64> {
        self.timers
            .iter()
            .filter(|(_, name)| name == "leases")
            .map(|(due, _)| *due)
            .min()
    }

    /// `get_status` as storage says it should answer.
    fn status(&self) -> Value {
        let mut leases: Vec<(&String, &LeaseRecord)> = self.active.iter().collect();
        leases.sort_by(|a, b| {
            a.1.expires_at
                .total_cmp(&b.1.expires_at)
                .then(a.1.order.cmp(&b.1.order))
        });
        json!({
            "workers": self.roster.iter().map(|r| &r.id).collect::<Vec<_>>(),
            "queuedTasks": self.queue.len(),
            "activeTasks": leases.iter().map(|(t, l)| json!([t, l.worker_id])).collect::<Vec<_>>(),
        })
    }

    fn holds(&self, task: &str) -> bool {
        self.active.contains_key(task) || self.queued.contains(task)
    }
}

/// What storage holds of a worker, decoded.
struct WorkerView {
    current: Option<String>,
    processed: u64,
    timers: Vec<(u64, String)>,
}

impl WorkerView {
    fn read(host: &Host, address: &str) -> WorkerView {
        let stored = host.storage(address).expect("worker storage");
        WorkerView {
            current: stored
                .field::<Option<String>>("current_task")
                .expect("current_task decodes")
                .flatten(),
            processed: stored
                .field::<u64>("processed_count")
                .expect("processed_count decodes")
                .unwrap_or(0),
            timers: stored_timers(&stored),
        }
    }
}

/// Views of storage, read again only when it changed.
#[derive(Default)]
struct Views {
    coordinator: Option<(u64, Rc<CoordView>)>,
    workers: BTreeMap<String, (u64, Rc<WorkerView>)>,
    /// Every task seen queued or active: acknowledged or not, each must be completed.
    held: BTreeSet<String>,
}

impl Views {
    fn coordinator(&mut self, host: &Host) -> Rc<CoordView> {
        let now = version(host, COORD);
        match &self.coordinator {
            Some((at, view)) if *at == now => view.clone(),
            _ => {
                let view = Rc::new(CoordView::read(host));
                self.held.extend(view.queued.iter().cloned());
                self.held.extend(view.active.keys().cloned());
                self.coordinator = Some((now, view.clone()));
                view
            }
        }
    }

    fn worker(&mut self, host: &Host, address: &str) -> Rc<WorkerView> {
        let now = version(host, address);
        match self.workers.get(address) {
            Some((at, view)) if *at == now => view.clone(),
            _ => {
                let view = Rc::new(WorkerView::read(host, address));
                self.workers.insert(address.to_owned(), (now, view.clone()));
                view
            }
        }
    }
}

/// Counts over all seeds of a run.
#[derive(Debug, Default, Clone)]
struct Stats {
    steps: u64,
    tasks_acked: u64,
    tasks_refused: u64,
    completions: u64,
    completed_more_than_once: u64,
    faults: u64,
    failed_writes: u64,
    restarts: u64,
    evictions: u64,
    lost_alarms: u64,
    duplicates: u64,
    clock_jumps: u64,
    stored_checks: u64,
    /// Checks that met a lease whose worker reported another task or none (a lost
    /// `process_task`, a worker taken off its task): its lease timer had to cover it.
    leases_of_workers_gone_on: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.steps += o.steps;
        self.tasks_acked += o.tasks_acked;
        self.tasks_refused += o.tasks_refused;
        self.completions += o.completions;
        self.completed_more_than_once += o.completed_more_than_once;
        self.faults += o.faults;
        self.failed_writes += o.failed_writes;
        self.restarts += o.restarts;
        self.evictions += o.evictions;
        self.lost_alarms += o.lost_alarms;
        self.duplicates += o.duplicates;
        self.clock_jumps += o.clock_jumps;
        self.stored_checks += o.stored_checks;
        self.leases_of_workers_gone_on += o.leases_of_workers_gone_on;
    }
}

struct Sim {
    rng: Rng,
    cfg: Config,
    host: Host,
    conns: Vec<SimConn>,
    tasks: BTreeMap<String, TaskRecord>,
    /// Each worker id's `register_worker` outcomes.
    workers: BTreeMap<String, Vec<Outcome>>,
    next_task: u64,
    next_conn: u64,
    /// How much of [`SEEN`] was read.
    seen_at: usize,
    /// Completions reported by workers (not injected), by task.
    completions: BTreeMap<String, u32>,
    /// Internal messages delivered (not injected): what a duplicate delivery re-sends.
    delivered: Vec<Envelope>,
    /// Instances whose alarm the simulator dropped, with how many times they had loaded then.
    lost_alarms: BTreeMap<String, u64>,
    /// Faults that fail every write, and the step at which they are cleared.
    lasting_faults: Vec<(String, usize)>,
    views: Views,
    step: usize,
    /// Whether the host ran until idle since the last request, duplicate or partial run.
    idle: bool,
    stats: Stats,
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            panic!("invariant violated: {}", format!($($msg)+));
        }
    };
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = Rng::new(seed);
        let cfg = Config::draw(&mut rng);
        SEEN.with(|s| s.borrow_mut().clear());
        INJECTED.with(|i| i.borrow_mut().clear());
        LOADS.with(|l| l.borrow_mut().clear());
        TRACE.with(|t| t.borrow_mut().clear());
        trace(format!("seed {seed}: {cfg:?}"));
        Sim {
            rng,
            cfg,
            host: cfg.host(),
            conns: Vec::new(),
            tasks: BTreeMap::new(),
            workers: BTreeMap::new(),
            next_task: 0,
            next_conn: 0,
            seen_at: 0,
            completions: BTreeMap::new(),
            delivered: Vec::new(),
            lost_alarms: BTreeMap::new(),
            lasting_faults: Vec::new(),
            views: Views::default(),
            step: 0,
            idle: true,
            stats: Stats::default(),
        }
    }

    fn worker_addresses(&self) -> Vec<String> {
        (0..self.cfg.workers)
            .map(|i| format!("worker:w{i}"))
            .collect()
    }

    /// The coordinator and every worker: the instances with state.
    fn stateful(&self) -> Vec<String> {
        let mut all = vec![COORD.to_owned()];
        all.extend(self.worker_addresses());
        all
    }

    fn random_worker(&mut self) -> String {
        format!("w{}", self.rng.index(self.cfg.workers))
    }

    fn random_stateful(&mut self) -> String {
        if self.rng.chance(50) {
            COORD.to_owned()
        } else {
            format!("worker:{}", self.random_worker())
        }
    }

    // ---- the run ------------------------------------------------------------------------

    fn run(mut self) -> (Stats, u64) {
        for _ in 0..self.cfg.steps {
            self.step += 1;
            self.stats.steps += 1;
            self.clear_lasting_faults(false);
            self.one_step();
            self.observe();
        }
        self.finish();
        let digest = self.digest();
        (self.stats, digest)
    }

    fn one_step(&mut self) {
        match self.rng.below(100) {
            0..=21 => self.assign(),
            22..=29 => self.register(),
            30..=32 => self.read_status(),
            33..=35 => self.read_state(),
            36..=45 => self.run_until_idle(),
            46..=51 => self.run_partly(),
            52..=63 => self.advance(),
            64..=66 => self.restart_one(),
            67 => self.restart_all(),
            68..=69 => self.evict_one(),
            70..=74 => self.inject_fault(),
            75..=76 => self.lose_alarm(),
            77..=81 => self.duplicate(),
            82..=84 => self.check_stored_equals_memory(),
            85..=86 => self.reconnect(),
            87..=89 if self.cfg.reuse_ids => self.assign_again(),
            _ => self.burst(),
        }
    }

    /// Reads what the spies saw, the replies that arrived, and checks the invariants.
    fn observe(&mut self) {
        self.absorb_seen();
        self.scan_replies();
        if self.idle {
            self.check_all_answered();
        }
        self.check_invariants();
    }

    // ---- client requests ----------------------------------------------------------------

    /// An open connection (opening one if needed).
    fn conn_index(&mut self) -> usize {
        self.conns
            .retain(|c| c.conn.is_open() || !c.pending.is_empty());
        let open: Vec<usize> = (0..self.conns.len())
            .filter(|&i| self.conns[i].conn.is_open())
            .collect();
        if open.is_empty() || self.rng.chance(5) {
            return self.connect();
        }
        open[self.rng.index(open.len())]
    }

    fn connect(&mut self) -> usize {
        let session = format!("session:s{}", self.rng.index(self.cfg.sessions));
        let conn = self.host.connect(&session).expect("connect");
        let label = format!("{session}#{}", self.next_conn);
        self.next_conn += 1;
        trace(format!("connect {label}"));
        self.conns.push(SimConn {
            conn,
            label,
            seen: 0,
            pending: BTreeMap::new(),
        });
        self.conns.len() - 1
    }

    /// Sends a request frame on an open connection.
    fn request(&mut self, to: &str, message_type: &str, from: &str, payload: Value, req: Req) {
        self.idle = false;
        let at = self.conn_index();
        let id = self.host.fresh_id();
        let frame = json!({
            "to": to, "from": from, "type": message_type, "payload": payload,
            "id": id, "timestamp": self.host.now(),
        });
        let conn = &mut self.conns[at];
        trace(format!(
            "send {id} on {}: {message_type} {payload}",
            conn.label
        ));
        conn.conn
            .send_text(frame.to_string())
            .expect("send on an open connection");
        conn.pending.insert(id, req);
    }

    fn assign(&mut self) {
        self.send_new_task();
        if self.rng.chance(50) {
            self.run_until_idle();
        }
    }

    /// Assigns a task id used before (a client retrying, or reusing an id after completion).
    fn assign_again(&mut self) {
        let Some(task) = self.pick_task() else {
            return self.assign();
        };
        let requires = self.tasks[&task].requires.clone();
        trace(format!("again {task}"));
        self.send_assign(&task, None, requires);
    }

    fn pick_task(&mut self) -> Option<String> {
        if self.tasks.is_empty() {
            return None;
        }
        let n = self.rng.index(self.tasks.len());
        self.tasks.keys().nth(n).cloned()
    }

    fn send_assign(&mut self, task: &str, priority: Option<i64>, requires: Option<String>) {
        let payload = match (priority, &requires) {
            (None, None) if self.rng.chance(50) => json!(task),
            _ => {
                let mut p = json!({ "taskId": task });
                if let Some(priority) = priority {
                    p["priority"] = json!(priority);
                }
                if let Some(requires) = &requires {
                    p["requires"] = json!(requires);
                }
                p
            }
        };
        let before = self.completions.get(task).copied().unwrap_or(0);
        let record = self.tasks.get_mut(task).expect("a known task");
        record.sends.push((Outcome::Pending, before));
        let send = record.sends.len() - 1;
        let req = Req::Assign {
            task: task.to_owned(),
            send,
        };
        self.request(COORD, "assign_task", "client:ui", payload, req);
    }

    fn register(&mut self) {
        let worker = self.random_worker();
        let capabilities: Option<Vec<&str>> = self.rng.chance(40).then(|| {
            CAPS.iter()
                .copied()
                .filter(|_| self.rng.chance(50))
                .collect()
        });
        let (from, payload) = if self.rng.chance(15) && capabilities.is_none() {
            // Without `workerId`: the id part of the sender's address.
            (format!("client:{worker}"), json!({}))
        } else {
            let mut p = json!({ "workerId": worker });
            if let Some(capabilities) = capabilities {
                p["capabilities"] = json!(capabilities);
            }
            ("client:ui".to_owned(), p)
        };
        self.workers
            .entry(worker.clone())
            .or_default()
            .push(Outcome::Pending);
        self.request(
            COORD,
            "register_worker",
            &from,
            payload,
            Req::Register { worker },
        );
        if self.rng.chance(50) {
            self.run_until_idle();
        }
    }

    fn read_status(&mut self) {
        let limit = self.rng.chance(30).then(|| self.rng.below(4));
        let payload = limit.map_or(Value::Null, |l| json!({ "limit": l }));
        self.request(
            COORD,
            "get_status",
            "client:ui",
            payload,
            Req::Status { limit },
        );
    }

    fn read_state(&mut self) {
        let worker = self.random_worker();
        let to = format!("worker:{worker}");
        self.request(
            &to,
            "get_state",
            "client:ui",
            Value::Null,
            Req::State { worker },
        );
    }

    /// Several requests on several connections before anything runs.
    fn burst(&mut self) {
        let n = 2 + self.rng.below(5);
        trace(format!("burst of {n}"));
        for _ in 0..n {
            match self.rng.below(10) {
                0..=5 => self.send_new_task(),
                6..=7 => self.register_quietly(),
                8 => self.read_status(),
                _ => self.read_state(),
            }
        }
    }

    /// Sends `assign_task` of a new task, with or without `priority` and `requires`.
    fn send_new_task(&mut self) {
        let task = format!("t{}", self.next_task);
        self.next_task += 1;
        let requires = self.rng.chance(25).then(|| self.rng.pick(&CAPS).to_owned());
        self.tasks
            .insert(task.clone(), TaskRecord::new(requires.clone()));
        let priority = self.rng.chance(30).then(|| self.rng.below(7) as i64 - 3);
        self.send_assign(&task, priority, requires);
    }

    fn register_quietly(&mut self) {
        let worker = self.random_worker();
        self.workers
            .entry(worker.clone())
            .or_default()
            .push(Outcome::Pending);
        let payload = json!({ "workerId": worker });
        self.request(
            COORD,
            "register_worker",
            "client:ui",
            payload,
            Req::Register { worker },
        );
    }

    fn reconnect(&mut self) {
        if !self.conns.is_empty() && self.rng.chance(50) {
            let at = self.rng.index(self.conns.len());
            trace(format!("close {}", self.conns[at].label));
            self.conns[at].conn.close();
        }
        self.connect();
    }

    // ---- running and time -----------------------------------------------------------------

    fn run_until_idle(&mut self) {
        trace("run until idle".into());
        self.host.run_until_idle().expect("the host settles");
        self.idle = true;
    }

    /// A few polls: leaves work in flight for the next restart or fault to cut into.
    fn run_partly(&mut self) {
        self.idle = false;
        let mut left = 1 + self.rng.below(30);
        trace(format!("run {left} polls"));
        match self.host.wait_until(|_| {
            left = left.saturating_sub(1);
            left == 0
        }) {
            Ok(_) | Err(HostError::ConditionNotMet { .. }) => {}
            Err(e) => panic!("partial run: {e}"),
        }
    }

    fn advance(&mut self) {
        let (work, lease) = (self.cfg.work_ms, self.cfg.lease_ms);
        let ms = match self.rng.below(20) {
            0..=8 => self.rng.below(work + 1),
            9..=13 => self.rng.below(work * 5 + 1),
            14..=16 => 1 + self.rng.below(lease),
            17..=18 => lease + self.rng.below(lease),
            _ => self.rng.below(15 * 60 * 1000),
        };
        trace(format!("advance {ms} ms"));
        self.stats.clock_jumps += 1;
        self.host
            .advance(ms)
            .expect("the host settles after a clock jump");
        self.idle = true;
    }

    // ---- faults -------------------------------------------------------------------------

    fn restart_one(&mut self) {
        let address = match self.rng.below(3) {
            0 => COORD.to_owned(),
            1 => format!("worker:{}", self.random_worker()),
            _ => format!("session:s{}", self.rng.index(self.cfg.sessions)),
        };
        trace(format!("restart {address}"));
        self.stats.restarts += 1;
        self.host.restart(&address).expect("restart");
    }

    fn restart_all(&mut self) {
        trace("restart all".into());
        self.stats.restarts += 1;
        self.host.restart_all();
    }

    fn evict_one(&mut self) {
        let address = match self.rng.below(3) {
            0 => COORD.to_owned(),
            1 => format!("worker:{}", self.random_worker()),
            _ => format!("session:s{}", self.rng.index(self.cfg.sessions)),
        };
        match self.host.evict(&address) {
            Ok(()) => {
                trace(format!("evict {address}"));
                self.stats.evictions += 1;
            }
            Err(HostError::Busy { .. }) => trace(format!("evict {address}: busy")),
            Err(e) => panic!("evict {address}: {e}"),
        }
    }

    fn inject_fault(&mut self) {
        let address = self.random_stateful();
        self.stats.faults += 1;
        if self.rng.chance(75) {
            let n = 1 + self.rng.below(3);
            trace(format!("fail the next {n} writes of {address}"));
            self.host.fail_next_writes(&address, n).expect("fault");
        } else {
            let n = self.rng.below(4);
            let until = self.step + 1 + self.rng.index(6);
            trace(format!(
                "fail every write of {address} after {n} more, until step {until}"
            ));
            self.host.fail_writes_after(&address, n).expect("fault");
            self.lasting_faults.push((address, until));
        }
    }

    fn clear_lasting_faults(&mut self, all: bool) {
        let step = self.step;
        let (due, left): (Vec<_>, Vec<_>) = std::mem::take(&mut self.lasting_faults)
            .into_iter()
            .partition(|(_, until)| all || *until <= step);
        self.lasting_faults = left;
        for (address, _) in due {
            trace(format!("clear the faults of {address}"));
            self.host.clear_faults(&address).expect("clear faults");
        }
    }

    fn lose_alarm(&mut self) {
        let address = self.random_stateful();
        trace(format!("lose the alarm of {address}"));
        self.stats.lost_alarms += 1;
        self.host.lose_alarm(&address).expect("lose alarm");
        let loads = loads(&address);
        self.lost_alarms.insert(address, loads);
    }

    /// Delivers again an internal message that was delivered before (at-least-once delivery).
    fn duplicate(&mut self) {
        if self.delivered.is_empty() {
            return self.run_until_idle();
        }
        let envelope = self.delivered[self.rng.index(self.delivered.len())].clone();
        trace(format!(
            "deliver again {} to {}: {}",
            envelope.message_type,
            envelope.to,
            envelope.payload.get()
        ));
        self.stats.duplicates += 1;
        INJECTED.with(|i| *i.borrow_mut().entry(envelope.id.clone()).or_default() += 1);
        self.host.send(envelope).expect("duplicate delivery");
        self.idle = false;
        if self.rng.chance(50) {
            self.run_until_idle();
        }
    }

    // ---- observation ----------------------------------------------------------------------

    fn absorb_seen(&mut self) {
        let new: Vec<(Envelope, bool)> = SEEN.with(|s| {
            s.borrow()[self.seen_at..]
                .iter()
                .map(|seen| (seen.envelope.clone(), seen.injected))
                .collect()
        });
        self.seen_at += new.len();
        for (envelope, injected) in new {
            let payload: Value =
                serde_json::from_str(envelope.payload.get()).expect("payload is JSON");
            let task = payload["taskId"].as_str().unwrap_or_default().to_owned();
            let record = self.tasks.get(&task);
            ensure!(
                record.is_some(),
                "{} of a task no client sent: {}",
                envelope.message_type,
                envelope.encode()
            );
            ensure!(
                !record.is_some_and(TaskRecord::refused_only),
                "{} of task {task}, whose every assign_task was refused",
                envelope.message_type
            );
            if injected {
                continue;
            }
            if envelope.message_type == "task_complete" {
                *self.completions.entry(task).or_default() += 1;
            }
            if self.delivered.len() >= 64 {
                let at = self.rng.index(self.delivered.len());
                self.delivered.swap_remove(at);
            }
            self.delivered.push(envelope);
        }
    }

    fn scan_replies(&mut self) {
        let mut replies = Vec::new();
        for conn in &mut self.conns {
            let frames = conn.conn.frames();
            for (at, frame) in frames.iter().enumerate().skip(conn.seen) {
                let envelope = Envelope::decode(frame).expect("a reply frame is an envelope");
                let Some(reply_to) = envelope.reply_to.clone() else {
                    ensure!(
                        at == 0 && envelope.message_type == "SessionEstablished",
                        "a frame without replyTo on {}: {frame}",
                        conn.label
                    );
                    continue;
                };
                let Some(req) = conn.pending.remove(&reply_to) else {
                    panic!(
                        "invariant violated: a reply to no pending request on {}: {frame}",
                        conn.label
                    );
                };
                replies.push((req, envelope));
            }
            conn.seen = frames.len();
        }
        for (req, envelope) in replies {
            trace(format!(
                "reply to {}: {} {}",
                envelope.reply_to.as_deref().unwrap_or_default(),
                envelope.message_type,
                envelope.payload.get()
            ));
            self.judge(req, &envelope);
        }
        // A connection closed with requests unanswered: they may or may not have happened.
        let mut unknown = Vec::new();
        for conn in &mut self.conns {
            if !conn.conn.is_open() {
                unknown.extend(std::mem::take(&mut conn.pending).into_values());
            }
        }
        for req in unknown {
            self.settle(&req, Outcome::Unknown);
        }
        self.conns.retain(|c| c.conn.is_open());
    }

    /// After the host ran until idle, every request on an open connection has its reply.
    fn check_all_answered(&self) {
        for conn in &self.conns {
            ensure!(
                conn.pending.is_empty(),
                "requests without a reply on {} once the host was idle: {:?}",
                conn.label,
                conn.pending
            );
        }
    }

    fn settle(&mut self, req: &Req, outcome: Outcome) {
        match req {
            Req::Register { worker } => {
                let outcomes = self.workers.get_mut(worker).expect("a known worker");
                if let Some(o) = outcomes.iter_mut().find(|o| **o == Outcome::Pending) {
                    *o = outcome;
                }
            }
            Req::Assign { task, send } => {
                let record = self.tasks.get_mut(task).expect("a known task");
                record.sends[*send].0 = outcome;
                match outcome {
                    Outcome::Acked => self.stats.tasks_acked += 1,
                    Outcome::Refused => self.stats.tasks_refused += 1,
                    _ => {}
                }
            }
            Req::Status { .. } | Req::State { .. } => {}
        }
    }

    /// Checks one reply against the contract and records what it tells.
    fn judge(&mut self, req: Req, reply: &Envelope) {
        let payload: Value = serde_json::from_str(reply.payload.get()).expect("payload is JSON");
        if reply.is_error() {
            ensure!(
                reply.to.as_str() == "client:ui",
                "an error reply not to client:ui: {}",
                reply.encode()
            );
            let code = payload["code"].as_str().unwrap_or_default();
            let allowed = match (&req, code) {
                (_, "actor_error") => true,
                (_, "overloaded") => self.cfg.max_inflight.is_some(),
                (Req::Register { .. }, "limit_exceeded") => self.cfg.max_workers.is_some(),
                (Req::Assign { .. }, "limit_exceeded") => self.cfg.max_queued.is_some(),
                (Req::Assign { task, send }, "duplicate_task") => {
                    // Another send of the task must have stored it.
                    let sends = &self.tasks[task].sends;
                    sends.iter().enumerate().any(|(i, (o, _))| {
                        i != *send
                            && matches!(o, Outcome::Acked | Outcome::Pending | Outcome::Unknown)
                    })
                }
                _ => false,
            };
            ensure!(allowed, "error `{code}` for {req:?}: {}", reply.encode());
            let outcome = if code == "duplicate_task" {
                Outcome::Duplicate
            } else {
                Outcome::Refused
            };
            return self.settle(&req, outcome);
        }
        let proxy = match req {
            Req::State { .. } => "client:worker-proxy",
            _ => "client:coordinator-proxy",
        };
        ensure!(
            reply.to.as_str() == proxy,
            "a reply to {req:?} not to {proxy}: {}",
            reply.encode()
        );
        match &req {
            Req::Register { worker } => {
                ensure!(
                    reply.message_type == "register_workerResponse"
                        && payload == json!({"status": "registered", "workerId": worker}),
                    "register_worker of {worker}: {}",
                    reply.encode()
                );
            }
            Req::Assign { task, .. } => {
                ensure!(
                    reply.message_type == "assign_taskResponse" && payload["taskId"] == *task,
                    "assign_task of {task}: {}",
                    reply.encode()
                );
                match payload["status"].as_str() {
                    Some("assigned") => {
                        let worker = payload["workerId"].as_str().unwrap_or_default();
                        ensure!(
                            self.workers.contains_key(worker),
                            "{task} assigned to {worker}, never registered"
                        );
                    }
                    Some("queued") => ensure!(
                        payload["position"].as_u64().is_some_and(|p| p >= 1),
                        "a queued position: {}",
                        reply.encode()
                    ),
                    _ => panic!("invariant violated: assign_task reply {}", reply.encode()),
                }
            }
            Req::Status { limit } => {
                let workers = payload["workers"].as_array().cloned().unwrap_or_default();
                let active = payload["activeTasks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for w in &workers {
                    let w = w.as_str().unwrap_or_default();
                    ensure!(
                        self.workers.contains_key(w),
                        "get_status lists {w}, never registered"
                    );
                }
                if let Some(limit) = limit {
                    ensure!(
                        (workers.len() + active.len()) as u64 <= *limit,
                        "a page over its limit {limit}: {payload}"
                    );
                }
            }
            Req::State { worker } => ensure!(
                payload["workerId"] == *worker && payload["processedCount"].is_u64(),
                "get_state of {worker}: {payload}"
            ),
        }
        self.settle(&req, Outcome::Acked);
    }

    /// The invariants over what storage holds, checked after every step.
    fn check_invariants(&mut self) {
        let view = self.views.coordinator(&self.host);
        ensure!(
            view.queued.len() == view.queue.len(),
            "a task is queued twice: {:?}",
            view.queue
        );
        for task in &view.queued {
            ensure!(
                !view.active.contains_key(task),
                "{task} is both queued and active"
            );
            ensure!(self.tasks.contains_key(task), "{task} queued, never sent");
        }
        // No worker holds two tasks; the roster's busy workers are exactly the lease holders.
        let mut holders: BTreeMap<&str, &str> = BTreeMap::new();
        for (task, lease) in &view.active {
            if let Some(other) = holders.insert(&lease.worker_id, task) {
                panic!(
                    "invariant violated: {} holds two tasks: {other} and {task}",
                    lease.worker_id
                );
            }
        }
        let mut ids = BTreeSet::new();
        for record in &view.roster {
            let id = record.id.as_str();
            ensure!(ids.insert(id), "{id} is registered twice");
            ensure!(
                record.idle != holders.contains_key(id),
                "{id} is {} in the roster but {} a lease",
                if record.idle { "idle" } else { "busy" },
                if record.idle { "holds" } else { "holds no" }
            );
            if record.idle {
                let runnable = view.queue.iter().find(|(_, need)| {
                    need.as_ref()
                        .is_none_or(|n| record.capabilities.contains(n))
                });
                ensure!(
                    runnable.is_none(),
                    "idle {id} {:?} waits beside queued {runnable:?}",
                    record.capabilities
                );
            }
            let outcomes = self.workers.get(id);
            ensure!(
                outcomes.is_some_and(|o| o.iter().any(|o| *o != Outcome::Refused)),
                "{id} is registered, but every register_worker of it was refused: {outcomes:?}"
            );
        }
        for worker in holders.keys() {
            ensure!(ids.contains(worker), "{worker} holds a lease, unregistered");
        }
        for (worker, outcomes) in &self.workers {
            if outcomes.contains(&Outcome::Acked) {
                ensure!(
                    ids.contains(worker.as_str()),
                    "{worker} was registered, and is gone"
                );
            }
        }
        // One timer serves every lease: due no later than the earliest.
        let earliest = view
            .active
            .values()
            .map(|lease| lease.expires_at)
            .min_by(f64::total_cmp);
        if let Some(earliest) = earliest {
            let timer = view.lease_timer();
            ensure!(
                timer.is_some_and(|due| due as f64 <= earliest.ceil()),
                "the lease timer ({timer:?}) does not cover the earliest lease ({earliest})"
            );
        }
        // None is lost; nothing refused was stored.
        for (task, record) in &self.tasks {
            let held = view.holds(task);
            if record.refused_only() {
                ensure!(!held, "{task} is stored, but every assign_task was refused");
            }
            if let Some(needs) = record.needs_completions() {
                let done = self.completions.get(task).copied().unwrap_or(0);
                ensure!(
                    held || done >= needs,
                    "{task} was acknowledged, is neither queued nor active, and was completed \
                     {done} times (needs {needs})"
                );
            }
        }
        // Workers: one in memory that reports a task has its work waiting (a message for
        // later); one not in memory resumes it when it activates. None stores a timer.
        for address in self.worker_addresses() {
            let worker = self.views.worker(&self.host, &address);
            ensure!(
                worker.timers.is_empty(),
                "{address} stores timers: {:?}",
                worker.timers
            );
            let Some(task) = &worker.current else {
                continue;
            };
            if self.idle && live(&address) {
                let waiting = self.host.later(&address);
                ensure!(
                    waiting.iter().any(|(_, e)| is_work_done_of(e, task)),
                    "{address} reports {task} in memory without its work waiting: {waiting:?}"
                );
            }
        }
        // An active task's worker reports it as its current task, or its lease brings it
        // back: the lease timer is due by the lease's expiry.
        for (task, lease) in &view.active {
            let address = format!("worker:{}", lease.worker_id);
            let worker = self.views.worker(&self.host, &address);
            if worker.current.as_deref() != Some(task.as_str()) {
                self.stats.leases_of_workers_gone_on += 1;
                let timer = view.lease_timer();
                ensure!(
                    timer.is_some_and(|due| due as f64 <= lease.expires_at.ceil()),
                    "{task} is active on {address}, which reports {:?}, and no lease timer \
                     ({timer:?}) brings it back by {}",
                    worker.current,
                    lease.expires_at
                );
            }
        }
        self.check_alarm(COORD, !view.timers.is_empty());
    }

    /// An instance with stored timers has its alarm armed, unless the simulator lost it and
    /// the instance did not load its state since (loading re-arms it).
    fn check_alarm(&mut self, address: &str, has_timers: bool) {
        if self.host.alarm(address).is_some() {
            self.lost_alarms.remove(address);
            return;
        }
        // An instance activated by a message not yet handled has not loaded its timers yet.
        if !has_timers || !self.idle {
            return;
        }
        let lost = self.lost_alarms.get(address).copied();
        let loads = loads(address);
        ensure!(
            lost.is_some_and(|then| then == loads),
            "{address} has stored timers and no alarm (lost after load {lost:?}, loads now {loads})"
        );
    }

    /// Asks `to` directly and returns the payload of its reply as soon as it is there, before
    /// anything else runs (an activation re-arms the alarm of an overdue timer, which would
    /// fire in the same run).
    fn read_now(&mut self, to: &str, message_type: &str) -> Value {
        self.idle = false;
        let probe = self.host.client("client:sim").expect("client");
        let envelope = probe
            .envelope(to, message_type, &Value::Null)
            .expect("envelope");
        let id = envelope.id.clone();
        self.host.deliver(envelope).expect("deliver");
        self.host
            .wait_until(|host| host.reply_to(&id).is_some())
            .expect("a reply");
        let reply = self.host.reply_to(&id).expect("a reply");
        ensure!(
            !reply.is_error(),
            "{message_type} to {to}: {}",
            reply.encode()
        );
        serde_json::from_str(reply.payload.get()).expect("JSON")
    }

    /// Stored state equals in-memory state: `get_status` and `get_state` answered from memory
    /// equal what storage holds, before and after a restart.
    fn check_stored_equals_memory(&mut self) {
        self.run_until_idle();
        self.observe();
        self.check_all_answered();
        self.stats.stored_checks += 1;
        for restart in [false, true] {
            if restart {
                trace(format!("restart {COORD} to compare"));
                self.host.restart(COORD).expect("restart");
            }
            let live = self.read_now(COORD, "get_status");
            let stored = CoordView::read(&self.host).status();
            ensure!(
                live == stored,
                "get_status {}after a restart differs from storage:\n  memory:  {live}\n  storage: {stored}",
                if restart { "" } else { "before " }
            );
        }
        let worker = format!("worker:{}", self.random_worker());
        for restart in [false, true] {
            if restart {
                self.host.restart(&worker).expect("restart");
            }
            let live = self.read_now(&worker, "get_state");
            let stored = WorkerView::read(&self.host, &worker);
            ensure!(
                live["currentTask"] == json!(stored.current)
                    && live["processedCount"] == stored.processed,
                "{worker}'s get_state differs from storage (restarted: {restart}): {live} vs \
                 currentTask {:?}, processedCount {}",
                stored.current,
                stored.processed
            );
        }
    }

    // ---- the end: quiescence --------------------------------------------------------------

    /// Clears every fault, lets time run well past every lease, and checks that every task
    /// acknowledged was completed, and that nothing is left queued, active or scheduled.
    fn finish(&mut self) {
        trace("-- quiescence".into());
        self.clear_lasting_faults(true);
        for address in self.stateful() {
            self.host.clear_faults(&address).expect("clear faults");
        }
        self.run_until_idle();
        self.observe();
        self.check_all_answered();
        self.stats.failed_writes += self
            .stateful()
            .iter()
            .map(|a| self.host.storage_of(a).expect("storage").failed_writes())
            .sum::<u64>();
        // A lost alarm is re-armed by the next activation (as workerd gives up on an alarm,
        // and the object is evicted once idle): evict those instances; the probes below
        // activate them again.
        for address in self.lost_alarms.keys().cloned().collect::<Vec<_>>() {
            trace(format!("evict {address} (its alarm was lost)"));
            self.host.evict(&address).expect("idle, so evictable");
        }
        // Every capability a task requires is registered.
        let probe = self.host.client("client:sim").expect("client");
        let view = self.views.coordinator(&self.host);
        let worker = view
            .roster
            .first()
            .map_or_else(|| "wcap".to_owned(), |r| r.id.clone());
        trace(format!("register {worker} with every capability"));
        self.workers
            .entry(worker.clone())
            .or_default()
            .push(Outcome::Acked);
        let reply = probe
            .ask_raw(
                COORD,
                "register_worker",
                &json!({"workerId": worker, "capabilities": CAPS}),
            )
            .expect("register");
        ensure!(
            !reply.is_error(),
            "the final registration: {}",
            reply.encode()
        );
        for address in self.worker_addresses() {
            probe
                .ask_raw(&address, "get_state", &Value::Null)
                .expect("get_state");
        }
        self.observe();
        let round = self.cfg.lease_ms + 4 * self.cfg.work_ms + 2 * ALARM_RETRY_MS;
        let mut rounds = 0;
        while !self.quiescent() {
            rounds += 1;
            ensure!(
                rounds <= 30,
                "no quiescence after {rounds} rounds of {round} ms: {}",
                CoordView::read(&self.host).status()
            );
            trace(format!("advance {round} ms"));
            self.host.advance(round).expect("the host settles");
            self.idle = true;
            self.observe();
        }
        self.check_stored_equals_memory();
        for (task, record) in &self.tasks {
            let done = self.completions.get(task).copied().unwrap_or(0);
            if let Some(needs) = record.needs_completions() {
                ensure!(
                    done >= needs,
                    "{task} was acknowledged and never completed (completions {done}, needs {needs})"
                );
            }
            if record.refused_only() {
                ensure!(done == 0, "{task} was refused and completed");
            }
            if self.views.held.contains(task) {
                ensure!(done > 0, "{task} was stored, and never completed");
            }
        }
        // Each report a worker sent follows its stored count: no more reports than work done.
        let reported = self
            .completions
            .values()
            .map(|&n| u64::from(n))
            .sum::<u64>();
        let view = self.views.coordinator(&self.host);
        let processed: u64 = view
            .roster
            .iter()
            .map(|r| {
                let address = format!("worker:{}", r.id);
                self.views.worker(&self.host, &address).processed
            })
            .sum();
        ensure!(
            processed >= reported,
            "workers count {processed} tasks done, and reported {reported}"
        );
        self.stats.completions += reported;
        self.stats.completed_more_than_once +=
            self.completions.values().filter(|&&n| n > 1).count() as u64;
    }

    fn quiescent(&mut self) -> bool {
        let view = self.views.coordinator(&self.host);
        if !view.queue.is_empty() || !view.active.is_empty() || !view.timers.is_empty() {
            return false;
        }
        self.worker_addresses().iter().all(|address| {
            let worker = self.views.worker(&self.host, address);
            worker.timers.is_empty() && worker.current.is_none()
        })
    }

    /// A digest of the run's end state, to check that a seed replays identically.
    fn digest(&self) -> u64 {
        let mut text = String::new();
        for address in self.stateful() {
            let stored = self.host.storage(&address).expect("storage");
            let _ = write!(text, "{address}{:?}", stored.entries());
        }
        let _ = write!(
            text,
            "{:?}{}{}",
            self.completions,
            self.host.now(),
            TRACE.with(|t| t.borrow().len())
        );
        // FNV-1a.
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

/// Runs one seed; on failure prints its reproduction and its last steps, then fails.
fn run_seed(seed: u64) -> (Stats, u64) {
    match catch_unwind(AssertUnwindSafe(|| Sim::new(seed).run())) {
        Ok(result) => result,
        Err(panic) => {
            let steps = TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()));
            let from = steps.len().saturating_sub(60);
            eprintln!(
                "\nsimulation seed {seed} failed; its last {} steps:",
                steps.len() - from
            );
            for line in &steps[from..] {
                eprintln!("  {line}");
            }
            eprintln!(
                "reproduce: DURACT_SIM_SEED={seed} cargo test -p duract-example-system --test native simulation\n"
            );
            resume_unwind(panic)
        }
    }
}

#[test]
fn simulation_keeps_every_invariant_over_many_seeds() {
    let (first, count, budget) = match (env_u64("DURACT_SIM_SEED"), env_u64("DURACT_SIM_SEEDS")) {
        (Some(seed), _) => (seed, 1, None),
        (None, Some(n)) => (env_u64("DURACT_SIM_FIRST").unwrap_or(0), n, None),
        (None, None) => (0, DEFAULT_SEEDS, Some(DEFAULT_BUDGET)),
    };
    let end = first.saturating_add(count);
    // Seeds are independent: threads take the next seed until the seeds or the time run out
    // (a seed started is finished, so the seeds run are `first..next`). One core is left to
    // the other tests of the binary (the fuzzer), so that they keep their time too.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.saturating_sub(1).clamp(1, 4);
    let start = Instant::now();
    let next = AtomicU64::new(first);
    let failed = AtomicBool::new(false);
    let total = Mutex::new(Stats::default());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if failed.load(Ordering::Relaxed) || budget.is_some_and(|b| start.elapsed() >= b) {
                    break;
                }
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    break;
                }
                let result = catch_unwind(|| run_seed(seed));
                let Ok((stats, _)) = result else {
                    failed.store(true, Ordering::Relaxed);
                    break;
                };
                total.lock().expect("stats").add(&stats);
            });
        }
    });
    assert!(
        !failed.load(Ordering::Relaxed),
        "a seed failed: see its reproduction above"
    );
    let elapsed = start.elapsed();
    let total = total.into_inner().expect("stats");
    let ran = next.load(Ordering::Relaxed).min(end) - first;
    eprintln!(
        "simulation: {ran} seeds ({first}..{}) on {threads} threads in {elapsed:.2?}: {:.0} seeds/s, \
         {:.0} steps/s; {total:?}",
        first + ran,
        ran as f64 / elapsed.as_secs_f64(),
        total.steps as f64 / elapsed.as_secs_f64(),
    );
    if budget.is_some() {
        assert!(
            ran >= MIN_SEEDS,
            "only {ran} seeds ran within {DEFAULT_BUDGET:?}: too few to prove anything"
        );
    }
    assert!(
        total.tasks_acked > 0 && total.completions > 0,
        "the simulation ran no workflow: {total:?}"
    );
}

#[test]
fn simulation_seeds_replay_identically() {
    for seed in [1, 2, 3] {
        let (_, a) = run_seed(seed);
        let (_, b) = run_seed(seed);
        assert_eq!(a, b, "seed {seed} gave two different runs");
    }
}

/// The simulator's one finding, as a plain test (see `TaskRecord::needs_completions`): a
/// task id may be assigned again once it completed, and `task_complete` does not say which
/// assignment it reports, so a stale duplicate of the first report ends the second
/// assignment; the worker then takes another task and the acknowledged re-assignment is
/// never processed, nor held by the coordinator.
#[test]
fn stale_report_of_a_reused_task_id_loses_its_new_assignment() {
    use crate::common::{payload, system, LEASE_MS, WORK_MS};
    use duract_example_system::coordinator::{AssignTask, GetStatus, RegisterWorker, TaskComplete};
    use duract_example_system::worker::GetState;
    let host = system();
    let ui = host.client("client:ui").expect("client");
    let register = RegisterWorker {
        worker_id: Some("w1".into()),
        capabilities: None,
    };
    ui.ask(COORD, &register).expect("register");
    ui.ask(COORD, &AssignTask::Id("t1".into())).expect("assign");
    host.advance(WORK_MS).expect("t1 done, reported");
    let again = ui.ask(COORD, &AssignTask::Id("t1".into())).expect("assign");
    assert_eq!(payload(&again)["status"], "assigned");
    // The first report (of the first assignment, named by its lease's expiry), again.
    let report = TaskComplete {
        task_id: "t1".into(),
        worker_id: "w1".into(),
        assignment: Some(duract::native::clock::DEFAULT_EPOCH_MS + LEASE_MS),
    };
    let w1 = host.client("worker:w1").expect("client");
    w1.ask(COORD, &report).expect("a duplicate report");
    ui.ask(COORD, &AssignTask::Id("t2".into())).expect("assign");
    host.advance(60_000).expect("well past every lease");
    let status = payload(&ui.ask(COORD, &GetStatus::default()).expect("status"));
    let state = payload(&ui.ask("worker:w1", &GetState).expect("state"));
    assert!(
        state["processedCount"] == 3 || status["activeTasks"] != json!([]),
        "the second t1 was acknowledged, then neither processed nor held: {state} {status}"
    );
}
