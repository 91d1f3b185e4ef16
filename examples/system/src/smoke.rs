//! Hand-written stand-in actors for the Durable Object host's end-to-end tests, until the
//! example's own actors (written with the macros) exist. They implement [`duract::Actor`] by
//! hand and invoke `duract::__durable_object!` themselves, under the example's class names
//! (`SessionActor`, `CoordinatorActor`, `WorkerActor`), so `wrangler.toml` is already final.
//!
//! To retire them: delete this file, the `pub mod smoke;` line and the `Gateway` alias in
//! `lib.rs` (point it at the real session actor), and the smoke tests in `e2e/`.

use duract::envelope::to_raw;
use duract::gateway::{Forward, GatewayInfo, ReplyRoute};
use duract::persist::Saved;
use duract::{Actor, ActorInfo, Ctx, Envelope, Error, Handles, Message, RouteInfo, Storage};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// `ping`: answers who it reached.
#[derive(Serialize, Deserialize)]
pub struct Ping {}
/// `work` (internal): sleeps `ms`, then counts one job done.
#[derive(Serialize, Deserialize)]
pub struct Work {
    /// How long the work takes.
    pub ms: u64,
}
/// `kick`: the coordinator sends `work` to a worker, fire-and-forget, and replies at once.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kick {
    /// The worker to send the work to.
    pub worker_id: String,
    /// How long the work takes.
    pub ms: u64,
}
/// `remind`: a durable timer that delivers `fired {tag}` after `delay_ms`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remind {
    /// Recorded when it fires.
    pub tag: String,
    /// When it fires.
    pub delay_ms: f64,
}
/// `fired` (internal): a timer came due.
#[derive(Serialize, Deserialize)]
pub struct Fired {
    /// The timer's tag.
    pub tag: String,
}
/// `bump`: increments a persisted counter.
#[derive(Serialize, Deserialize)]
pub struct Bump {}
/// `get`: the persisted state.
#[derive(Serialize, Deserialize)]
pub struct Get {}
/// `cycle`: the coordinator asks a worker, which asks the coordinator back: a cycle of asks.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cycle {
    /// The worker to ask.
    pub worker_id: String,
}
/// `call_back`: the worker asks the coordinator `ping`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallBack {
    /// The coordinator to ask.
    pub coordinator_id: String,
}

/// `announce`: the coordinator sends `announcement {text}` to every socket of a session.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    /// The session to reach.
    pub session_id: String,
    /// What to say.
    pub text: String,
}
/// `announcement`: what a session's sockets receive.
#[derive(Serialize, Deserialize)]
pub struct Announcement {
    /// What was said.
    pub text: String,
}

macro_rules! message {
    ($ty:ty, $name:literal, $internal:literal) => {
        impl Message for $ty {
            const TYPE: &'static str = $name;
            const INTERNAL: bool = $internal;
            type Reply = serde_json::Value;
        }
    };
}
message!(Ping, "ping", false);
message!(Work, "work", true);
message!(Kick, "kick", false);
message!(Remind, "remind", false);
message!(Fired, "fired", true);
message!(Bump, "bump", false);
message!(Get, "get", false);
message!(Cycle, "cycle", false);
message!(CallBack, "call_back", false);
message!(Announce, "announce", false);
message!(Announcement, "announcement", true);

const fn route(message_type: &'static str, internal: bool) -> RouteInfo {
    RouteInfo {
        message_type,
        internal,
        handler: message_type,
    }
}

/// The persisted part of a smoke actor, stored as one field (`f/smoke`).
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmokeState {
    bumps: u64,
    done: u64,
    done_at: f64,
    fired: Vec<String>,
}

const FIELD: &str = "f/smoke";

async fn load_state(storage: &dyn Storage) -> Result<(SmokeState, Saved), Error> {
    let mut saved = Saved::new(1);
    let state = match storage.get(FIELD).await? {
        Some(json) => {
            let state = duract::persist::decode_field("smoke", &json)?;
            saved.record(0, json);
            state
        }
        None => SmokeState::default(),
    };
    Ok((state, saved))
}

