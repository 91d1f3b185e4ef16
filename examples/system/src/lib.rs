//! The example system of duract: a session gateway (`SessionActor`), a coordinator
//! (`CoordinatorActor`) and workers (`WorkerActor`), each a Durable Object class, meeting the
//! protocol of `docs/protocol.md` (the team's contract).
//!
//! The worker's entry point routes `GET /ws` to the session gateway; see
//! `duract::durable::gateway_entry`. Configuration: the variables `WORK_MS`,
//! `MAX_FRAME_BYTES` and `TASK_LEASE_MS` (wrangler.toml `[vars]`, or `Host::var` natively).

// TRANSITION: the real actors build natively while the smoke actors still own the class names
// in the wasm build; the switch happens when the end-to-end suite moves to the real actors.
#[cfg(not(target_arch = "wasm32"))]
pub mod coordinator;
#[cfg(not(target_arch = "wasm32"))]
pub mod session;
#[cfg(not(target_arch = "wasm32"))]
pub mod worker;

#[cfg(not(target_arch = "wasm32"))]
pub use {coordinator::Coordinator, session::Session, worker::Worker};

// Stand-in actors that exercise the Durable Object host end to end until the example's
// actors (session.rs, coordinator.rs, worker.rs) exist. Remove this line and the file then.
pub mod smoke;

/// The gateway actor the worker entry routes `/ws` to.
pub type Gateway = smoke::SmokeSession;

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        duract::durable::gateway_entry::<crate::Gateway>(req, &env).await
    }
}
