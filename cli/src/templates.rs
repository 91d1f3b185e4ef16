//! The files `duract new` writes. `{lib}` is the library's crate name, `{name}` the package's.

use crate::actors::Actor;

/// The actors of the new crate, as their `#[actor]` declares them (the defaults: kind from the
/// type's name, class `<Name>Actor`, binding `<KIND>_ACTOR`); wrangler.toml is made from these.
pub fn actors() -> Vec<Actor> {
    let counter = Actor::new("counter", "CounterActor", "COUNTER_ACTOR");
    let mut session = Actor::new("session", "SessionActor", "SESSION_ACTOR");
    session.forwards.push(counter.clone());
    vec![session, counter]
}

/// `Cargo.toml`; `duract_dependency` is the `duract = ...` line.
pub fn cargo_toml(name: &str, duract_dependency: &str, worker_version: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

# The library is the worker (a cdylib, which `duract build` turns into wasm for workerd) and
# what the tests use (an rlib).
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
{duract_dependency}

# The Durable Object build: `#[event(fetch)]` and the Durable Object classes expand to paths
# under ::worker. Kept out of the native build (the tests), which does not need it.
[target.'cfg(target_arch = "wasm32")'.dependencies]
worker = "{worker_version}"

[dev-dependencies]
# tests/actors.rs writes the actors as JSON for `duract check` and `duract checklist`.
serde_json = "1"

# worker-build would download wasm-opt from GitHub: off (`duract build` runs $WASM_OPT_BIN,
# e.g. npm's binaryen, when set).
[package.metadata.wasm-pack.profile.release]
wasm-opt = false

# Speed over size: opt-level 3 served duract's example 10-25% more requests a second than "s",
# for a module 17% larger (slower to load by a few ms on a cold start; "s" if that matters more).
[profile.release]
opt-level = 3
lto = true
codegen-units = 1

# A workspace of its own (remove this to make the crate a member of an enclosing workspace).
[workspace]
"#
    )
}

/// `src/lib.rs`: a counter, a gateway and the worker's entry point.
pub fn lib_rs(name: &str) -> String {
    LIB_RS.replace("{name}", name)
}

const LIB_RS: &str = r#"//! {name}: actors on Cloudflare Durable Objects, written with duract.
//!
//! A client connects a WebSocket to `/ws?session=<name>` (the gateway, [`Session`]), gets a
//! `SessionEstablished` frame, then sends envelopes, one JSON object per frame:
//!
//! ```text
//! {"to": "counter:main", "from": "client:ui", "type": "add", "payload": {"by": 2}, "id": "r1", "timestamp": 0}
//! ```
//!
//! and gets the reply, found by its `replyTo`: `{"type": "addResponse", "payload": {"value": 2},
//! "replyTo": "r1", ...}` (a reply's type is the request's followed by `Response`; errors are
//! replies of type `Error` with `{error, code}`).

use duract::{actor, message, payload, route, Ctx, Error};

/// `add`: adds `by` to the counter; the reply is the new value.
#[message] // wire type "add"; fields camelCase on the wire
pub struct Add {
    pub by: u64,
}

/// `get`: the counter's value.
#[message]
pub struct Get;

/// `reset`: back to zero. Internal: only actors may send it, a client gets `forbidden`.
#[message(internal)]
pub struct Reset;

/// A counter's value: the reply to `add`, `get` and `reset`.
#[payload]
pub struct Count {
    pub value: u64,
}

/// A counter, one per id (`counter:main`, `counter:visits`, ...), each a Durable Object that
/// stores its value. Kind `counter`, class `CounterActor`, binding `COUNTER_ACTOR`.
#[actor]
#[derive(Default)]
pub struct Counter {
    value: u64, // stored as one key, rewritten only when it changed
}

#[route] // each handler's return type is its message's reply type
impl Counter {
    async fn add(&mut self, _ctx: &mut Ctx, msg: Add) -> Result<Count, Error> {
        // An `Err` is the reply, and the turn stores nothing.
        self.value = self
            .value
            .checked_add(msg.by)
            .ok_or_else(|| Error::handler("overflow", "the counter would overflow"))?;
        Ok(Count { value: self.value })
    }

    async fn get(&mut self, _ctx: &mut Ctx, _msg: Get) -> Count {
        Count { value: self.value }
    }

    async fn reset(&mut self, _ctx: &mut Ctx, _msg: Reset) -> Count {
        self.value = 0;
        Count { value: 0 }
    }
}

/// The gateway: clients connect to it over WebSockets; it checks each frame and forwards it to
/// the actor its `to` names (`counter:<id>` to a [`Counter`]).
#[actor(kind = "session", gateway(forward(counter = Counter)))]
pub struct Session;

/// The worker's entry point: `GET /ws?session=<name>` opens a WebSocket to that session.
/// Without it the build would succeed and every request fail (`duract build` refuses that).
#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        duract::durable::gateway_entry::<crate::Session>(req, &env).await
    }
}
"#;

/// `tests/native.rs`: the actors on the native host.
pub fn native_rs(name: &str, lib: &str) -> String {
    NATIVE_RS.replace("{name}", name).replace("{lib}", lib)
}

