//! The worker's entry point: `GET /ws` to the gateway's Durable Object (checklist builds: hits).

use super::port::INSTANCE_HEADER;
use super::random::random_bytes;
use crate::actor::Gateway;
use crate::limit::MAX_SESSION_NAME_BYTES;
use crate::principal::{scoped_name, Principal};
use crate::upgrade::{bearer_token, random_name, session_name, verify_hs256, Refusal, Ticket};
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Request, RequestInit, Response};

/// A request's URL as the platform parses it (the WHATWG URL of workerd's `URL`): its text, its
/// path and its query's pairs, decoded. Read through JavaScript rather than the `url` crate,
/// which with the Unicode tables of its `idna` added ~195 KB to the wasm module.
struct RequestUrl {
    text: String,
    path: String,
    query: Vec<(String, String)>,
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function duractRequestUrl(text) {
  const url = new URL(text);
  const query = [];
  for (const [key, value] of url.searchParams) query.push(key, value);
  return [url.pathname, query];
}
"#)]
extern "C" {
    /// `[pathname, [key, value, key, value, ...]]` of `new URL(text)`; throws on a bad URL.
    #[wasm_bindgen(js_name = duractRequestUrl, catch)]
    fn duract_request_url(text: &str) -> Result<js_sys::Array, JsValue>;
}

impl RequestUrl {
    fn of(req: &Request) -> worker::Result<RequestUrl> {
        let text = req.inner().url();
        let parts = duract_request_url(&text)
            .map_err(|e| worker::Error::RustError(format!("bad request URL: {e:?}")))?;
        let path = parts.get(0).as_string().unwrap_or_default();
        let flat = js_sys::Array::from(&parts.get(1));
        let mut texts = flat.iter().map(|v| v.as_string().unwrap_or_default());
        let mut query = Vec::new();
        while let (Some(key), Some(value)) = (texts.next(), texts.next()) {
            query.push((key, value));
        }
        Ok(RequestUrl { text, path, query })
    }

