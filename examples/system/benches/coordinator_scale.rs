//! The coordinator at scale (issue 8): the seed's algorithm beside duract's `Coordinator`, at
//! (workers, queued tasks) = (10, 10), (100, 10k), (10k, 100k), through the same storage
//! interface (duract's a `MemoryStorage`, the seed's a `MemoryStorage::without_limits`, as its
//! one value outgrows the platform's value limit; both count what they are asked to write).
//!
//! `cargo bench -p duract-example-system --bench coordinator_scale` prints Markdown tables:
//! time per operation (register, assign, complete) and what each operation writes, then the
//! coordinator's memory at (10k, 100k).
//!
//! - **seed**: a faithful model of the seed's `CoordinatorActor` (`seed/mod.rs`): O(workers)
//!   scan for an idle worker, array queue with `shift`, the whole state as one JSON value put
//!   after every change.
//! - **duract**: the real `duract_example_system::Coordinator` in a `duract::instance::Instance`
//!   (the turn both hosts run: load on the first turn, dispatch, the state's changes and the
//!   timers in one write, then the sends) on a minimal `Port`, its sends recorded and handed
//!   to the driver.
//!
//! Each state is built first (untimed): `W` workers registered, each with an active task, and
//! `Q` tasks queued, so every worker is busy. Then, in the steady state, one measured
//! operation at a time:
//! - `complete`: the oldest active task completes; its worker takes the oldest queued task;
//! - `assign`: a new task, queued (every worker is busy);
//! - `register`: a new worker, which takes the oldest queued task.
//!
//! `complete` and `assign` alternate, so the state stays at (W, Q). Registering adds a worker,
//! so registers run in rounds of at most `max(1, W/50)` (the state drifts by 2% at most), each
//! round followed by a restore of the state from before the round (untimed).
//!
//! Timed: one operation from the request envelope in hand to its reply (duract:
//! `Instance::run_turn`, so dispatch with the payload's decoding, the handler, the reply's
//! encoding, the write of the state and the timer, and the sends; seed: the handler with its
//! persists). Building envelopes and reading the sends are not timed. The clock stands still,
//! so duract's one lease timer (set for the earliest expiry) never fires here.
//!
//! The machine may be shared: every (system, scale) runs in turn, a slice at a time, so a
//! change of load falls on all scales alike; medians are the headline figures (means and
//! 99th percentiles follow); the seed's operations also take the thread's CPU time, since at
//! scale they last milliseconds and their wall time includes waiting for a core.
//! Interleaving has a cost for the small scale: each slice starts with caches holding another
//! variant's data. Run alone (`COORDINATOR_SCALE_PROFILE`, below), each scale is as hot as
//! it gets; compare those medians too. On a shared 2-core VM, runs vary by up to 1.7x as a
//! whole from one minute to the next: compare scales within one run, never across runs.
//!
//! Also measured:
//! - *duract, writes deferred*: the same coordinator whose storage writes are applied after
//!   the timed region, to tell its own time from the `MemoryStorage` stand-in's inserts;
//! - memory at (10k, 100k), by a counting global allocator: the state as loaded after a
//!   restart, the peak during that load, the state as built by the operations, the seed's;
//! - duract with a distinct `priority` on every task (an option of issue 8), at the smallest
//!   and the largest scale.
//!
//! Allocations go to dlmalloc, the allocator of Rust's standard library on wasm32 (so the
//! coordinator's in workerd), through a counting wrapper.
//!
//! `COORDINATOR_SCALE_BUDGET_MS` sets the time each (system, scale, phase) runs for
//! (default 2000; the whole run takes a little over a minute).

mod seed;

use duract::instance::Instance;
use duract::storage::WriteStats;
use duract::{
    ActorInfo, Address, Envelope, Error, ListOptions, MemoryStorage, Port, Storage, WriteBatch,
};
use duract_example_system::coordinator::MAX_WORKERS;
use duract_example_system::Coordinator;
use seed::SeedCoordinator;
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Memory: a global allocator that counts live bytes and allocations.

