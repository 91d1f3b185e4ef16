//! Messages per second through the native host for a small actor (deliver + dispatch +
//! persist), beside the same actor's turn run directly on an [`Instance`] over a bare port, in
//! one run. Both paths take the same input, an owned request envelope (cloned from a template
//! each time).
//!
//! `cargo bench -p duract --bench host`. The host's overhead is `host/* ÷ direct`.

use criterion::{criterion_group, Criterion, Throughput};
use duract::instance::Instance;
use duract::native::Host;
use duract::{
    actor, message, payload, route, Actor, ActorInfo, Address, Ctx, Envelope, Error, MemoryStorage,
    Port, Storage,
};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// `add`: adds `amount` and replies with the total.
#[message]
pub struct Add {
    /// What to add.
    pub amount: u64,
}

/// The reply to [`Add`].
#[payload]
pub struct Total {
    /// The new total.
    pub total: u64,
}

/// The small actor measured: one persisted field, one route, written with the macros, so
/// the direct path is the generated dispatch and save.
#[actor]
#[derive(Default)]
pub struct Counter {
    total: u64,
}

#[route]
impl Counter {
    async fn add(&mut self, _ctx: &mut Ctx, msg: Add) -> Total {
        self.total += msg.amount;
        Total { total: self.total }
    }
}

fn host() -> Host {
    Host::new().with::<Counter>()
}

/// Polls a future that completes without waiting (MemoryStorage never waits).
fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the direct path never waits"),
    }
}

/// The least an instance needs, for the direct path.
struct DirectPort {
    address: Address,
    storage: MemoryStorage,
}