async fn save_state(
    state: &SmokeState,
    storage: &dyn Storage,
    saved: &mut Saved,
) -> Result<(), Error> {
    let json = duract::persist::encode_field("smoke", state)?;
    if saved.differs(0, &json) {
        storage.put(FIELD, json.clone()).await?;
        saved.record(0, json);
    }
    Ok(())
}

fn pong(ctx: &Ctx) -> Result<Box<RawValue>, Error> {
    to_raw(&serde_json::json!({ "pong": ctx.me(), "sender": ctx.sender() }))
}

#[cfg(target_arch = "wasm32")]
async fn sleep(ms: u64) {
    worker::Delay::from(std::time::Duration::from_millis(ms)).await;
}

#[cfg(not(target_arch = "wasm32"))]
async fn sleep(_ms: u64) {
    // The smoke actors only run in workerd; natively only their tables are read.
}

/// The stand-in coordinator (`coordinator:<id>`, class `CoordinatorActor`).
pub struct SmokeCoordinator {
    state: SmokeState,
}

impl Actor for SmokeCoordinator {
    const INFO: &'static ActorInfo = &ActorInfo {
        kind: "coordinator",
        class: "CoordinatorActor",
        binding: "COORDINATOR_ACTOR",
        routes: &[
            route("ping", false),
            route("kick", false),
            route("bump", false),
            route("get", false),
            route("cycle", false),
            route("announce", false),
        ],
        branches: &[],
        gateway: None,
    };

    async fn load(_id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error> {
        let (state, saved) = load_state(storage).await?;
        Ok((SmokeCoordinator { state }, saved))
    }

    async fn save(&mut self, storage: &dyn Storage, saved: &mut Saved) -> Result<(), Error> {
        save_state(&self.state, storage, saved).await
    }

    async fn dispatch(
        &mut self,
        ctx: &mut Ctx,
        envelope: &Envelope,
    ) -> Result<Box<RawValue>, Error> {
        match envelope.message_type.as_str() {
            "ping" => pong(ctx),
            "kick" => {
                let kick: Kick = envelope.decode_payload()?;
                ctx.actor::<SmokeWorker>(&kick.worker_id)
                    .send(&Work { ms: kick.ms })?;
                to_raw(&serde_json::json!({ "status": "sent", "at": ctx.now() }))
            }
            "bump" => {
                self.state.bumps += 1;
                to_raw(&serde_json::json!({ "bumps": self.state.bumps }))
            }
            "get" => to_raw(&self.state),
            "cycle" => {
                let cycle: Cycle = envelope.decode_payload()?;
                let back = CallBack {
                    coordinator_id: ctx.me().id().to_owned(),
                };
                let answer = ctx
                    .actor::<SmokeWorker>(&cycle.worker_id)
                    .ask(&back)
                    .await?;
                to_raw(&answer)
            }
            "announce" => {
                let announce: Announce = envelope.decode_payload()?;
                let to = duract::Address::new(SmokeSession::INFO.kind, &announce.session_id)
                    .map_err(|e| Error::InvalidPayload {
                        reason: e.to_string(),
                    })?;
                let text = announce.text;
                let broadcast = ctx.envelope(&to, &Announcement { text })?;
                ctx.port().send(SmokeSession::INFO, broadcast);
                to_raw(&serde_json::json!({ "status": "sent" }))
            }
            other => Err(Error::UnknownType {
                message_type: other.to_owned(),
            }),
        }
    }
}

impl Handles<Ping> for SmokeCoordinator {}

/// The stand-in worker (`worker:<id>`, class `WorkerActor`).
pub struct SmokeWorker {
    state: SmokeState,
}