/// The allocator underneath: dlmalloc, which Rust's standard library uses on wasm32, so the
/// coordinator's allocator in workerd. (With glibc's, a heap of 300k objects makes most
/// allocations sort freed chunks from all over the heap; that is not the isolate's cost.)
static UNDER: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_ALLOCS: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);
/// Calls to `alloc`, `alloc_zeroed` and `realloc` so far.
static ALLOC_CALLS: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = LIVE_BYTES.fetch_add(size, Relaxed) + size;
    PEAK_BYTES.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOC_CALLS.fetch_add(1, Relaxed);
        let p = UNDER.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
            LIVE_ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOC_CALLS.fetch_add(1, Relaxed);
        let p = UNDER.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
            LIVE_ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        UNDER.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        LIVE_ALLOCS.fetch_sub(1, Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOC_CALLS.fetch_add(1, Relaxed);
        let p = UNDER.realloc(ptr, layout, new_size);
        if !p.is_null() {
            grew(new_size);
            LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap: (bytes requested, allocations).
#[derive(Clone, Copy)]
struct Live {
    bytes: usize,
    allocs: usize,
}

fn live() -> Live {
    Live {
        bytes: LIVE_BYTES.load(Relaxed),
        allocs: LIVE_ALLOCS.load(Relaxed),
    }
}

impl Live {
    /// What became live from `earlier` to `self`.
    fn since(self, earlier: Live) -> Live {
        Live {
            bytes: self.bytes.saturating_sub(earlier.bytes),
            allocs: self.allocs.saturating_sub(earlier.allocs),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Driving futures and the host side.

/// Polls a future that completes without waiting (MemoryStorage never waits).
fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("nothing here waits: MemoryStorage answers at once"),
    }
}

/// The coordinator's storage: a `MemoryStorage` whose writes are applied at once, or (when
/// `defer` is set) kept aside and applied by [`BenchStorage::apply_deferred`] after the timed
/// region, to tell the coordinator's own time from the storage stand-in's. Reads always go to
/// the `MemoryStorage`.
#[derive(Default)]
struct BenchStorage {
    memory: MemoryStorage,
    defer: Cell<bool>,
    deferred: RefCell<Vec<WriteBatch>>,
}

impl BenchStorage {
    fn apply_deferred(&self) {
        for batch in self.deferred.take() {
            ready(self.memory.write(batch)).expect("memory storage does not fail");
        }
    }
}

impl Storage for BenchStorage {
    fn get<'a>(&'a self, key: &'a str) -> duract::storage::StorageResult<'a, Option<String>> {
        self.memory.get(key)
    }
    fn list<'a>(
        &'a self,
        options: &'a ListOptions,
    ) -> duract::storage::StorageResult<'a, Vec<(String, String)>> {
        self.memory.list(options)
    }
    fn write<'a>(&'a self, batch: WriteBatch) -> duract::storage::StorageResult<'a, ()> {
        if self.defer.get() {
            self.deferred.borrow_mut().push(batch);
            Box::pin(async { Ok(()) })
        } else {
            self.memory.write(batch)
        }
    }
}

/// The coordinator's host side: fixed clock, counting ids (fixed width, so the bytes written
/// do not grow with the count), sends recorded for the driver.
struct BenchPort {
    address: Address,
    storage: BenchStorage,
    ids: Cell<u64>,
    sent: RefCell<Vec<Envelope>>,
}

/// The clock, in ms since the epoch.
const NOW: u64 = 1_700_000_000_000;

impl BenchPort {
    fn new(memory: MemoryStorage, ids: u64) -> Rc<BenchPort> {
        Rc::new(BenchPort {
            address: Address::parse("coordinator:main").expect("a valid address"),
            storage: BenchStorage {
                memory,
                ..BenchStorage::default()
            },
            ids: Cell::new(ids),
            sent: RefCell::new(Vec::new()),
        })
    }
}

impl Port for BenchPort {
    fn address(&self) -> &Address {
        &self.address
    }
    fn now(&self) -> u64 {
        NOW
    }
    fn fresh_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("id-{:012}", self.ids.get())
    }
    fn storage(&self) -> &dyn Storage {
        &self.storage
    }
    fn send(&self, _target: &'static ActorInfo, envelope: Envelope) {
        self.sent.borrow_mut().push(envelope);
    }
    fn ask(
        &self,
        _target: &'static ActorInfo,
        _envelope: Envelope,
    ) -> duract::future::LocalBoxFuture<'static, Result<Envelope, Error>> {
        Box::pin(async {
            Err(Error::ActorError {
                reason: "the coordinator never asks".into(),
            })
        })
    }
    fn spawn(&self, _work: duract::future::LocalBoxFuture<'static, ()>) {}
    fn arm_alarm(&self, _next: Option<u64>) {}
    fn deliver_later(&self, _delay: std::time::Duration, _later: duract::later::Later) {}
    /// Lifts the roster's limit: the register rounds at (10k, 100k) go beyond 10k workers.
    fn var(&self, name: &str) -> Option<String> {
        (name == MAX_WORKERS.var).then(|| u64::MAX.to_string())
    }
}

fn task_id(n: u64) -> String {
    format!("task-{n:09}")
}

fn worker_id(n: u64) -> String {
    format!("worker-{n:06}")
}

// ---------------------------------------------------------------------------------------------
// Measurements.

/// The thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`). A system call (about 1 µs here),
/// so only the seed's operations (milliseconds at scale) take it: on a shared machine their
/// wall time includes waiting for a core.
fn thread_cpu_nanos() -> u64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0;
    }
    t.sec as u64 * 1_000_000_000 + t.nsec as u64
}

/// One measured operation.
#[derive(Clone, Copy)]
struct Sample {
    /// Wall time.
    nanos: u64,
    /// The thread's CPU time, when taken.
    cpu_nanos: Option<u64>,
    bytes: u64,
    puts: u64,
    deletes: u64,
    /// Allocator calls (allocations and reallocations) in the timed region.
    allocs: u64,
}

fn sample(nanos: u64, before: WriteStats, after: WriteStats) -> Sample {
    Sample {
        nanos,
        cpu_nanos: None,
        bytes: after.bytes - before.bytes,
        puts: after.puts - before.puts,
        deletes: after.deletes - before.deletes,
        allocs: 0,
    }
}

