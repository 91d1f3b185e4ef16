//! The example system of duract: a session gateway (`SessionActor`), a coordinator
//! (`CoordinatorActor`) and workers (`WorkerActor`), each a Durable Object class, meeting the
//! protocol of `docs/protocol.md` (the team's contract).
//!
//! The worker's entry point routes `GET /ws` to the session gateway; see
//! `duract::durable::gateway_entry`. Configuration: the variables `WORK_MS`,
//! `MAX_FRAME_BYTES` and `TASK_LEASE_MS` (wrangler.toml `[vars]`, or `Host::var` natively).

pub mod coordinator;
pub mod session;
pub mod worker;

pub use {coordinator::Coordinator, session::Session, worker::Worker};

/// The gateway actor the worker entry routes `/ws` to.
pub type Gateway = Session;

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        duract::durable::gateway_entry::<crate::Gateway>(req, &env).await
    }
}
