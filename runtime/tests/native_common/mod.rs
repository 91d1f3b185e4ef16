//! Small actors for the native host's own tests, written against `duract::Actor` by hand
//! (what `#[actor]`/`#[route]` generate), so the host is tested independently of the macros.
#![allow(dead_code)]

use duract::__private::serde::{Deserialize, Serialize};
use duract::__private::RawValue;
use duract::envelope::to_raw;
use duract::gateway::{Forward, GatewayInfo, ReplyRoute};
use duract::instance::{Instance, Turns};
use duract::persist::{decode_field, field_key, SaveBatch, Saved};
use duract::{
    Actor, ActorInfo, Ctx, Envelope, Error, Handles, Message, Port, RouteInfo, Storage, Target,
};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Yields once to the executor: without the turn gate, turns would interleave here.
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

macro_rules! message {
    ($name:ident, $ty:literal, $reply:ty, $internal:literal) => {
        impl duract::Payload for $name {}
        impl Message for $name {
            const TYPE: &'static str = $ty;
            const INTERNAL: bool = $internal;
        }
        impl Handles<$name> for Counter {
            type Reply = $reply;
        }
    };
}

/// `append`: pushes the text to the log after yielding; replies with the log's length.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Append(pub String);
message!(Append, "append", usize, false);

/// `schedule`: the durable timer named `tag`, delivering `tick` with `tag` after `delay_ms`;
/// replies with the timer's name.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde", rename_all = "camelCase")]
pub struct Schedule {
    pub delay_ms: u64,
    pub tag: String,
}
message!(Schedule, "schedule", String, false);

/// `every`: the recurring timer named `tag`, delivering `tick` every `delay_ms`.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Every(pub Schedule);
message!(Every, "every", (), false);

/// `timers`: the names and due times of the counter's timers.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct ListTimers;
message!(ListTimers, "timers", Vec<(String, u64)>, false);

/// `add_then_fail`: adds to the count, sends to the journal, sets a timer, then fails.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct AddThenFail(pub u64);
message!(AddThenFail, "add_then_fail", (), false);

/// `remind`: like `schedule`, and counts one (so the turn writes a timer and its state).
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Remind(pub Schedule);
message!(Remind, "remind", String, false);

/// `tick` (internal): logs `<tag>@<ms since the host's epoch>`, here and in `counter:journal`.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Tick {
    pub tag: String,
}
message!(Tick, "tick", (), true);

/// `ping_self`: sends itself another `ping_self` (a livelock).
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct PingSelf;
message!(PingSelf, "ping_self", (), false);

/// `ask_peer`: with `hops > 0`, asks `counter:<peer>` for `ask_peer { peer: me, hops - 1 }`.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct AskPeer {
    pub peer: String,
    pub hops: u32,
}
message!(AskPeer, "ask_peer", String, false);

/// `tell`: fire-and-forget `append(text)` to `counter:<peer>`.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Tell {
    pub peer: String,
    pub text: String,
}
message!(Tell, "tell", (), false);

/// `background`: spawns work that appends `text` to `counter:<peer>` after yielding.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Background {
    pub peer: String,
    pub text: String,
}
message!(Background, "background", (), false);

/// `fail`: a handler error with code `nope`.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(crate = "duract::__private::serde")]
pub struct Fail;
message!(Fail, "fail", (), false);

/// What `get` returns.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(crate = "duract::__private::serde")]
pub struct State {
    pub count: u64,
    pub log: Vec<String>,
}

macro_rules! route {
    ($ty:literal, $internal:literal) => {
        RouteInfo {
            message_type: $ty,
            internal: $internal,
            handler: $ty,
        }
    };
}

pub static COUNTER: ActorInfo = ActorInfo {
    kind: "counter",
    class: "CounterActor",
    binding: "COUNTER_ACTOR",
    routes: &[
        route!("add", false),
        route!("append", false),
        route!("get", false),
        route!("schedule", false),
        route!("remind", false),
        route!("tick", true),
        route!("ping_self", false),
        route!("ask_peer", false),
        route!("tell", false),
        route!("background", false),
        route!("fail", false),
    ],
    branches: &[],
    gateway: None,
};

/// A counter with a log: `count` at `f/count`, `log` at `f/log`.
#[derive(Default)]
pub struct Counter {
    pub count: u64,
    pub log: Vec<String>,
}

const FIELDS: [&str; 2] = ["count", "log"];

fn reply<T: Serialize>(value: &T) -> Result<Box<RawValue>, Error> {
    to_raw(value)
}

fn schedule(ctx: &Ctx, s: &Schedule) -> Result<(), Error> {
    let tick = Tick { tag: s.tag.clone() };
    ctx.set_timer(&s.tag, Duration::from_millis(s.delay_ms), &tick)
}

impl Target for Counter {
    const INFO: &'static ActorInfo = &COUNTER;

    fn __turns(port: Rc<dyn Port>) -> Option<Rc<dyn Turns>> {
        Some(Rc::new(Instance::<Counter>::new(port)))
    }
}