#[derive(Default)]
struct OpStats {
    nanos: Vec<u64>,
    cpu_nanos: Vec<u64>,
    bytes: u64,
    puts: u64,
    deletes: u64,
    allocs: u64,
}

impl OpStats {
    fn push(&mut self, s: Sample) {
        self.nanos.push(s.nanos);
        self.cpu_nanos.extend(s.cpu_nanos);
        self.bytes += s.bytes;
        self.puts += s.puts;
        self.deletes += s.deletes;
        self.allocs += s.allocs;
    }
    fn n(&self) -> usize {
        self.nanos.len()
    }
    fn mean_us(&self) -> f64 {
        self.nanos.iter().sum::<u64>() as f64 / self.n().max(1) as f64 / 1000.0
    }
    fn quantile_us(&self, q: f64) -> f64 {
        quantile_us(&self.nanos, q)
    }
    fn cpu_quantile_us(&self, q: f64) -> f64 {
        quantile_us(&self.cpu_nanos, q)
    }
    fn per_op(&self, total: u64) -> f64 {
        total as f64 / self.n().max(1) as f64
    }
}

fn quantile_us(nanos: &[u64], q: f64) -> f64 {
    let mut sorted = nanos.to_vec();
    sorted.sort_unstable();
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(at).copied().unwrap_or(0) as f64 / 1000.0
}

#[derive(Default)]
struct Measured {
    register: OpStats,
    assign: OpStats,
    complete: OpStats,
}

/// A coordinator in the steady state, as the driver sees it.
trait Coord {
    /// A new task (queued: every worker is busy).
    fn assign(&mut self) -> Sample;
    /// The oldest active task completes; its worker takes the oldest queued one.
    fn complete(&mut self) -> Sample;
    /// A new worker; it takes the oldest queued task.
    fn register(&mut self) -> Sample;
    /// Remembers the current state, for [`Coord::restore`].
    fn checkpoint(&mut self);
    /// Goes back to the state of the last checkpoint.
    fn restore(&mut self);
    /// (active tasks, queued tasks) as the coordinator reports them.
    fn counts(&mut self) -> (usize, usize);
    /// Whether storage writes are applied after the timed region (see [`BenchStorage`]).
    fn set_deferred(&mut self, _deferred: bool) {}
    /// Untimed operations to run after a restore, before registers are timed: a restored
    /// state is cold in the caches (and the allocator), unlike a running coordinator's.
    fn warm_pairs(&self) -> usize {
        2
    }
}

/// One line of the results: a system at a scale, in one storage mode.
struct Variant {
    system: usize,
    deferred: bool,
    workers: usize,
    m: Measured,
    spent_mix: Duration,
    spent_register: Duration,
}

/// The least samples per operation.
const MIN_SAMPLES: usize = 20;
/// The most samples per operation.
const MAX_SAMPLES: usize = 300_000;

