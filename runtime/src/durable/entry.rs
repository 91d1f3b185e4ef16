//! The worker's entry point for a gateway: `GET /ws` to the gateway's Durable Object.

use super::port::{CALL_HEADER, INSTANCE_HEADER};
use super::session_name::{random_name, session_name};
use crate::actor::Actor;
use worker::{Env, Headers, Request, RequestInit, Response};

/// The path clients open their WebSocket on.
pub const WS_PATH: &str = "/ws";

/// Routes a request of the worker's `fetch` event: `/ws` (any method) to the instance of the
/// gateway actor `G` the query names, anything else 404.
///
/// The instance name: `userId=<u>` gives `user:<u>` and wins over `session=<name>`; an empty
/// value counts as absent; the first occurrence of a parameter counts; with neither, a random
/// name. A request that is not a WebSocket upgrade gets 400 `Expected WebSocket`.
///
/// ```ignore
/// #[event(fetch)]
/// async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
///     duract::durable::gateway_entry::<Session>(req, &env).await
/// }
/// ```
pub async fn gateway_entry<G: Actor>(req: Request, env: &Env) -> worker::Result<Response> {
    let url = req.url()?;
    if url.path() != WS_PATH {
        return Response::error("Not found", 404);
    }
    if G::INFO.gateway.is_none() {
        return Response::error(format!("{} is not a gateway", G::INFO.kind), 500);
    }
    let name = session_name(url.query_pairs()).unwrap_or_else(|| {
        random_name(|| (js_sys::Math::random() * 18_446_744_073_709_551_616.0) as u64)
    });
    let headers = Headers::new();
    for (key, value) in req.headers().entries() {
        // Only the host may mark a request as an actor's call (a gateway broadcasts those).
        if !key.eq_ignore_ascii_case(CALL_HEADER) {
            headers.append(&key, &value)?;
        }
    }
    headers.set(INSTANCE_HEADER, &name)?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    let forwarded = Request::new_with_init(url.as_str(), &init)?;
    let stub = env.durable_object(G::INFO.binding)?.get_by_name(&name)?;
    stub.fetch_with_request(forwarded).await
}
