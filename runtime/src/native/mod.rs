//! The native host: runs actors in-process with Durable Object semantics, for fast,
//! deterministic `cargo test`s (no wasm, no Node), through the same generated code that runs
//! in workerd.
//!
//! - **Instances**: one per address, activated on its first message (its state loads from its
//!   own storage on its first turn), each message handled in its own turn, one turn at a time
//!   in arrival order ([`crate::instance::Instance`], the core both hosts share).
//! - **Routing**: `send`, `ask` and background work between instances go by the target type's
//!   kind and the address id, as the Durable Object adapter routes them (namespace, name).
//! - **Executor** ([`executor`]): single-threaded and deterministic; [`Host::run_until_idle`]
//!   runs until no work is ready, with a step bound ([`Host::step_bound`], default
//!   100,000 polls) whose excess is [`HostError::StepBound`]: a livelock fails the test.
//! - **Virtual clock** ([`clock`]): `now` starts at [`clock::DEFAULT_EPOCH_MS`]
//!   ([`Host::epoch_ms`]); [`Host::advance`] moves it and fires alarms and messages for later
//!   ([`Host::later`]) in time order. Nothing sleeps.
//! - **Asks** ([`ask`]): an ask that cannot be answered (A asks B while B asks A) ends in
//!   `timeout` after the ask timeout of virtual time (default 10 s, [`ASK_TIMEOUT_MS`](crate::ASK_TIMEOUT_MS): the variable or [`Host::ask_timeout_ms`]):
//!   when the host is idle while an ask waits, the clock moves to the next alarm or deadline.
//! - **Gateways** ([`connection`]): [`Host::connect`] opens a client connection; frames go
//!   through [`crate::gateway::handle_frame`]; [`Host::broadcast`] reaches every socket of a
//!   session; [`Host::evict`] hibernates an idle instance and keeps its connections.
//! - **Restart and faults** ([`faults`]): [`Host::restart`] / [`Host::restart_all`] drop
//!   in-memory state, work in flight and messages for later, keep storage and alarms;
//!   [`Host::fail_next_writes`] / [`Host::fail_writes_after`] inject storage failures. As on
//!   Durable Objects, a failed write fails the rest of its turn, none of the turn's writes
//!   stay (timers included), the in-memory state is dropped and the caller gets
//!   `actor_error`; a failed alarm is retried [`ALARM_RETRY_MS`] later.
//! - **Test kit** ([`testkit`]): [`Client`] builds envelopes with unique ids, replies are
//!   picked by `replyTo` ([`Host::reply_to`], [`Connection::reply_to`]),
//!   [`assert_error_code`], [`Host::wait_until`], [`Host::storage`] snapshots.
//!
//! Not modelled: socket attachments set by the gateway (a connection keeps only its session
//! address), broadcast initiated by an actor (only [`Host::broadcast`]), and the input gate
//! opening during non-storage awaits (turns never interleave here, so an ask cycle times out
//! rather than completing).
//!
//! # Example
//!
//! A complete test: a counter actor and a session gateway, asked directly and over a client
//! connection, restarted, woken by a durable timer, and failing on an injected storage fault.
//!
//! ```
//! use duract::native::{assert_error_code, reply_payload, Host};
//! use duract::{actor, message, payload, route, Ctx, Error};
//! use std::time::Duration;
//!
//! #[message]
//! pub struct Add { pub amount: u64 }
//! #[message(internal)]
//! pub struct Reset;
//! #[payload]
//! pub struct Total { pub total: u64 }
//!
//! #[actor]
//! #[derive(Default)]
//! pub struct Counter { total: u64 }
//!
//! #[route]
//! impl Counter {
//!     async fn add(&mut self, ctx: &mut Ctx, msg: Add) -> Result<Total, Error> {
//!         if self.total == 0 {
//!             // A durable timer: survives restarts; setting "reset" again replaces it.
//!             ctx.set_timer("reset", Duration::from_secs(60), &Reset)?;
//!         }
//!         self.total += msg.amount;
//!         Ok(Total { total: self.total })
//!     }
//!     async fn reset(&mut self, _ctx: &mut Ctx, _msg: Reset) {
//!         self.total = 0;
//!     }
//! }
//!
//! #[actor(kind = "session", gateway(
//!     forward(counter = Counter),
//!     reply_to("client:counter-proxy" = [Add], default = "client:ui"),
//! ))]
//! pub struct Session;
//!
//! let host = Host::new().with::<Counter>().with::<Session>();
//! let client = host.client("client:test").unwrap();
//!
//! // Direct asks: activation on the first message, state persisted after each turn.
//! let reply = client.ask("counter:a", &Add { amount: 2 }).unwrap();
//! assert_eq!(reply_payload::<Total>(&reply).unwrap().total, 2);
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("total").unwrap(), Some(2));
//!
//! // Restart: memory is dropped, storage stays, the next turn reloads it.
//! host.restart("counter:a").unwrap();
//! let reply = client.ask("counter:a", &Add { amount: 3 }).unwrap();
//! assert_eq!(reply_payload::<Total>(&reply).unwrap().total, 5);
//! assert_eq!(host.activations("counter:a"), 2);
//!
//! // A failed save: the caller gets `actor_error`, storage keeps the last good state.
//! host.fail_next_writes("counter:a", 1).unwrap();
//! assert_error_code(&client.ask("counter:a", &Add { amount: 1 }).unwrap(), "actor_error");
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("total").unwrap(), Some(5));
//!
//! // A client connection through the gateway; replies are picked by `replyTo`.
//! let conn = host.connect("session:s1").unwrap();
//! assert_eq!(conn.received()[0].message_type, "SessionEstablished");
//! let request = client.message("counter:a", &Add { amount: 1 }).unwrap();
//! let reply = conn.request(&request).unwrap();
//! assert_eq!(reply.to.as_str(), "client:counter-proxy");
//! assert_eq!(reply_payload::<Total>(&reply).unwrap().total, 6);
//! let forbidden = client.message("counter:a", &Reset).unwrap();
//! assert_error_code(&conn.request(&forbidden).unwrap(), "forbidden");
//!
//! // Virtual time: the timer set by the first `add` fires 60 s later, after the restart.
//! host.advance(59_999).unwrap();
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("total").unwrap(), Some(6));
//! host.advance(1).unwrap();
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("total").unwrap(), Some(0));
//! ```
//!
//! Without the macros, implement [`crate::Actor`] by hand (`load`, `save`, `dispatch`) and
//! the host runs it the same way.

pub mod ask;
pub mod clock;
pub mod connection;
mod engine;
mod error;
pub mod executor;
pub mod faults;
mod hash;
mod host;
mod later;
mod port;
mod sockets;
pub mod testkit;

pub use connection::Connection;
pub use engine::{Undelivered, ALARM_RETRY_MS, DEFAULT_STEP_BOUND};
pub use error::HostError;
pub use faults::{FaultPlan, FaultStorage};
pub use host::Host;
pub use port::HostPort;
pub use testkit::{assert_error_code, reply_payload, Client, ClientRef, Stored};