/// Runs every variant in turn, a slice at a time, until each has had `budget` per phase: so
/// a change in the machine's load (it is shared) falls on every scale alike.
fn measure_all(systems: &mut [Box<dyn Coord>], variants: &mut [Variant], budget: Duration) {
    let slice = budget / 10;
    for system in systems.iter_mut() {
        for _ in 0..20 {
            system.complete();
            system.assign();
        }
    }
    loop {
        let mut busy = false;
        for v in variants.iter_mut() {
            let n = v.m.complete.n();
            if n >= MAX_SAMPLES || (n >= MIN_SAMPLES && v.spent_mix >= budget) {
                continue;
            }
            busy = true;
            let system = &mut systems[v.system];
            system.set_deferred(v.deferred);
            let start = Instant::now();
            loop {
                v.m.complete.push(system.complete());
                v.m.assign.push(system.assign());
                if start.elapsed() >= slice {
                    break;
                }
            }
            v.spent_mix += start.elapsed();
        }
        if !busy {
            break;
        }
    }

    // Registers: rounds of at most max(1, W/50) from the same checkpoint, each restored after.
    for system in systems.iter_mut() {
        system.checkpoint();
    }
    loop {
        let mut busy = false;
        for v in variants.iter_mut() {
            let n = v.m.register.n();
            if n >= MAX_SAMPLES || (n >= MIN_SAMPLES && v.spent_register >= budget) {
                continue;
            }
            busy = true;
            let system = &mut systems[v.system];
            system.set_deferred(v.deferred);
            let start = Instant::now();
            for _ in 0..system.warm_pairs() {
                system.complete();
                system.assign();
            }
            let timed = Instant::now();
            for _ in 0..(v.workers / 50).max(1) {
                v.m.register.push(system.register());
                if timed.elapsed() >= slice {
                    break;
                }
            }
            system.restore();
            v.spent_register += start.elapsed();
        }
        if !busy {
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// duract's coordinator.

/// Active `(task, worker)` pairs in assignment order.
type ActiveTasks = VecDeque<(String, String)>;

struct Duract {
    port: Rc<BenchPort>,
    instance: Instance<Coordinator>,
    /// Active `(task, worker)` pairs in assignment order, from the sends.
    active: ActiveTasks,
    next_task: u64,
    next_worker: u64,
    checkpoint: Option<(BTreeMap<String, String>, ActiveTasks)>,
    /// Whether each task carries its own priority (else none: protocol.md's fields only).
    priorities: bool,
}

/// The coordinator's memory: live after a restart's load, the peak during that load (the
/// entries listed from storage are held while they decode), and as built by the operations.
struct Footprint {
    loaded: Live,
    load_peak: usize,
    built: Live,
}

impl Duract {
    fn empty() -> Duract {
        let port = BenchPort::new(MemoryStorage::new(), 0);
        Duract {
            instance: Instance::new(port.clone()),
            port,
            active: VecDeque::new(),
            next_task: 0,
            next_worker: 0,
            checkpoint: None,
            priorities: false,
        }
    }

    /// `workers` registered, each with an active task, then `queued` tasks queued; the
    /// footprint of the state with no task queued, then with all.
    fn build(workers: usize, queued: usize, priorities: bool) -> (Duract, Footprint, Footprint) {
        let mut d = Duract::empty();
        d.priorities = priorities;
        for _ in 0..workers {
            d.register();
        }
        for _ in 0..workers {
            let (_, reply) = d.assign_new();
            assert!(
                reply.contains("\"assigned\""),
                "an idle worker takes it: {reply}"
            );
        }
        let without_queue = d.footprint();
        for _ in 0..queued {
            let (_, reply) = d.assign_new();
            assert!(
                reply.contains("\"queued\""),
                "every worker is busy: {reply}"
            );
        }
        let with_queue = d.footprint();
        (d, without_queue, with_queue)
    }

    /// Measures the live bytes of the state the operations built (what unloading the
    /// instance frees), then of the state the instance loads back from storage, as after a
    /// restart. The load is an alarm's wake-up with nothing due (the clock stands still): the
    /// instance's own load (the actor, its saved fields and its timers), with no request's
    /// decoding or reply besides.
    fn footprint(&mut self) -> Footprint {
        let mid = live();
        self.instance.unload();
        let built = mid.since(live());
        let before = live();
        PEAK_BYTES.store(before.bytes, Relaxed);
        ready(self.instance.deliver_due_timers()).expect("load");
        let loaded = live().since(before);
        let load_peak = PEAK_BYTES.load(Relaxed) - before.bytes;
        Footprint {
            loaded,
            load_peak,
            built,
        }
    }

    fn envelope(&self, from: &str, message_type: &str, payload: &Value) -> Envelope {
        Envelope::request(
            self.port.address.clone(),
            Address::parse(from).expect("a valid sender"),
            message_type,
            payload,
            self.port.fresh_id(),
            NOW as f64,
        )
        .expect("an envelope")
    }

    /// One turn of the instance: dispatch, one write of the state and the timers, the sends.
    /// Timed from the envelope in hand to the reply.
    fn turn(&mut self, envelope: Envelope) -> (Sample, String) {
        let port = &self.port;
        let before = port.storage.memory.stats();
        let allocs = ALLOC_CALLS.load(Relaxed);
        let start = Instant::now();
        let result = ready(self.instance.run_turn(&envelope));
        let nanos = start.elapsed().as_nanos() as u64;
        let allocs = (ALLOC_CALLS.load(Relaxed) - allocs) as u64;
        port.storage.apply_deferred();
        let s = Sample {
            allocs,
            ..sample(nanos, before, port.storage.memory.stats())
        };
        let reply = match result {
            Ok(raw) => raw.get().to_owned(),
            Err(e) => panic!("{} failed: {e}", envelope.message_type),
        };
        for sent in port.sent.take() {
            let payload: Value = serde_json::from_str(sent.payload.get()).expect("json");
            let task = payload["taskId"]
                .as_str()
                .expect("process_task has a taskId");
            self.active
                .push_back((task.to_owned(), sent.to.id().to_owned()));
        }
        (s, reply)
    }

    fn assign_new(&mut self) -> (Sample, String) {
        let task = task_id(self.next_task);
        self.next_task += 1;
        let payload = if self.priorities {
            // A distinct priority per task, scattered (a multiplicative hash of its number).
            let priority = (self.next_task.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) as i64;
            json!({ "taskId": task, "priority": priority })
        } else {
            json!({ "taskId": task })
        };
        let envelope = self.envelope("client:ui", "assign_task", &payload);
        self.turn(envelope)
    }
}

impl Duract {
    fn boxed(self) -> Box<dyn Coord> {
        Box::new(self)
    }
}

impl Coord for Duract {
    fn assign(&mut self) -> Sample {
        let (s, reply) = self.assign_new();
        assert!(reply.contains("\"queued\""), "steady state: {reply}");
        s
    }

    fn complete(&mut self) -> Sample {
        let (task, worker) = self.active.pop_front().expect("an active task");
        let envelope = self.envelope(
            &format!("worker:{worker}"),
            "task_complete",
            &json!({ "taskId": task, "workerId": worker }),
        );
        let active = self.active.len();
        let (s, _) = self.turn(envelope);
        assert_eq!(
            self.active.len(),
            active + 1,
            "the worker takes the next task"
        );
        s
    }

    fn register(&mut self) -> Sample {
        let worker = worker_id(self.next_worker);
        self.next_worker += 1;
        let envelope = self.envelope(
            "client:ui",
            "register_worker",
            &json!({ "workerId": worker }),
        );
        self.turn(envelope).0
    }

    fn set_deferred(&mut self, deferred: bool) {
        self.port.storage.defer.set(deferred);
    }

    fn checkpoint(&mut self) {
        self.checkpoint = Some((self.port.storage.memory.snapshot(), self.active.clone()));
    }

    fn restore(&mut self) {
        let (stored, active) = self.checkpoint.as_ref().expect("a checkpoint");
        let storage = MemoryStorage::new();
        let puts = stored.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        ready(storage.write(WriteBatch {
            puts,
            deletes: Vec::new(),
        }))
        .expect("memory storage does not fail");
        let defer = self.port.storage.defer.get();
        self.port = BenchPort::new(storage, self.port.ids.get());
        self.port.storage.defer.set(defer);
        // Loads on its first turn: the untimed warm-up after a restore.
        self.instance = Instance::new(self.port.clone());
        self.active = active.clone();
    }

    fn counts(&mut self) -> (usize, usize) {
        let envelope = self.envelope("client:ui", "get_status", &json!({}));
        let (_, reply) = self.turn(envelope);
        let status: Value = serde_json::from_str(&reply).expect("status json");
        let active = status["activeTasks"].as_array().map_or(0, Vec::len);
        let queued = status["queuedTasks"].as_u64().unwrap_or(0) as usize;
        (active, queued)
    }
}

// ---------------------------------------------------------------------------------------------
// The seed's algorithm.

struct Seed {
    model: SeedCoordinator,
    /// [`MemoryStorage::without_limits`]: the seed puts its whole state as one value, over
    /// the 128 KiB a value may hold from (100, 10k) on. There the seed could not persist at
    /// all; here its cost is measured as if it could.
    storage: MemoryStorage,
    active: ActiveTasks,
    next_task: u64,
    next_worker: u64,
    checkpoint: Option<(SeedCoordinator, ActiveTasks)>,
}

impl Seed {
    /// The same state as [`Duract::build`], built directly (the seed's own assign would scan
    /// every worker for each queued task); its footprint (live bytes of the model).
    fn build(workers: usize, queued: usize) -> (Seed, Live) {
        let before = live();
        let worker_ids: Vec<String> = (0..workers as u64).map(worker_id).collect();
        let active: Vec<(String, String)> = (0..workers as u64)
            .map(|n| (task_id(n), worker_id(n)))
            .collect();
        let queue: Vec<String> = (workers as u64..(workers + queued) as u64)
            .map(task_id)
            .collect();
        let model = SeedCoordinator::build(worker_ids, &active, queue);
        let footprint = live().since(before);
        let storage = MemoryStorage::without_limits();
        let seed = Seed {
            model,
            storage,
            active: active.into_iter().collect(),
            next_task: (workers + queued) as u64,
            next_worker: workers as u64,
            checkpoint: None,
        };
        // The stored state to start from (the seed persists its whole state on each change).
        ready(seed.model.persist(&seed.storage));
        (seed, footprint)
    }

    fn timed<F: Future<Output = String>>(storage: &MemoryStorage, op: F) -> (Sample, String) {
        let before = storage.stats();
        let cpu = thread_cpu_nanos();
        let start = Instant::now();
        let reply = ready(op);
        let nanos = start.elapsed().as_nanos() as u64;
        let cpu = thread_cpu_nanos() - cpu;
        let sample = Sample {
            cpu_nanos: Some(cpu),
            ..sample(nanos, before, storage.stats())
        };
        (sample, reply)
    }

    fn take_sends(&mut self) {
        let sends = self.model.outbox.drain(..);
        self.active
            .extend(sends.map(|(worker, task)| (task, worker)));
    }
}

impl Seed {
    fn boxed(self) -> Box<dyn Coord> {
        Box::new(self)
    }
}

impl Coord for Seed {
    fn assign(&mut self) -> Sample {
        let task = task_id(self.next_task);
        self.next_task += 1;
        let (s, reply) = Seed::timed(&self.storage, self.model.assign_task(&self.storage, &task));
        assert!(reply.contains("\"queued\""), "steady state: {reply}");
        self.take_sends();
        s
    }

    fn complete(&mut self) -> Sample {
        let (task, worker) = self.active.pop_front().expect("an active task");
        let (s, _) = Seed::timed(
            &self.storage,
            self.model.task_complete(&self.storage, &task, &worker),
        );
        self.take_sends();
        s
    }

    fn register(&mut self) -> Sample {
        let worker = worker_id(self.next_worker);
        self.next_worker += 1;
        let (s, _) = Seed::timed(
            &self.storage,
            self.model.register_worker(&self.storage, &worker),
        );
        self.take_sends();
        s
    }

    fn checkpoint(&mut self) {
        self.checkpoint = Some((self.model.clone(), self.active.clone()));
    }

    fn restore(&mut self) {
        let (model, active) = self.checkpoint.as_ref().expect("a checkpoint");
        self.model = model.clone();
        self.active = active.clone();
    }

    fn counts(&mut self) -> (usize, usize) {
        (self.active.len(), self.model.queued())
    }
}

// ---------------------------------------------------------------------------------------------
// The run.

const SCALES: [(usize, usize); 3] = [(10, 10), (100, 10_000), (10_000, 100_000)];

fn scale_name(workers: usize, queued: usize) -> String {
    fn short(n: usize) -> String {
        if n >= 1000 && n.is_multiple_of(1000) {
            format!("{}k", n / 1000)
        } else {
            n.to_string()
        }
    }
    format!("({}, {})", short(workers), short(queued))
}

/// The 1-minute load average, when the system tells it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("COORDINATOR_SCALE_BUDGET_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    );
    if let Ok(which) = std::env::var("COORDINATOR_SCALE_PROFILE") {
        let priorities = which.ends_with('p');
        match which.trim_end_matches('p').parse::<usize>() {
            Ok(at) => profile(at, priorities, budget),
            Err(_) => {
                eprintln!("COORDINATOR_SCALE_PROFILE: a scale index, then `p` for priorities")
            }
        }
        return;
    }
    let started = Instant::now();
    let load_before = load_average();
    let mut systems: Vec<Box<dyn Coord>> = Vec::new();
    let mut variants = Vec::new();
    let mut memory = None;
    for &(workers, queued) in &SCALES {
        let t = Instant::now();
        let (mut seed, seed_footprint) = Seed::build(workers, queued);
        assert_eq!(
            seed.counts(),
            (workers, queued),
            "the seed's state as built"
        );
        let (mut duract, without_queue, with_queue) = Duract::build(workers, queued, false);
        assert_eq!(
            duract.counts(),
            (workers, queued),
            "duract's state as built"
        );
        if (workers, queued) == (10_000, 100_000) {
            memory = Some((without_queue, with_queue, seed_footprint));
        }
        eprintln!(
            "built {} in {:.1} s",
            scale_name(workers, queued),
            t.elapsed().as_secs_f64()
        );
        systems.push(seed.boxed());
        systems.push(duract.boxed());
        let (seed_at, duract_at) = (systems.len() - 2, systems.len() - 1);
        for (system, deferred) in [(seed_at, false), (duract_at, false), (duract_at, true)] {
            variants.push(Variant {
                system,
                deferred,
                workers,
                m: Measured::default(),
                spent_mix: Duration::ZERO,
                spent_register: Duration::ZERO,
            });
        }
    }
    eprintln!(
        "measuring, {} ms per variant and phase ...",
        budget.as_millis()
    );
    measure_all(&mut systems, &mut variants, budget);
    for (system, &(workers, queued)) in systems.iter_mut().zip(SCALES.iter().flat_map(|s| [s, s])) {
        assert_eq!(
            system.counts(),
            (workers, queued),
            "the state after the run"
        );
    }
    let results: Vec<Results> = variants
        .chunks(3)
        .zip(SCALES)
        .map(|(v, (workers, queued))| Results {
            workers,
            queued,
            seed: &v[0].m,
            duract: &v[1].m,
            deferred: &v[2].m,
        })
        .collect();
    print_tables(&results);
    if let Some((without_queue, with_queue, seed)) = memory {
        print_memory(without_queue, with_queue, seed);
    }
    priority_probe(budget, &results);
    println!(
        "\n(run took {:.1} s; {} cores; load average {} before, {} after)",
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, usize::from),
        load_before,
        load_average()
    );
}

/// `COORDINATOR_SCALE_PROFILE=<i>` (`<i>p`: a distinct priority per task): only duract's
/// complete/assign mix at `SCALES[i]`, for `budget` × 10, printing nothing but its medians
/// (to run under `perf record`). With `COORDINATOR_SCALE_PAIRS=<n>`, exactly `n`
/// complete/assign pairs, untimed, for valgrind.
fn profile(at: usize, priorities: bool, budget: Duration) {
    let Some(&(workers, queued)) = SCALES.get(at) else {
        eprintln!("COORDINATOR_SCALE_PROFILE: no scale {at}");
        return;
    };
    let (duract, _, _) = Duract::build(workers, queued, priorities);
    if let Some(pairs) = env_number("COORDINATOR_SCALE_PAIRS") {
        let mut duract = duract;
        steady_pairs(&mut duract, pairs);
        println!(
            "{}: {pairs} complete/assign pairs",
            scale_name(workers, queued)
        );
        return;
    }
    let mut systems = vec![duract.boxed()];
    let mut variants = vec![Variant {
        system: 0,
        deferred: false,
        workers,
        m: Measured::default(),
        spent_mix: Duration::ZERO,
        spent_register: budget * 10,
    }];
    measure_all(&mut systems, &mut variants, budget * 10);
    let m = &variants[0].m;
    println!(
        "{}: assign {:.2} µs, complete {:.2} µs (medians; {} + {} operations)",
        scale_name(workers, queued),
        m.assign.quantile_us(0.5),
        m.complete.quantile_us(0.5),
        m.assign.n(),
        m.complete.n()
    );
}

/// `pairs` completions and assignments, alternating, and nothing else: for counting
/// instructions and cache misses (`valgrind --tool=callgrind --toggle-collect=*steady_pairs*`).
#[inline(never)]
fn steady_pairs(duract: &mut Duract, pairs: usize) {
    for _ in 0..pairs {
        duract.complete();
        duract.assign();
    }
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.parse().ok()
}

/// The measurements at one scale.
struct Results<'a> {
    workers: usize,
    queued: usize,
    seed: &'a Measured,
    duract: &'a Measured,
    deferred: &'a Measured,
}

