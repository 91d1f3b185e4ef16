//! Calls between actors over Durable Object RPC: `stub.duractCall(envelope)` on the target's
//! Durable Object, the request envelope's JSON in, the reply's out; or for a send, which waits
//! for no reply, `stub.duractPost(envelope)`, which answers nothing, or the error's description.
//!
//! Finding a target costs JS work (the namespace, `getByName`, the RPC method), so an
//! instance keeps what it found for the targets it calls ([`Stubs`]).

use super::storage::describe;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::info::ActorInfo;
use crate::principal::scoped_name;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::Env;

/// The RPC method every duract Durable Object class has (`__durable_object!`): a request in,
/// its reply out.
pub const RPC_METHOD: &str = "duractCall";

/// The RPC method for a send: a request in, nothing out, or the error's description when the
/// target answered one (`Object::post`).
pub const POST_METHOD: &str = "duractPost";

/// Which RPC method a call takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// [`RPC_METHOD`]: an ask, or a gateway's forward.
    Call,
    /// [`POST_METHOD`]: a send.
    Post,
}

/// How many targets an instance remembers; past it, it starts over.
const REMEMBERED: usize = 1024;

/// A target's stub and its RPC methods.
#[derive(Clone)]
struct Target {
    stub: JsValue,
    call: js_sys::Function,
    post: js_sys::Function,
}

/// One call ready to make: `Reflect.apply(method, stub, [request])`.
pub(crate) struct Call {
    pub(crate) stub: JsValue,
    pub(crate) method: js_sys::Function,
    /// The request envelope's JSON text.
    pub(crate) request: JsValue,
}

/// The error of a call to `to` that did not get through.
fn unreachable(to: &Address, reason: String) -> Error {
    Error::ActorError {
        reason: format!("{to} is unreachable ({reason})"),
    }
}

/// The error of a call to `to` that threw `reason`.
pub(crate) fn call_failed(to: &Address, reason: &JsValue) -> Error {
    unreachable(to, describe(reason))
}

/// The reply envelope of a call to `to` from what its promise settled with.
fn read_reply(to: &Address, settled: Result<JsValue, JsValue>) -> Result<Envelope, Error> {
    let reply = settled.map_err(|e| call_failed(to, &e))?;
    let text = reply
        .as_string()
        .ok_or_else(|| unreachable(to, "the reply is not a string".into()))?;
    Envelope::decode_trusted(&text).map_err(|e| Error::ActorError {
        reason: format!("{to} sent a reply that does not decode: {}", e.error),
    })
}

/// The targets an instance called, by binding, then instance name.
pub(crate) struct Stubs {
    env: Env,
    known: RefCell<HashMap<&'static str, HashMap<String, Target>>>,
}

impl Stubs {
    /// No target known yet.
    pub(crate) fn new(env: Env) -> Stubs {
        Stubs {
            env,
            known: RefCell::new(HashMap::new()),
        }
    }

    /// Delivers `envelope` to its target's Durable Object (found by `target.binding` and the
    /// envelope's tenant) and returns the reply envelope. Only code holding the namespace
    /// binding can make this call: clients never can.
    pub(crate) async fn call(
        &self,
        target: &'static ActorInfo,
        envelope: Envelope,
    ) -> Result<Envelope, Error> {
        let call = self.prepare(target, &envelope, None, Method::Call)?;
        let to = envelope.to;
        // `Reflect.apply`, not `method.call(..)`: on an RPC stub, `call` is one more remote name.
        let args = js_sys::Array::of1(&call.request);
        let promise = js_sys::Reflect::apply(&call.method, &call.stub, &args)
            .map_err(|e| unreachable(&to, describe(&e)))?;
        let reply = JsFuture::from(js_sys::Promise::from(promise)).await;
        read_reply(&to, reply)
    }

    /// What calling `envelope`'s target with `method` takes: its stub, the RPC method, the
    /// envelope's text (`text` when the caller has it as a JS string already, else encoded now).
    pub(crate) fn prepare(
        &self,
        target: &'static ActorInfo,
        envelope: &Envelope,
        text: Option<JsValue>,
        method: Method,
    ) -> Result<Call, Error> {
        let to = &envelope.to;
        if to.kind() != target.kind {
            let reason = format!("not an actor of kind {}", target.kind);
            return Err(unreachable(to, reason));
        }
        // The tenant's instance (a gateway's: the principal's session).
        let scope = envelope
            .principal
            .as_deref()
            .map(|p| p.scope(target.gateway.is_some()));
        let name = scoped_name(scope, to.id());
        let found = self
            .target(target.binding, &name)
            .map_err(|e| unreachable(to, e))?;
        Ok(Call {
            stub: found.stub,
            method: match method {
                Method::Call => found.call,
                Method::Post => found.post,
            },
            request: text.unwrap_or_else(|| JsValue::from_str(&envelope.encode())),
        })
    }

    /// The stub and RPC methods of the instance `name` behind `binding`.
    fn target(&self, binding: &'static str, name: &str) -> Result<Target, String> {
        if let Some(known) = self.known.borrow().get(binding).and_then(|n| n.get(name)) {
            return Ok(known.clone());
        }
        let namespace = self
            .env
            .durable_object(binding)
            .map_err(|e| format!("binding: {e}"))?;
        let stub: JsValue = namespace
            .get_by_name(name)
            .map_err(|e| format!("stub: {e}"))?
            .into_rpc();
        let found = Target {
            call: rpc_method(&stub, RPC_METHOD)?,
            post: rpc_method(&stub, POST_METHOD)?,
            stub,
        };
        let mut known = self.known.borrow_mut();
        let names = known.entry(binding).or_default();
        if names.len() >= REMEMBERED {
            names.clear();
        }
        names.insert(name.to_owned(), found.clone());
        Ok(found)
    }
}

/// The RPC method `name` of `stub`.
fn rpc_method(stub: &JsValue, name: &str) -> Result<js_sys::Function, String> {
    js_sys::Reflect::get(stub, &JsValue::from_str(name))
        .map_err(|e| describe(&e))?
        .dyn_into::<js_sys::Function>()
        .map_err(|e| describe(&e))
}
