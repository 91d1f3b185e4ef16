//! The worker's entry point: `GET /ws` to the gateway's Durable Object (checklist builds: hits).

use super::port::{CALL_HEADER, INSTANCE_HEADER};
use super::session_name::{random_name, session_name};
use crate::actor::Actor;
use worker::{Env, Headers, Request, RequestInit, Response};

/// The path clients open their WebSocket on.
pub const WS_PATH: &str = "/ws";

/// Routes a request of the worker's `fetch` event: `/ws` (any method) to the instance of the
/// gateway actor `G` the query names, anything else 404 (checklist builds: `HITS_PATH` too).
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
    #[cfg(feature = "checklist")]
    if url.path() == HITS_PATH && req.method() == worker::Method::Get {
        return hits_response();
    }
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

/// The path of the hits endpoint, in builds with the crate feature `checklist` only: `GET`
/// answers the hits recorded in this isolate since the last `GET` as a hit file
/// (`application/json`) and forgets them (see the module docs of `durable`). Without the
/// feature the path is a 404 like any other.
// (Kept below `gateway_entry`: moving that function's line changes the panic location its
// state machine embeds, and the production wasm must stay byte-identical.)
#[cfg(feature = "checklist")]
pub const HITS_PATH: &str = "/__duract/hits";

/// The isolate's hits as a hit file, then forgotten ([`crate::checklist::take_json`]). Every
/// Durable Object of the worker runs in the entry's isolate (workerd and Miniflare), so this is
/// every instance's hits since the last collection.
#[cfg(feature = "checklist")]
fn hits_response() -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(Response::ok(crate::checklist::take_json())?.with_headers(headers))
}