fn ops(m: &Measured) -> [(&'static str, &OpStats); 3] {
    [
        ("register", &m.register),
        ("assign", &m.assign),
        ("complete", &m.complete),
    ]
}

/// A ratio as `12x`, or `0.4x` below 10.
fn times(ratio: f64) -> String {
    if ratio < 10.0 {
        format!("{ratio:.1}x")
    } else {
        format!("{ratio:.0}x")
    }
}

fn print_tables(rows: &[Results<'_>]) {
    println!("## Time and storage writes per operation\n");
    println!("Medians of wall time, µs per operation. *seed CPU*: the seed's thread CPU time (its");
    println!(
        "operations take milliseconds at scale, so on a shared machine their wall time includes"
    );
    println!(
        "waiting for a core). *duract, writes deferred*: the same coordinator with its storage"
    );
    println!("writes applied after the timed region (reads stay in): its own time without the");
    println!("in-memory storage stand-in's inserts. Bytes: keys + values put, per operation.");
    println!("Allocations: calls to the allocator (reallocations included) in the timed region.\n");
    println!(
        "| (workers, queued) | op | seed | seed CPU | duract | duract, writes deferred | seed CPU ÷ duract | seed bytes/op | duract bytes/op | seed puts/op | duract puts + deletes/op | duract allocations/op |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let name = scale_name(row.workers, row.queued);
        for (i, (op, s)) in ops(row.seed).into_iter().enumerate() {
            let d = ops(row.duract)[i].1;
            let w = ops(row.deferred)[i].1;
            println!(
                "| {name} | {op} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.1} | {:.1} + {:.1} | {:.1} |",
                s.quantile_us(0.5),
                s.cpu_quantile_us(0.5),
                d.quantile_us(0.5),
                w.quantile_us(0.5),
                times(s.cpu_quantile_us(0.5) / d.quantile_us(0.5)),
                s.per_op(s.bytes),
                d.per_op(d.bytes),
                s.per_op(s.puts),
                d.per_op(d.puts),
                d.per_op(d.deletes),
                d.per_op(d.allocs),
            );
        }
    }

    println!("\n## Means and spread (wall time, µs: mean / 99th percentile; samples)\n");
    println!("| (workers, queued) | op | seed | seed n | duract | duract n | duract, writes deferred | n |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let name = scale_name(row.workers, row.queued);
        for (i, (op, s)) in ops(row.seed).into_iter().enumerate() {
            let d = ops(row.duract)[i].1;
            let w = ops(row.deferred)[i].1;
            println!(
                "| {name} | {op} | {:.1} / {:.1} | {} | {:.2} / {:.2} | {} | {:.2} / {:.2} | {} |",
                s.mean_us(),
                s.quantile_us(0.99),
                s.n(),
                d.mean_us(),
                d.quantile_us(0.99),
                d.n(),
                w.mean_us(),
                w.quantile_us(0.99),
                w.n(),
            );
        }
    }

    let (Some(small), Some(large)) = (rows.first(), rows.last()) else {
        return;
    };
    println!(
        "\n## Targets: {} against {}\n",
        scale_name(large.workers, large.queued),
        scale_name(small.workers, small.queued)
    );
    println!("| op | duract large ÷ small, median (mean); target ≤ 2 | writes deferred, large ÷ small, median (mean) | seed ÷ duract at large, CPU (wall); target ≥ 100 | duract bytes/op at each scale; target: flat |");
    println!("|---|---:|---:|---:|---|");
    for i in 0..3 {
        let (op, d_large) = ops(large.duract)[i];
        let d_small = ops(small.duract)[i].1;
        let w_large = ops(large.deferred)[i].1;
        let w_small = ops(small.deferred)[i].1;
        let s_large = ops(large.seed)[i].1;
        let bytes: Vec<String> = rows
            .iter()
            .map(|r| {
                let d = ops(r.duract)[i].1;
                format!("{:.0}", d.per_op(d.bytes))
            })
            .collect();
        println!(
            "| {op} | {:.2} ({:.2}) | {:.2} ({:.2}) | {} ({}) | {} |",
            d_large.quantile_us(0.5) / d_small.quantile_us(0.5),
            d_large.mean_us() / d_small.mean_us(),
            w_large.quantile_us(0.5) / w_small.quantile_us(0.5),
            w_large.mean_us() / w_small.mean_us(),
            times(s_large.cpu_quantile_us(0.5) / d_large.quantile_us(0.5)),
            times(s_large.quantile_us(0.5) / d_large.quantile_us(0.5)),
            bytes.join(" / "),
        );
    }
}

/// duract with a distinct priority on every task (an `assign_task` option of issue 8), at
/// the smallest and the largest scale.
fn priority_probe(budget: Duration, plain: &[Results<'_>]) {
    let (small, large) = (SCALES[0], SCALES[SCALES.len() - 1]);
    eprintln!("measuring duract with a distinct priority per task ...");
    let mut systems = Vec::new();
    let mut footprints = Vec::new();
    for (workers, queued) in [small, large] {
        let (duract, without_queue, with_queue) = Duract::build(workers, queued, true);
        footprints.push((without_queue, with_queue));
        systems.push(duract.boxed());
    }
    let mut variants: Vec<Variant> = [small, large]
        .iter()
        .enumerate()
        .map(|(system, &(workers, _))| Variant {
            system,
            deferred: false,
            workers,
            m: Measured::default(),
            spent_mix: Duration::ZERO,
            spent_register: Duration::ZERO,
        })
        .collect();
    measure_all(&mut systems, &mut variants, budget);
    for (system, (workers, queued)) in systems.iter_mut().zip([small, large]) {
        assert_eq!(
            system.counts(),
            (workers, queued),
            "the state after the run"
        );
    }
    println!(
        "\n## duract with a distinct priority on every task\n\n\
         `assign_task {{taskId, priority}}`, priorities scattered over 2^31 values, so the queue \
         holds as many priority classes as tasks. Medians of wall time, µs per operation.\n"
    );
    println!(
        "| op | {} | {} | large ÷ small | without priorities at {} | bytes/op small / large |",
        scale_name(small.0, small.1),
        scale_name(large.0, large.1),
        scale_name(large.0, large.1)
    );
    println!("|---|---:|---:|---:|---:|---|");
    for i in 0..3 {
        let (op, s) = ops(&variants[0].m)[i];
        let l = ops(&variants[1].m)[i].1;
        let without = plain
            .last()
            .map_or(0.0, |r| ops(r.duract)[i].1.quantile_us(0.5));
        println!(
            "| {op} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} |",
            s.quantile_us(0.5),
            l.quantile_us(0.5),
            l.quantile_us(0.5) / s.quantile_us(0.5),
            without,
            s.per_op(s.bytes),
            l.per_op(l.bytes),
        );
    }
    let (without_queue, with_queue) = &footprints[1];
    let per_task = with_queue.loaded.since(without_queue.loaded);
    println!(
        "\nMemory per queued task with its own priority: {:.0} B requested ({:.1} allocations).",
        per_task.bytes as f64 / large.1 as f64,
        per_task.allocs as f64 / large.1 as f64
    );
}

fn print_memory(without_queue: Footprint, with_queue: Footprint, seed: Live) {
    const ISOLATE: usize = 128 * 1024 * 1024;
    /// A rough per-allocation overhead of a general-purpose allocator (header + rounding).
    const OVERHEAD: usize = 16;
    let queued = 100_000;
    println!("\n## Memory of the coordinator's state at (10k workers, 100k queued)\n");
    println!(
        "Counted by a global allocator in this (64-bit native) binary: bytes requested, live."
    );
    println!("wasm32 halves pointers and lengths, so these are upper bounds for the isolate.\n");
    println!("| state | live bytes | allocations | MiB incl. ~{OVERHEAD} B/allocation |");
    println!("|---|---:|---:|---:|");
    let rows = [
        (
            "duract, 10k workers + 10k active, loaded from storage",
            without_queue.loaded,
        ),
        (
            "duract, + 100k queued, loaded from storage (after a restart)",
            with_queue.loaded,
        ),
        (
            "duract, + 100k queued, as built by the operations",
            with_queue.built,
        ),
        (
            "seed model, + 100k queued (plus one JSON snapshot of it per persist)",
            seed,
        ),
    ];
    for (name, l) in rows {
        println!(
            "| {name} | {} | {} | {:.1} |",
            l.bytes,
            l.allocs,
            mib(l.bytes + OVERHEAD * l.allocs)
        );
    }
    println!(
        "\nPeak while loading after a restart (the listed entries are held while they decode): \
         {:.1} MiB requested with 10k workers + 10k active, {:.1} MiB with 100k queued besides.",
        mib(without_queue.load_peak),
        mib(with_queue.load_peak)
    );
    let per_task = with_queue.loaded.since(without_queue.loaded);
    let bytes_per_task = per_task.bytes as f64 / queued as f64;
    let with_overhead = (per_task.bytes + OVERHEAD * per_task.allocs) as f64 / queued as f64;
    let base = without_queue.loaded.bytes + OVERHEAD * without_queue.loaded.allocs;
    let fit = |share: f64| ((ISOLATE as f64 * share - base as f64) / with_overhead).max(0.0);
    println!(
        "\nPer queued task: {bytes_per_task:.0} B requested, {with_overhead:.0} B with allocator overhead \
         ({:.1} allocations).",
        per_task.allocs as f64 / queued as f64
    );
    println!(
        "Queued tasks that fit beside 10k workers, by the live state: {:.2} M in all of a 128 MB \
         isolate, {:.2} M in half of it.",
        fit(1.0) / 1e6,
        fit(0.5) / 1e6
    );
    let peak_per_task =
        with_queue.load_peak.saturating_sub(without_queue.load_peak) as f64 / queued as f64;
    let peak_fit = |share: f64| {
        ((ISOLATE as f64 * share - without_queue.load_peak as f64) / peak_per_task).max(0.0)
    };
    println!(
        "By the peak of a restart's load ({peak_per_task:.0} B per queued task, requested): \
         {:.2} M in all of it, {:.2} M in half of it.",
        peak_fit(1.0) / 1e6,
        peak_fit(0.5) / 1e6
    );
}