impl Port for DirectPort {
    fn address(&self) -> &Address {
        &self.address
    }
    fn now(&self) -> u64 {
        0
    }
    fn fresh_id(&self) -> String {
        String::new()
    }
    fn storage(&self) -> &dyn Storage {
        &self.storage
    }
    fn send(&self, _: &'static ActorInfo, _: Envelope) {}
    fn ask(
        &self,
        _: &'static ActorInfo,
        _: Envelope,
    ) -> duract::future::LocalBoxFuture<'static, Result<Envelope, Error>> {
        Box::pin(async {
            Err(Error::ActorError {
                reason: "no asks on the direct path".into(),
            })
        })
    }
    fn spawn(&self, _: duract::future::LocalBoxFuture<'static, ()>) {}
    fn arm_alarm(&self, _: Option<u64>) {}
    fn deliver_later(&self, _: std::time::Duration, _: duract::later::Later) {}
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

/// An instance of the counter over a bare port: the turn without a host.
fn direct_instance() -> Instance<Counter> {
    Instance::new(Rc::new(DirectPort {
        address: Address::parse("counter:bench").unwrap(),
        storage: MemoryStorage::new(),
    }))
}

fn add_envelope(host: &Host) -> Envelope {
    host.client("client:bench")
        .unwrap()
        .message("counter:bench", &Add { amount: 1 })
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("host");
    group.throughput(Throughput::Elements(1));

    // The actor's turn (dispatch + commit) on an instance, no host: the baseline.
    group.bench_function("direct", |b| {
        let instance = direct_instance();
        let env = add_envelope(&host());
        b.iter(|| {
            // The same input as the host gets: an owned envelope (as if just decoded).
            let env = black_box(env.clone());
            black_box(ready(instance.run_turn(&env)).unwrap());
        });
    });

    // One ask at a time: deliver, turn gate, dispatch, save, reply envelope, run until idle.
    group.bench_function("ask", |b| {
        let host = host();
        let env = add_envelope(&host);
        b.iter(|| black_box(host.ask(env.clone()).unwrap()));
    });

    // 100 sends queued, then one run until idle: the per-message cost of the host's loop.
    const BATCH: u64 = 100;
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("send_batch_100", |b| {
        let host = host();
        let env = add_envelope(&host);
        b.iter(|| {
            for _ in 0..BATCH {
                host.send(env.clone()).unwrap();
            }
            host.run_until_idle().unwrap();
        });
    });
    group.finish();
    print_interleaved_ratio();
}

/// The overhead ratio measured with both paths interleaved in short rounds, so that load
/// from other processes hits both alike: each round times both paths back to back (in
/// alternating order) and gives one ratio, host ÷ direct; the median and quartiles of the
/// rounds' ratios are printed.
fn print_interleaved_ratio() {
    const ROUNDS: usize = 201;
    const N: u32 = 2_000;
    let instance = direct_instance();
    let host = host();
    let env = add_envelope(&host);
    let direct = || {
        let start = Instant::now();
        for _ in 0..N {
            let env = black_box(env.clone());
            black_box(ready(instance.run_turn(&env)).unwrap());
        }
        start.elapsed().as_secs_f64() / f64::from(N)
    };
    let through_host = || {
        let start = Instant::now();
        for _ in 0..N {
            black_box(host.ask(env.clone()).unwrap());
        }
        start.elapsed().as_secs_f64() / f64::from(N)
    };
    let mut rounds: Vec<(f64, f64)> = (0..ROUNDS)
        .map(|round| {
            if round % 2 == 0 {
                let d = direct();
                (d, through_host())
            } else {
                let h = through_host();
                (direct(), h)
            }
        })
        .collect();
    rounds.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
    let ratio = |i: usize| rounds[i].1 / rounds[i].0;
    let (direct_ns, host_ns) = rounds[ROUNDS / 2];
    println!(
        "interleaved ({ROUNDS} rounds of {N}): median round direct {:.0} ns/msg, host ask {:.0} ns/msg \
         ({:.0} msg/s); host/direct median {:.2}x (quartiles {:.2}x to {:.2}x)",
        direct_ns * 1e9,
        host_ns * 1e9,
        1.0 / host_ns,
        ratio(ROUNDS / 2),
        ratio(ROUNDS / 4),
        ratio(3 * ROUNDS / 4),
    );
}

criterion_group!(benches, bench);

/// `DURACT_HOST_BENCH_ONLY=direct|host|setup DURACT_HOST_BENCH_N=<n>` runs one path `n`
/// times and exits, for counting instructions under `valgrind --tool=cachegrind` (which,
/// unlike wall time, other processes on the machine do not disturb).
fn main() {
    if let Ok(mode) = std::env::var("DURACT_HOST_BENCH_ONLY") {
        let n = std::env::var("DURACT_HOST_BENCH_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000u32);
        run_only(&mode, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

fn run_only(mode: &str, n: u32) {
    let instance = direct_instance();
    let host = host();
    let env = add_envelope(&host);
    // Warm both paths once (activation, first save), so only steady state is counted.
    black_box(host.ask(env.clone()).unwrap());
    black_box(ready(instance.run_turn(&env)).unwrap());
    match mode {
        "direct" => {
            for _ in 0..n {
                let env = black_box(env.clone());
                black_box(ready(instance.run_turn(&env)).unwrap());
            }
        }
        "host" => {
            for _ in 0..n {
                black_box(host.ask(env.clone()).unwrap());
            }
        }
        "sizes" => print_sizes(&env),
        _ => {}
    }
}

/// The sizes of the futures and values a turn is made of.
fn print_sizes(env: &Envelope) {
    let port: Rc<dyn Port> = Rc::new(DirectPort {
        address: Address::parse("counter:bench").unwrap(),
        storage: MemoryStorage::new(),
    });
    let mut actor = Counter::default();
    let mut ctx = duract::__private::detached_ctx(port.clone(), env.from.clone());
    let dispatch = actor.dispatch(&mut ctx, env);
    println!(
        "dispatch future: {} bytes",
        std::mem::size_of_val(&dispatch)
    );
    drop(dispatch);
    let load = Counter::load("bench", port.storage());
    println!("load future: {} bytes", std::mem::size_of_val(&load));
    drop(load);
    let instance = Instance::<Counter>::new(port);
    let turn = instance.run_turn(env);
    println!("run_turn future: {} bytes", std::mem::size_of_val(&turn));
    drop(turn);
    println!(
        "ctx {} envelope {}",
        std::mem::size_of::<Ctx>(),
        std::mem::size_of::<Envelope>()
    );
}
