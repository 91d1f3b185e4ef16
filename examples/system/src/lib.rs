//! The example system of duract: a session gateway (`SessionActor`), a coordinator
//! (`CoordinatorActor`) and workers (`WorkerActor`), each a Durable Object class, meeting the
//! protocol of `docs/protocol.md` (the team's contract).
//!
//! The worker's entry point serves the live dashboard at `GET /dashboard` ([`dashboard`]) and
//! routes everything else to `duract::durable::gateway_entry` (`GET /ws` to the session
//! gateway, any other path 404). Configuration: the variables `WORK_MS`, `MAX_FRAME_BYTES`,
//! `TASK_LEASE_MS`, the limits, `DASHBOARD` (wrangler.toml `[vars]`, or `Host::var` natively).

pub mod coordinator;
pub mod dashboard;
pub mod session;
pub mod worker;

pub use {coordinator::Coordinator, session::Session, worker::Worker};

/// The gateway actor the worker entry routes `/ws` to.
pub type Gateway = Session;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::dashboard;
    use worker::{event, Context, Env, Headers, Method, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        if req.method() == Method::Get {
            if let Some(asset) = dashboard::asset(&req.path()) {
                let switch = env.var(dashboard::SWITCH_VAR).ok().map(|v| v.to_string());
                if dashboard::enabled(switch.as_deref()) {
                    return serve(asset);
                }
            }
        }
        duract::durable::gateway_entry::<crate::Gateway>(req, &env).await
    }

    fn serve(asset: dashboard::Asset) -> worker::Result<Response> {
        let headers = Headers::new();
        for (name, value) in dashboard::headers(&asset) {
            headers.set(name, value)?;
        }
        Ok(Response::ok(asset.body)?.with_headers(headers))
    }
}