const NATIVE_RS: &str = r##"//! {name} on the native host: the code that runs in workerd, in-process, with a virtual clock.
//! No wasm, no Node: `cargo test`.

use duract::native::{assert_error_code, Connection, Host};
use {lib}::{Add, Counter, Get, Reset, Session};

fn host() -> Host {
    Host::new().with::<Session>().with::<Counter>()
}

/// A client's request through the gateway, as in workerd: an envelope in, its reply out.
#[test]
fn a_client_adds_through_the_gateway() {
    let host = host();
    let conn = host.connect("session:s1").unwrap(); // first frame: SessionEstablished
    let client = host.client("client:ui").unwrap();
    let request = client.message("counter:main", &Add { by: 2 }).unwrap();
    let reply = conn.request(&request).unwrap(); // the frame whose replyTo is the request's id
    assert_eq!(reply.message_type, "addResponse");
    assert_eq!(reply.payload.get(), r#"{"value":2}"#);
}

/// The value is stored: it survives a restart. Typed asks return the handler's reply type.
#[test]
fn the_count_survives_a_restart() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let counter = client.actor::<Counter>("main");
    assert_eq!(counter.ask(&Add { by: 3 }).unwrap().value, 3);
    host.restart_all(); // state reloads from storage
    assert_eq!(counter.ask(&Get).unwrap().value, 3);
    assert_eq!(counter.ask(&Reset).unwrap().value, 0);
}

/// A handler's `Err` is the reply, and its turn stores nothing.
#[test]
fn an_overflow_is_refused_and_changes_nothing() {
    let host = host();
    let client = host.client("client:ui").unwrap();
    let counter = client.actor::<Counter>("main");
    counter.ask(&Add { by: u64::MAX }).unwrap();
    let err = counter.ask(&Add { by: 1 }).err().expect("an overflow");
    assert_eq!(err.code(), "overflow");
    assert_eq!(counter.ask(&Get).unwrap().value, u64::MAX);
}

/// The frame a connection received last.
fn last(conn: &Connection) -> duract::Envelope {
    conn.received().pop().expect("a frame")
}

/// Sends a raw text frame and returns the answer.
fn send(host: &Host, conn: &Connection, frame: &str) -> duract::Envelope {
    conn.send_text(frame).unwrap();
    host.run_until_idle().unwrap();
    last(conn)
}

/// A request frame with id `r1`.
fn envelope(to: &str, ty: &str, payload: &str) -> String {
    request("r1", to, ty, payload)
}

fn request(id: &str, to: &str, ty: &str, payload: &str) -> String {
    let head = format!(r#""id":"{id}","timestamp":0,"from":"client:ui""#);
    format!(r#"{{{head},"to":"{to}","type":"{ty}","payload":{payload}}}"#)
}

/// The gateway's checks and the counter's own errors, each answered with an `Error` frame:
/// every branch `duract checklist` lists is hit.
#[test]
fn bad_frames_get_errors() {
    let host = host().var("MAX_FRAME_BYTES", "1000");
    let conn = host.connect("session:s1").unwrap();
    conn.send_binary(vec![1, 2, 3]).unwrap();
    host.run_until_idle().unwrap();
    assert_error_code(&last(&conn), "unsupported_frame");
    let frames = [
        ("x".repeat(2000), "too_large"),
        ("not json".to_owned(), "invalid_format"),
        (envelope("main", "get", "null"), "invalid_address"),
        (envelope("nobody:x", "get", "null"), "unknown_actor"),
        (envelope("counter:main", "reset", "null"), "forbidden"), // internal
        (envelope("counter:main", "nope", "{}"), "unknown_type"),
        (
            envelope("counter:main", "add", r#"{"by":"x"}"#),
            "invalid_payload",
        ),
    ];
    for (frame, code) in frames {
        assert_error_code(&send(&host, &conn, &frame), code);
    }
    host.fail_next_writes("counter:main", 1).unwrap(); // the turn's write fails
    let add = envelope("counter:main", "add", r#"{"by":1}"#);
    assert_error_code(&send(&host, &conn, &add), "actor_error");

    // An actor that sends a type the counter does not handle (no gateway checks it first).
    let client = host.client("client:ui").unwrap();
    let request = client.envelope("counter:main", "nope", &()).unwrap();
    let reply = host.ask(request).unwrap();
    assert_error_code(&reply, "unknown_type");
}

/// More requests awaiting their replies on one socket than MAX_INFLIGHT: the extra one is
/// refused at once.
#[test]
fn a_burst_over_max_inflight_is_refused() {
    let host = host().var("MAX_INFLIGHT", "1");
    let conn = host.connect("session:s1").unwrap();
    let get = |id| request(id, "counter:main", "get", "null");
    conn.send_text(get("a")).unwrap();
    conn.send_text(get("b")).unwrap();
    host.run_until_idle().unwrap();
    assert_eq!(conn.reply_to("a").unwrap().message_type, "getResponse");
    assert_error_code(&conn.reply_to("b").unwrap(), "overloaded");
}
"##;

/// `.gitignore`.
pub const GITIGNORE: &str = "/target\n/build\n/build-checklist\n/.duract\n.dev.vars\n";
