//! Generated dispatch vs a hand-written serde + match of the same 5-message actor.
//!
//! Both decode the payload in the matching arm, run the same async handlers with a `Ctx`, and
//! serialize the reply; each iteration dispatches the same five envelopes (one per message).
//! Target: generated <= 1.10x hand-written per message.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use duract::envelope::to_raw;
use duract::{actor, message, payload, route, Actor, Ctx, Envelope, Error, MemoryStorage};
use duract_tests::port::TestPort;
use serde_json::value::RawValue;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

#[message]
pub struct Add {
    pub amount: u64,
    pub note: Option<String>,
}

#[message]
pub struct Sub {
    pub amount: u64,
}

#[message]
pub struct Get;

#[message]
pub struct Rename {
    pub new_name: String,
}

#[message]
pub struct Tag {
    pub tags: Vec<String>,
    pub replace: bool,
}

#[payload]
pub struct Total {
    pub total: u64,
}

#[payload]
pub struct Renamed {
    pub old_name: String,
    pub new_name: String,
}

#[payload]
pub struct Tagged {
    pub count: usize,
}

/// The actor, generated.
#[actor]
#[derive(Default)]
pub struct Account {
    total: u64,
    name: String,
    tags: Vec<String>,
}

#[route]
impl Account {
    async fn add(&mut self, _ctx: &mut Ctx, msg: Add) -> Total {
        self.total += msg.amount + msg.note.map_or(0, |n| n.len() as u64);
        Total { total: self.total }
    }

    async fn sub(&mut self, _ctx: &mut Ctx, msg: Sub) -> Result<Total, Error> {
        self.total = self
            .total
            .checked_sub(msg.amount)
            .ok_or_else(|| Error::handler("overdrawn", "not enough"))?;
        Ok(Total { total: self.total })
    }

    async fn get(&mut self, _ctx: &mut Ctx, _msg: Get) -> Total {
        Total { total: self.total }
    }

    async fn rename(&mut self, _ctx: &mut Ctx, msg: Rename) -> Renamed {
        let old_name = std::mem::replace(&mut self.name, msg.new_name.clone());
        Renamed {
            old_name,
            new_name: msg.new_name,
        }
    }

    async fn tag(&mut self, _ctx: &mut Ctx, msg: Tag) -> Tagged {
        if msg.replace {
            self.tags.clear();
        }
        self.tags.extend(msg.tags);
        self.tags.truncate(8);
        Tagged {
            count: self.tags.len(),
        }
    }
}

/// The same actor, dispatched by hand: serde + match.
#[derive(Default)]
pub struct HandAccount {
    total: u64,
    name: String,
    tags: Vec<String>,
}

impl HandAccount {
    async fn add(&mut self, _ctx: &mut Ctx, msg: Add) -> Total {
        self.total += msg.amount + msg.note.map_or(0, |n| n.len() as u64);
        Total { total: self.total }
    }

    async fn sub(&mut self, _ctx: &mut Ctx, msg: Sub) -> Result<Total, Error> {
        self.total = self
            .total
            .checked_sub(msg.amount)
            .ok_or_else(|| Error::handler("overdrawn", "not enough"))?;
        Ok(Total { total: self.total })
    }

    async fn get(&mut self, _ctx: &mut Ctx, _msg: Get) -> Total {
        Total { total: self.total }
    }

    async fn rename(&mut self, _ctx: &mut Ctx, msg: Rename) -> Renamed {
        let old_name = std::mem::replace(&mut self.name, msg.new_name.clone());
        Renamed {
            old_name,
            new_name: msg.new_name,
        }
    }

    async fn tag(&mut self, _ctx: &mut Ctx, msg: Tag) -> Tagged {
        if msg.replace {
            self.tags.clear();
        }
        self.tags.extend(msg.tags);
        self.tags.truncate(8);
        Tagged {
            count: self.tags.len(),
        }
    }

    async fn dispatch(&mut self, ctx: &mut Ctx, env: &Envelope) -> Result<Box<RawValue>, Error> {
        match env.message_type.as_str() {
            "add" => to_raw(&self.add(ctx, env.decode_payload()?).await),
            "sub" => to_raw(&self.sub(ctx, env.decode_payload()?).await?),
            "get" => to_raw(&self.get(ctx, env.decode_payload()?).await),
            "rename" => to_raw(&self.rename(ctx, env.decode_payload()?).await),
            "tag" => to_raw(&self.tag(ctx, env.decode_payload()?).await),
            other => Err(Error::UnknownType {
                message_type: other.to_owned(),
            }),
        }
    }
}

/// Polls a future that never waits (both dispatches complete at once).
fn run<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the benchmarked handlers never wait"),
    }
}

fn envelopes() -> Vec<Envelope> {
    [
        ("add", r#"{"amount":5,"note":"salary"}"#),
        ("sub", r#"{"amount":3}"#),
        ("get", "null"),
        ("rename", r#"{"newName":"savings"}"#),
        ("tag", r#"{"tags":["a","b"],"replace":true}"#),
    ]
    .iter()
    .map(|(ty, payload)| duract_tests::port::request("account:a", ty, payload))
    .collect()
}

fn bench(c: &mut Criterion) {
    let port = TestPort::new("account:a", Rc::new(MemoryStorage::new()));
    let mut ctx = port.detached_ctx("client:ui");
    let envs = envelopes();
    let mut group = c.benchmark_group("dispatch_5_messages");
    group.bench_function("generated", |b| {
        let mut actor = Account::default();
        b.iter(|| {
            for env in &envs {
                black_box(run(actor.dispatch(&mut ctx, black_box(env))).is_ok());
            }
        })
    });
    group.bench_function("hand_written", |b| {
        let mut actor = HandAccount::default();
        b.iter(|| {
            for env in &envs {
                black_box(run(actor.dispatch(&mut ctx, black_box(env))).is_ok());
            }
        })
    });
    group.finish();
    print_interleaved_ratio(&envs, &mut ctx);
}

/// The ratio with both dispatches interleaved in short rounds (alternating which goes first),
/// so that load from other processes hits both alike: the best round of each.
fn print_interleaved_ratio(envs: &[Envelope], ctx: &mut Ctx) {
    const ROUNDS: usize = 30;
    const N: u32 = 10_000;
    let mut generated = Account::default();
    let mut hand = HandAccount::default();
    let (mut best_generated, mut best_hand) = (f64::MAX, f64::MAX);
    let per_message = |start: Instant| start.elapsed().as_secs_f64() / f64::from(N * 5);
    for round in 0..ROUNDS {
        for first in [round % 2 == 0, round % 2 == 1] {
            let start = Instant::now();
            for _ in 0..N {
                for env in envs {
                    if first {
                        black_box(run(generated.dispatch(ctx, black_box(env))).is_ok());
                    } else {
                        black_box(run(hand.dispatch(ctx, black_box(env))).is_ok());
                    }
                }
            }
            if first {
                best_generated = best_generated.min(per_message(start));
            } else {
                best_hand = best_hand.min(per_message(start));
            }
        }
    }
    println!(
        "interleaved: generated {:.1} ns/msg, hand-written {:.1} ns/msg, generated/hand-written = {:.3}x (target <= 1.10x)",
        best_generated * 1e9,
        best_hand * 1e9,
        best_generated / best_hand
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4))
        .sample_size(60)
}

criterion_group! { name = benches; config = config(); targets = bench }
criterion_main!(benches);
