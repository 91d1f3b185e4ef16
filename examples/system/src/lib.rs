//! The example system of duract: a session gateway (`SessionActor`), a coordinator
//! (`CoordinatorActor`) and workers (`WorkerActor`), each a Durable Object class.
//!
//! The worker's entry point routes `GET /ws` to the session gateway; see
//! `duract::durable::gateway_entry`.

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