    /// The value of the first `key` in the query.
    fn param(&self, key: &str) -> Option<&str> {
        let (_, value) = self.query.iter().find(|(k, _)| k == key)?;
        Some(value)
    }
}

/// The path clients open their WebSocket on.
pub const WS_PATH: &str = "/ws";

/// The variable holding the HS256 secret of [`JwtAuth`]; authentication is off while unset.
pub const AUTH_SECRET_VAR: &str = "AUTH_SECRET";

/// Decides who a client is at the upgrade, before any socket exists: a hook of
/// [`gateway_entry_with`]. `Ok(None)` lets the client in without a principal (authentication
/// off); `Err` answers HTTP 401 `Unauthorized`. Implement it for cookies, Cloudflare Access or
/// mTLS headers; [`JwtAuth`] is the default.
pub trait Authenticate {
    /// The principal of `req`.
    fn authenticate(&self, req: &Request, env: &Env) -> Result<Option<Principal>, Refusal>;
}

/// HS256 JWTs signed with the variable or secret `AUTH_SECRET`, in the query parameter
/// `token` or the header `Authorization: Bearer`; off when `AUTH_SECRET` is unset. The
/// principal is `sub`, the tenant `tenant` (or `sub`); see [`verify_hs256`].
pub struct JwtAuth;

impl Authenticate for JwtAuth {
    fn authenticate(&self, req: &Request, env: &Env) -> Result<Option<Principal>, Refusal> {
        let secret = env_var(env, AUTH_SECRET_VAR).filter(|s| !s.is_empty());
        let Some(secret) = secret else {
            return Ok(None);
        };
        let url = RequestUrl::of(req).map_err(|_| Refusal::Unauthorized)?;
        let header = req.headers().get("Authorization").ok().flatten();
        let token = bearer_token(url.param("token"), header.as_deref());
        verify_hs256(token, secret.as_bytes(), js_sys::Date::now()).map(Some)
    }
}

/// Routes a request of the worker's `fetch` event: `/ws` (any method) to the instance of the
/// gateway actor `G` the query names, anything else 404 (checklist builds: `HITS_PATH` too),
/// with [`JwtAuth`] deciding who the client is.
///
/// The instance name: `userId=<u>` gives `user:<u>` and wins over `session=<name>`; an empty
/// value counts as absent; the first occurrence of a parameter counts; with neither, a random
/// name (from the platform's cryptographic source). In order: no valid token while
/// authentication is on gets 401 `Unauthorized`; a name over `MAX_SESSION_NAME_BYTES` bytes
/// or with a control character gets 400 `Invalid session name`; a request that is not a
/// WebSocket upgrade (`GET` with `Upgrade: websocket`) gets 400 `Expected WebSocket`. With a
/// principal, the session is the principal's own: two principals asking for the same name
/// reach different instances.
///
/// ```ignore
/// #[event(fetch)]
/// async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
///     duract::durable::gateway_entry::<Session>(req, &env).await
/// }
/// ```
pub async fn gateway_entry<G: Gateway>(req: Request, env: &Env) -> worker::Result<Response> {
    gateway_entry_with::<G>(req, env, &JwtAuth).await
}

/// [`gateway_entry`] with your own [`Authenticate`] hook.
pub async fn gateway_entry_with<G: Gateway>(
    req: Request,
    env: &Env,
    auth: &dyn Authenticate,
) -> worker::Result<Response> {
    let url = RequestUrl::of(&req)?;
    #[cfg(feature = "checklist")]
    if url.path == HITS_PATH && req.method() == worker::Method::Get {
        return hits_response();
    }
    if url.path != WS_PATH {
        return Response::error("Not found", 404);
    }
    if G::INFO.gateway.is_none() {
        return Response::error(format!("{} is not a gateway", G::INFO.kind), 500);
    }
    let principal = match auth.authenticate(&req, env) {
        Ok(principal) => principal,
        Err(refusal) => return refuse(refusal),
    };
    let limit = MAX_SESSION_NAME_BYTES.parse(env_var(env, MAX_SESSION_NAME_BYTES.var).as_deref());
    let name = match session_name(url.query.iter().map(|(k, v)| (k, v)), limit) {
        Ok(Some(name)) => name,
        Ok(None) => random_name(random_bytes()),
        Err(refusal) => return refuse(refusal),
    };
    let instance = scoped_name(principal.as_ref().map(|p| p.scope(true)), &name).into_owned();
    let ticket = Ticket {
        session: name,
        auth: principal,
    };
    let headers = Headers::new();
    // Only a GET can be an upgrade: workerd throws on anything else that asks for one, so
    // the session gets it without `Upgrade` and answers 400 `Expected WebSocket`.
    let get = req.method() == worker::Method::Get;
    for (key, value) in req.headers().entries() {
        // Only the host may name the instance.
        let host_only = key.eq_ignore_ascii_case(INSTANCE_HEADER);
        if !host_only && (get || !is_upgrade_header(&key)) {
            headers.append(&key, &value)?;
        }
    }
    headers.set(INSTANCE_HEADER, &ticket.encode())?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    let forwarded = Request::new_with_init(&url.text, &init)?;
    let stub = env
        .durable_object(G::INFO.binding)?
        .get_by_name(&instance)?;
    stub.fetch_with_request(forwarded).await
}

/// A header that asks for a WebSocket upgrade.
fn is_upgrade_header(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "upgrade" || key == "connection" || key.starts_with("sec-websocket-")
}

fn refuse(refusal: Refusal) -> worker::Result<Response> {
    Response::error(refusal.body(), refusal.status())
}

fn env_var(env: &Env, name: &str) -> Option<String> {
    js_sys::Reflect::get(env, &JsValue::from_str(name))
        .ok()?
        .as_string()
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
