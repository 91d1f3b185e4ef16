//! Messages an actor sends itself for later (`Ctx::send_self_after`) on the native host: they
//! arrive at their time in turns of their own, store nothing, leave only with a committed
//! turn, and belong to one activation (a restart or a dropped state loses them, and
//! `on_activate` re-arms what the state calls for).

use duract::native::clock::DEFAULT_EPOCH_MS;
use duract::native::{assert_error_code, reply_payload, Host};
use duract::{actor, message, payload, route, Ctx, Error};
use std::time::Duration;

/// `start`: remember `tag` as pending and have it arrive `delay_ms` later.
#[message]
pub struct Start {
    pub tag: String,
    pub delay_ms: u64,
    /// The handler fails after asking for the message.
    #[serde(default)]
    pub fail: bool,
}

/// `due` (internal): the message for later.
#[message(internal)]
pub struct Due {
    pub tag: String,
}

/// `look`: what is pending and what arrived.
#[message]
pub struct Look;

/// The reply to [`Look`].
#[payload]
pub struct Seen {
    pub pending: Vec<String>,
    pub arrived: Vec<String>,
}

/// Re-arms every pending tag 100 ms after each activation.
#[actor(kind = "reminder")]
#[derive(Default)]
pub struct Reminder {
    pending: Vec<String>,
    arrived: Vec<String>,
}

const REARM_MS: u64 = 100;

#[route]
impl Reminder {
    #[route(on_activate)]
    async fn rearm(&mut self, ctx: &mut Ctx) -> Result<(), Error> {
        for tag in &self.pending {
            let due = Due { tag: tag.clone() };
            ctx.send_self_after(Duration::from_millis(REARM_MS), &due)?;
        }
        Ok(())
    }

    async fn start(&mut self, ctx: &mut Ctx, msg: Start) -> Result<(), Error> {
        let due = Due {
            tag: msg.tag.clone(),
        };
        ctx.send_self_after(Duration::from_millis(msg.delay_ms), &due)?;
        if msg.fail {
            return Err(Error::handler("refused", "this start fails"));
        }
        self.pending.push(msg.tag);
        Ok(())
    }

    /// Records every arrival, so that one delivered twice shows.
    async fn due(&mut self, ctx: &mut Ctx, msg: Due) {
        self.pending.retain(|tag| *tag != msg.tag);
        let elapsed = ctx.now() - DEFAULT_EPOCH_MS;
        self.arrived.push(format!("{}@{elapsed}", msg.tag));
    }

    async fn look(&mut self, _ctx: &mut Ctx, _msg: Look) -> Seen {
        Seen {
            pending: self.pending.clone(),
            arrived: self.arrived.clone(),
        }
    }
}

const R: &str = "reminder:r";

fn start(host: &Host, tag: &str, delay_ms: u64, fail: bool) -> duract::Envelope {
    let client = host.client("client:test").unwrap();
    let start = Start {
        tag: tag.into(),
        delay_ms,
        fail,
    };
    client.ask(R, &start).unwrap()
}

fn seen(host: &Host) -> Seen {
    let client = host.client("client:test").unwrap();
    reply_payload(&client.ask(R, &Look).unwrap()).unwrap()
}

fn host() -> Host {
    Host::new().with::<Reminder>()
}

#[test]
fn a_message_for_later_arrives_at_its_time_and_stores_nothing_but_the_state() {
    let host = host();
    start(&host, "late", 1_000, false);
    start(&host, "early", 500, false);
    let waiting: Vec<u64> = host.later(R).iter().map(|(due, _)| *due).collect();
    assert_eq!(waiting, [DEFAULT_EPOCH_MS + 500, DEFAULT_EPOCH_MS + 1_000]);
    let storage = host.storage(R).unwrap();
    assert!(storage.timers().is_empty(), "no durable timer is stored");
    assert_eq!(host.alarm(R), None, "no alarm is armed");

    host.advance(499).unwrap();
    assert!(seen(&host).arrived.is_empty(), "nothing is due yet");
    host.advance(10_000).unwrap();
    let seen = seen(&host);
    assert_eq!(
        seen.arrived,
        ["early@500", "late@1000"],
        "each at its own time"
    );
    assert!(seen.pending.is_empty());
    assert!(host.later(R).is_empty());
    // Each arrival was a committed turn of its own: its change is stored.
    let stored = host.storage(R).unwrap();
    assert_eq!(
        stored.field::<Vec<String>>("arrived").unwrap().unwrap(),
        ["early@500", "late@1000"]
    );
}

#[test]
fn a_failed_turn_sends_nothing_for_later() {
    let host = host();
    assert_error_code(&start(&host, "refused", 10, true), "refused");
    assert!(host.later(R).is_empty());
    host.advance(1_000).unwrap();
    assert!(seen(&host).arrived.is_empty());
}

#[test]
fn a_restart_loses_what_was_waiting_and_on_activate_re_arms_it() {
    let host = host();
    start(&host, "cut", 1_000, false);
    host.restart(R).unwrap();
    assert!(
        host.later(R).is_empty(),
        "the new activation has nothing waiting"
    );
    // The next message activates the instance; `on_activate` re-arms from the state.
    assert_eq!(seen(&host).pending, ["cut"]);
    assert_eq!(host.later(R).len(), 1);
    host.advance(5_000).unwrap();
    // The first activation's message (due at 1,000) never arrived: only the re-armed one.
    assert_eq!(seen(&host).arrived, [format!("cut@{REARM_MS}")]);
}

#[test]
fn a_state_dropped_after_a_failed_write_takes_its_messages_for_later_with_it() {
    let host = host();
    start(&host, "first", 1_000, false);
    // The next turn's write fails: the instance drops its state (the host keeps the
    // instance), so the next turn loads a new activation of it.
    host.fail_next_writes(R, 1).unwrap();
    assert_error_code(&start(&host, "lost", 10, false), "actor_error");
    assert_eq!(
        seen(&host).pending,
        ["first"],
        "reloaded; `on_activate` re-armed"
    );
    host.advance(5_000).unwrap();
    // Delivered once, by the re-armed message, not a second time by the first one.
    assert_eq!(seen(&host).arrived, [format!("first@{REARM_MS}")]);
}