impl Actor for SmokeWorker {
    const INFO: &'static ActorInfo = &ActorInfo {
        kind: "worker",
        class: "WorkerActor",
        binding: "WORKER_ACTOR",
        routes: &[
            route("ping", false),
            route("work", true),
            route("remind", false),
            route("fired", true),
            route("bump", false),
            route("get", false),
            route("call_back", false),
        ],
        branches: &[],
        gateway: None,
    };

    async fn load(_id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error> {
        let (state, saved) = load_state(storage).await?;
        Ok((SmokeWorker { state }, saved))
    }

    async fn save(&mut self, storage: &dyn Storage, saved: &mut Saved) -> Result<(), Error> {
        save_state(&self.state, storage, saved).await
    }

    async fn dispatch(
        &mut self,
        ctx: &mut Ctx,
        envelope: &Envelope,
    ) -> Result<Box<RawValue>, Error> {
        match envelope.message_type.as_str() {
            "ping" => pong(ctx),
            "work" => {
                let work: Work = envelope.decode_payload()?;
                sleep(work.ms).await;
                self.state.done += 1;
                self.state.done_at = ctx.now();
                to_raw(&serde_json::json!({ "done": self.state.done }))
            }
            "remind" => {
                let remind: Remind = envelope.decode_payload()?;
                let fired = Fired { tag: remind.tag };
                let timer = ctx.send_after(remind.delay_ms, &fired).await?;
                to_raw(&serde_json::json!({ "timer": timer }))
            }
            "fired" => {
                let fired: Fired = envelope.decode_payload()?;
                self.state.fired.push(fired.tag);
                to_raw(&self.state.fired)
            }
            "bump" => {
                self.state.bumps += 1;
                to_raw(&serde_json::json!({ "bumps": self.state.bumps }))
            }
            "get" => to_raw(&self.state),
            "call_back" => {
                let back: CallBack = envelope.decode_payload()?;
                let answer = ctx
                    .actor::<SmokeCoordinator>(&back.coordinator_id)
                    .ask(&Ping {})
                    .await?;
                to_raw(&answer)
            }
            other => Err(Error::UnknownType {
                message_type: other.to_owned(),
            }),
        }
    }
}

impl Handles<Work> for SmokeWorker {}
impl Handles<CallBack> for SmokeWorker {}

/// The stand-in session gateway (`session:<id>`, class `SessionActor`).
pub struct SmokeSession;

const GATEWAY: &GatewayInfo = &GatewayInfo {
    forwards: &[
        Forward {
            kind: "coordinator",
            target: SmokeCoordinator::INFO,
        },
        Forward {
            kind: "worker",
            target: SmokeWorker::INFO,
        },
    ],
    replies: &[ReplyRoute {
        message_type: "kick",
        to: "client:coordinator-proxy",
    }],
    default_reply_to: "client:ui",
};

impl Actor for SmokeSession {
    const INFO: &'static ActorInfo = &ActorInfo {
        kind: "session",
        class: "SessionActor",
        binding: "SESSION_ACTOR",
        routes: &[],
        branches: &[],
        gateway: Some(GATEWAY),
    };

    async fn load(_id: &str, _storage: &dyn Storage) -> Result<(Self, Saved), Error> {
        Ok((SmokeSession, Saved::new(0)))
    }

    async fn save(&mut self, _storage: &dyn Storage, _saved: &mut Saved) -> Result<(), Error> {
        Ok(())
    }

    async fn dispatch(
        &mut self,
        _ctx: &mut Ctx,
        envelope: &Envelope,
    ) -> Result<Box<RawValue>, Error> {
        Err(Error::UnknownType {
            message_type: envelope.message_type.clone(),
        })
    }
}

#[cfg(target_arch = "wasm32")]
duract::__durable_object!(SessionActor, SmokeSession);
#[cfg(target_arch = "wasm32")]
duract::__durable_object!(CoordinatorActor, SmokeCoordinator);
#[cfg(target_arch = "wasm32")]
duract::__durable_object!(WorkerActor, SmokeWorker);