impl Actor for Counter {
    async fn load(_id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error> {
        let mut saved = Saved::new(FIELDS.len());
        let mut me = Counter::default();
        if let Some(json) = storage.get(&field_key("count")).await? {
            me.count = decode_field("count", &json)?;
            saved.record(0, json);
        }
        if let Some(json) = storage.get(&field_key("log")).await? {
            me.log = decode_field("log", &json)?;
            saved.record(1, json);
        }
        Ok((me, saved))
    }

    fn save(&mut self, saved: &Saved, batch: &mut SaveBatch) -> Result<(), Error> {
        batch.field(saved, 0, &field_key(FIELDS[0]), &self.count)?;
        batch.field(saved, 1, &field_key(FIELDS[1]), &self.log)
    }

    async fn dispatch(&mut self, ctx: &mut Ctx, env: &Envelope) -> Result<Box<RawValue>, Error> {
        match env.message_type.as_str() {
            "add" => {
                self.count += env.decode_payload::<u64>()?;
                reply(&self.count)
            }
            "append" => {
                let Append(text) = env.decode_payload()?;
                yield_now().await;
                self.log.push(text);
                reply(&self.log.len())
            }
            "get" => reply(&State {
                count: self.count,
                log: self.log.clone(),
            }),
            "schedule" => {
                let s: Schedule = env.decode_payload()?;
                schedule(ctx, &s)?;
                reply(&s.tag)
            }
            "remind" => {
                let Remind(s) = env.decode_payload()?;
                schedule(ctx, &s)?;
                self.count += 1;
                reply(&s.tag)
            }
            "tick" => {
                let t: Tick = env.decode_payload()?;
                if t.tag.starts_with("flaky") && ctx.var("FAIL_FLAKY").as_deref() == Some("1") {
                    return Err(Error::handler("flaky", "this tick fails for now"));
                }
                if let Some(victim) = t.tag.strip_prefix("cancel ") {
                    ctx.cancel_timer(victim);
                }
                let at = ctx.now() - duract::native::clock::DEFAULT_EPOCH_MS;
                let entry = format!("{}@{}", t.tag, at);
                // The journal records ticks of every instance in the order they fire.
                ctx.actor::<Counter>("journal")
                    .send(&Append(entry.clone()))?;
                self.log.push(entry);
                reply(&())
            }
            "ping_self" => {
                ctx.actor::<Counter>(ctx.me().id()).send(&PingSelf)?;
                reply(&())
            }
            "ask_peer" => {
                let a: AskPeer = env.decode_payload()?;
                if a.hops == 0 {
                    return reply(&format!("reached {}", ctx.me()));
                }
                let back = AskPeer {
                    peer: ctx.me().id().to_owned(),
                    hops: a.hops - 1,
                };
                let answer = ctx.actor::<Counter>(&a.peer).ask(&back).await?;
                reply(&answer)
            }
            "tell" => {
                let t: Tell = env.decode_payload()?;
                ctx.actor::<Counter>(&t.peer).send(&Append(t.text))?;
                reply(&())
            }
            "background" => {
                let b: Background = env.decode_payload()?;
                let port = ctx.port().clone();
                let request = ctx.envelope(
                    &duract::Address::new("counter", &b.peer).map_err(|e| Error::ActorError {
                        reason: e.to_string(),
                    })?,
                    &Append(b.text),
                )?;
                ctx.spawn(async move {
                    yield_now().await;
                    let _ = port.ask(&COUNTER, request).await;
                });
                reply(&())
            }
            "fail" => Err(Error::handler("nope", "it fails")),
            "every" => {
                let Every(s) = env.decode_payload()?;
                let tick = Tick { tag: s.tag.clone() };
                ctx.set_interval(&s.tag, Duration::from_millis(s.delay_ms), &tick)?;
                reply(&())
            }
            "timers" => {
                let timers = ctx.timers().into_iter().map(|t| (t.name, t.due));
                reply(&timers.collect::<Vec<_>>())
            }
            "add_then_fail" => {
                // Changes state, sends and sets a timer, then fails: none of it may stay.
                self.count += env.decode_payload::<u64>()?;
                ctx.actor::<Counter>("journal")
                    .send(&Append("leaked".into()))?;
                let leak = Schedule {
                    delay_ms: 10,
                    tag: "leaked".into(),
                };
                schedule(ctx, &leak)?;
                Err(Error::handler("nope", "it fails after changing things"))
            }
            other => Err(Error::UnknownType {
                message_type: other.to_owned(),
            }),
        }
    }
}

pub static SESSION_GATEWAY: GatewayInfo = GatewayInfo {
    forwards: &[Forward {
        kind: "counter",
        target: &COUNTER,
    }],
    replies: &[ReplyRoute {
        message_type: "add",
        to: "client:counter-proxy",
    }],
    default_reply_to: "client:ui",
};

pub static SESSION: ActorInfo = ActorInfo {
    kind: "session",
    class: "SessionActor",
    binding: "SESSION_ACTOR",
    routes: &[],
    branches: &[],
    gateway: Some(&SESSION_GATEWAY),
};

/// A gateway to counters: no state, no routes of its own.
pub struct Session;

impl Target for Session {
    const INFO: &'static ActorInfo = &SESSION;

    fn __turns(_port: Rc<dyn Port>) -> Option<Rc<dyn Turns>> {
        None
    }
}

impl duract::Gateway for Session {}

/// A host with the counter and the session gateway.
pub fn host() -> duract::native::Host {
    duract::native::Host::new()
        .with::<Counter>()
        .with::<Session>()
}

/// The decoded `get` state of a counter.
pub fn state(host: &duract::native::Host, address: &str) -> State {
    let client = host.client("client:test").expect("valid address");
    let reply = client.ask_raw(address, "get", &()).expect("host runs");
    duract::native::reply_payload(&reply).expect("get replies a State")
}
