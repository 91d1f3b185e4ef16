//! The native host: runs actors in-process with Durable Object semantics, for fast,
//! deterministic `cargo test`s (no wasm, no Node), through the same generated code that runs
//! in workerd.
//!
//! - **Instances**: one per address, activated on its first message (its state loads from its
//!   own storage on its first turn), each message handled in its own turn, one turn at a time
//!   in arrival order ([`crate::instance::Instance`], the core both hosts share). A failed save
//!   drops the in-memory state and the caller gets `actor_error`.
//! - **Routing**: `send`, `ask` and background work between instances go by the target type's
//!   kind and the address id, as the Durable Object adapter routes them (namespace, name).
//! - **Executor** ([`executor`]): single-threaded and deterministic; [`Host::run_until_idle`]
//!   runs until no work is ready, with a step bound ([`Host::step_bound`], default
//!   100,000 polls) whose excess is [`HostError::StepBound`]: a livelock fails the test.
//! - **Virtual clock** ([`clock`]): `now` starts at [`clock::DEFAULT_EPOCH_MS`]
//!   ([`Host::epoch_ms`]); [`Host::advance`] moves it and fires alarms in time order. Nothing
//!   sleeps.
//! - **Asks** ([`ask`]): an ask that cannot be answered (A asks B while B asks A) ends in
//!   `timeout` after the ask timeout of virtual time (default 30 s, [`Host::ask_timeout_ms`]):
//!   when the host is idle while an ask waits, the clock moves to the next alarm or deadline.
//! - **Gateways** ([`connection`]): [`Host::connect`] opens a client connection; frames go
//!   through [`crate::gateway::handle_frame`]; [`Host::broadcast`] reaches every socket of a
//!   session; [`Host::evict`] hibernates an idle instance and keeps its connections.
//! - **Restart and faults** ([`faults`]): [`Host::restart`] / [`Host::restart_all`] drop
//!   in-memory state and work in flight, keep storage and alarms;
//!   [`Host::fail_next_writes`] / [`Host::fail_writes_after`] inject storage failures.
//! - **Test kit** ([`testkit`]): [`Client`] builds envelopes with unique ids, replies are
//!   picked by `replyTo` ([`Host::reply_to`], [`Connection::reply_to`]),
//!   [`assert_error_code`], [`Host::wait_until`], [`Host::storage`] snapshots.
//!
//! # Example
//!
//! A counter actor written by hand (the `#[actor]`/`#[route]` macros write the same trait
//! impl), activated, restarted, and woken by a durable timer:
//!
//! ```
//! use duract::native::{assert_error_code, reply_payload, Host};
//! use duract::persist::{decode_field, encode_field, field_key, Saved};
//! use duract::__private::RawValue;
//! use duract::{Actor, ActorInfo, Ctx, Envelope, Error, RouteInfo, Storage, WriteBatch};
//!
//! #[derive(Default)]
//! struct Counter { count: u64 }
//!
//! static COUNTER: ActorInfo = ActorInfo {
//!     kind: "counter", class: "CounterActor", binding: "COUNTER_ACTOR",
//!     routes: &[RouteInfo { message_type: "add", internal: false, handler: "add" }],
//!     branches: &[], gateway: None,
//! };
//!
//! impl Actor for Counter {
//!     const INFO: &'static ActorInfo = &COUNTER;
//!     async fn load(_id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error> {
//!         let mut saved = Saved::new(1);
//!         let mut me = Counter::default();
//!         if let Some(json) = storage.get(&field_key("count")).await? {
//!             me.count = decode_field("count", &json)?;
//!             saved.record(0, json);
//!         }
//!         Ok((me, saved))
//!     }
//!     async fn save(&mut self, storage: &dyn Storage, saved: &mut Saved) -> Result<(), Error> {
//!         let json = encode_field("count", &self.count)?;
//!         if saved.differs(0, &json) {
//!             let mut batch = WriteBatch::default();
//!             batch.put(field_key("count"), json.clone());
//!             storage.write(batch).await?;
//!             saved.record(0, json);
//!         }
//!         Ok(())
//!     }
//!     async fn dispatch(&mut self, _ctx: &mut Ctx, env: &Envelope) -> Result<Box<RawValue>, Error> {
//!         match env.message_type.as_str() {
//!             "add" => {
//!                 self.count += env.decode_payload::<u64>()?;
//!                 duract::envelope::to_raw(&self.count)
//!             }
//!             other => Err(Error::UnknownType { message_type: other.into() }),
//!         }
//!     }
//! }
//!
//! let host = Host::new().with::<Counter>();
//! let client = host.client("client:test").unwrap();
//! let reply = client.ask_raw("counter:a", "add", &2).unwrap();
//! assert_eq!(reply_payload::<u64>(&reply).unwrap(), 2);
//!
//! // Restart: memory is gone, storage stays, the next turn reloads it.
//! host.restart("counter:a").unwrap();
//! let reply = client.ask_raw("counter:a", "add", &3).unwrap();
//! assert_eq!(reply_payload::<u64>(&reply).unwrap(), 5);
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("count").unwrap(), Some(5));
//! assert_eq!(host.activations("counter:a"), 2);
//!
//! // A failed save: the caller gets `actor_error`, the stored state is unchanged.
//! host.fail_next_writes("counter:a", 1).unwrap();
//! assert_error_code(&client.ask_raw("counter:a", "add", &1).unwrap(), "actor_error");
//! assert_eq!(host.storage("counter:a").unwrap().field::<u64>("count").unwrap(), Some(5));
//! assert_error_code(&client.ask_raw("counter:a", "nope", &()).unwrap(), "unknown_type");
//! ```

pub mod ask;
pub mod clock;
pub mod connection;
mod error;
pub mod executor;
pub mod faults;
mod hash;
mod host;
mod port;
pub mod testkit;

pub use connection::Connection;
pub use error::HostError;
pub use faults::{FaultPlan, FaultStorage};
pub use host::{Host, Undelivered, ALARM_RETRY_MS, DEFAULT_STEP_BOUND};
pub use port::HostPort;
pub use testkit::{assert_error_code, reply_payload, Client, Stored};
