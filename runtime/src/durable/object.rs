//! [`Object`]: what each generated Durable Object class wraps.

use super::port::{DurablePort, INSTANCE_HEADER};
use crate::actor::Target;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::gateway::{self, ClientReply, Frame, GatewayInfo, Socket};
use crate::port::Port;
use crate::principal::Principal;
use crate::storage::{ListOptions, Storage};
use crate::turn::Turns;
use crate::upgrade::Ticket;
use serde_json::value::RawValue;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsValue;
use worker::{Env, Request, Response, State, WebSocket, WebSocketIncomingMessage, WebSocketPair};

/// The variable that, set to anything but `0`, logs each activation of an object
/// (`duract: activate <class> <name>`), to see evictions and hibernation.
pub const TRACE_VAR: &str = "DURACT_TRACE";

/// Where a gateway socket keeps the session it belongs to and its principal (its
/// hibernation attachment), read once per activation.
#[derive(serde::Serialize, serde::Deserialize)]
struct Attachment {
    #[serde(rename = "sessionId")]
    session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth: Option<Principal>,
}

/// One Durable Object running the actor `A`: the body of the class
/// `duract::__durable_object!` generates.
///
/// - actor-to-actor calls over Durable Object RPC: the request envelope in, the reply
///   envelope out ([`Object::rpc`]; a gateway's forward gets the client's frame instead), or
///   for a send nothing ([`Object::post`]); each in its turn
///   ([`Instance`](crate::instance::Instance): load before the first turn, one turn at a time,
///   one write after each);
/// - `alarm`: the due durable timers, each in its turn, then the alarm is re-armed;
/// - gateways (`A::INFO.gateway` set): the WebSocket upgrade with the hibernation API (the
///   session id in the socket's attachment, `SessionEstablished` as first frame), then each
///   frame through [`Object::frame`] (or [`gateway::handle_frame`] without `duract build`'s
///   glue); an actor's envelope to the gateway
///   (`session:<id>`, e.g. through `Port::send`) is broadcast to every socket of the session
///   ([`Object::broadcast`]); anything else gets 400 `Expected WebSocket`.
pub struct Object<A: Target> {
    state: State,
    port: Rc<DurablePort>,
    /// The actor's turns (none for a gateway).
    instance: Option<Rc<dyn Turns>>,
    target: std::marker::PhantomData<A>,
    /// A gateway's requests awaiting replies, per socket (`Map<WebSocket, number>`).
    inflight: js_sys::Map,
}

impl<A: Target> Object<A> {
    /// The object for a Durable Object's `state` and `env` (the class constructor).
    pub fn new(state: State, env: Env) -> Object<A> {
        let raw = wasm_bindgen::JsCast::unchecked_into(
            AsRef::<wasm_bindgen::JsValue>::as_ref(state.as_raw()).clone(),
        );
        // The name is known here when the caller used `getByName`/`idFromName` (workerd
        // propagates it): each event's envelope must then name this very instance.
        let name = state.id().name();
        let gateway = A::INFO.gateway.is_some();
        let port = Rc::new(DurablePort::new(
            raw,
            env,
            A::INFO.kind,
            gateway,
            name.clone(),
        ));
        if port
            .var(TRACE_VAR)
            .is_some_and(|v| !v.is_empty() && v != "0")
        {
            let name = name.as_deref().unwrap_or("(unnamed)");
            worker::console_log!("duract: activate {} {name}", A::INFO.class);
        }
        #[cfg(feature = "checklist")]
        crate::checklist::register(A::INFO); // a gateway's hits too: it has no instance
        let instance = A::__turns(port.clone());
        if let Some(turns) = &instance {
            port.attach(turns);
        }
        Object {
            state,
            port,
            instance,
            target: std::marker::PhantomData,
            inflight: js_sys::Map::new(),
        }
    }

    /// The instance's port.
    pub fn port(&self) -> &Rc<DurablePort> {
        &self.port
    }

    /// The `fetch` event: a gateway's WebSocket upgrade (actors are called over RPC).
    pub async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match A::INFO.gateway {
            Some(info) => self.upgrade(info, &req),
            None => Response::error("duract actors are called over RPC", 404),
        }
    }

    /// An actor-to-actor call over Durable Object RPC (`duractCall`): the request envelope's
    /// JSON in, the reply envelope's JSON out. To a gateway (`session:<id>`), the envelope is
    /// broadcast to the session's sockets. A rejected promise only when the request is no
    /// envelope at all.
    ///
    /// A gateway forwarding a client's request also passes its [`ClientReply`] (encoded): the
    /// answer is then the client's frame itself ([`ClientReply::frame`]), which the gateway
    /// sends as it is, so the reply is encoded once and decoded nowhere on the way.
    ///
    /// The reply comes back as a string when the turn finishes without waiting (a read of a
    /// loaded instance), else as a promise: no task is spawned for a turn that need not wait.
    pub fn rpc(&self, request: String, client: Option<String>) -> JsValue {
        match client.map(|text| ClientReply::decode(&text)) {
            None => self.serve(&request, Answer::Envelope),
            Some(Some(client)) => self.serve(&request, Answer::Client(client)),
            Some(None) => rejected("Bad request: an unreadable client reply route"),
        }
    }

    /// A send over Durable Object RPC (`duractPost`): [`Object::rpc`] for a caller that waits
    /// for no reply. Answers `undefined`, or the error's description (`<message> (<code>)`)
    /// for the sender to log; no reply envelope is made.
    pub fn post(&self, request: String) -> JsValue {
        self.serve(&request, Answer::Outcome)
    }

    /// Runs the request `request` and answers it as `answer` says.
    fn serve(&self, request: &str, answer: Answer) -> JsValue {
        let mut envelope = match Envelope::decode_trusted(request) {
            Ok(envelope) => envelope,
            Err(e) => return rejected(&format!("Bad envelope: {}", e.error)),
        };
        let port = self.port.clone();
        let result = match (&self.instance, self.check_target(&envelope)) {
            (_, Err(error)) => Err(error),
            (None, Ok(())) => self.broadcast_envelope(&mut envelope),
            (Some(turns), Ok(())) => {
                let turns = turns.clone();
                return now_or_later(async move {
                    let result = turns.run(&envelope).await;
                    Ok(answer.of(&port, envelope, result))
                });
            }
        };
        answer.of(&port, envelope, result)
    }

    /// Sends `frame` to every socket of this gateway instance (every connection of the
    /// session); returns how many sockets it was sent to. O(connections).
    pub fn broadcast(&self, frame: &str) -> usize {
        self.state
            .get_websockets()
            .iter()
            .filter(|ws| ws.send_with_str(frame).is_ok())
            .count()
    }

    /// An actor's envelope to a gateway (`session:<id>`): broadcast to every socket of the
    /// session as is; the reply's payload is `{"delivered": <sockets>}`.
    fn broadcast_envelope(&self, envelope: &mut Envelope) -> Result<Box<RawValue>, Error> {
        envelope.principal = None; // clients never see principals
        let delivered = self.broadcast(&envelope.encode_for_client());
        crate::envelope::to_raw(&gateway::Delivered { delivered })
    }

    fn check_target(&self, envelope: &Envelope) -> Result<(), Error> {
        if envelope.to.kind() != A::INFO.kind {
            return Err(Error::UnknownActor {
                kind: envelope.to.kind().to_owned(),
            });
        }
        self.port
            .identify(envelope.to.id(), envelope.principal.as_ref())
    }

    /// A gateway's WebSocket upgrade.
    fn upgrade(&self, info: &'static GatewayInfo, req: &Request) -> worker::Result<Response> {
        if !is_upgrade(req) {
            return Response::error("Expected WebSocket", 400);
        }
        let ticket = req.headers().get(INSTANCE_HEADER)?;
        let Some(ticket) = ticket.as_deref().and_then(Ticket::decode) else {
            return Response::error("Missing session name", 400);
        };
        let principal = ticket.auth.map(Arc::new);
        if let Err(e) = self.port.identify(&ticket.session, principal.as_ref()) {
            return Response::error(e.to_string(), 400);
        }
        let attachment = Attachment {
            session_id: ticket.session,
            auth: principal.as_deref().cloned(),
        };
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(attachment)?;
        pair.server
            .send_with_str(gateway::established(info, &*self.port))?;
        Response::from_websocket(pair.client)
    }

    /// Learns the instance name from a (possibly hibernated and revived) socket.
    fn identify_socket(&self, ws: &WebSocket) {
        if self.port.is_identified() {
            return;
        }
        match ws.deserialize_attachment::<Attachment>() {
            Ok(Some(a)) => {
                let principal = a.auth.map(Arc::new);
                let _ = self.port.identify(&a.session_id, principal.as_ref());
            }
            Ok(None) => worker::console_warn!("duract: a socket without its session attachment"),
            Err(e) => worker::console_warn!("duract: unreadable socket attachment: {e}"),
        }
    }

    /// The `webSocketMessage` event: one frame in, one reply frame out on the same socket.
    pub async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        let Some(info) = A::INFO.gateway else {
            return Ok(());
        };
        self.identify_socket(&ws);
        let socket = DurableSocket {
            port: &self.port,
            inflight: &self.inflight,
            ws: AsRef::<worker::web_sys::WebSocket>::as_ref(&ws).as_ref(),
        };
        let frame = match &message {
            WebSocketIncomingMessage::String(text) => Frame::Text(text),
            WebSocketIncomingMessage::Binary(bytes) => Frame::Binary(bytes),
        };
        let reply = gateway::handle_frame(info, &*self.port, &socket, frame).await;
        if let Err(e) = ws.send_with_str(reply) {
            // The client went away meanwhile: nothing to answer.
            worker::console_warn!("duract: reply not sent: {e}");
        }
        Ok(())
    }

    /// A gateway's `webSocketMessage` event through the glue `duract build` appends (which
    /// makes the RPC call and awaits it in JavaScript, so no Rust future or wasm closure runs
    /// per frame), `inflight` being the socket's requests awaiting their replies (the glue
    /// counts them). Answers the reply frame to send at once (a string), or what to forward:
    /// `[method, stub, request, client]`, the glue then counting one more request on the
    /// socket until `Reflect.apply(method, stub, [request, client])` settles. The target
    /// answers with the client's frame ([`ClientReply`], `client` encoded), which the glue
    /// sends as it is; if the call throws, the glue asks [`Object::failed`] for the frame.
    /// `undefined` for an actor that is no gateway.
    ///
    /// The forward has no timer of its own (a timer per request cost more than the rest of the
    /// gateway's JavaScript in the write profile, e2e/bench/README.md): it always settles,
    /// since no actor can wait on a gateway (a gateway has no turns; an envelope to it is
    /// answered at once) and every ask inside the target's turn has its own timeout.
    pub fn frame(&self, ws: JsValue, message: JsValue, inflight: u32) -> JsValue {
        let Some(info) = A::INFO.gateway else {
            return JsValue::UNDEFINED;
        };
        if !self.port.is_identified() {
            let socket: WebSocket =
                wasm_bindgen::JsCast::unchecked_ref::<worker::web_sys::WebSocket>(&ws)
                    .clone()
                    .into();
            self.identify_socket(&socket);
        }
        let socket = CountedSocket {
            port: &self.port,
            inflight: Cell::new(u64::from(inflight)),
        };
        let text = message.as_string();
        let frame = match &text {
            Some(text) => Frame::Text(text),
            None => Frame::Binary(&[]), // refused whatever it holds: no need to copy it
        };
        let admitted = match gateway::admit(info, &*self.port, &socket, frame) {
            Ok(admitted) => admitted,
            Err(reply) => return JsValue::from_str(&reply),
        };
        let request = admitted.request;
        // The client's own text when it stands for the request: no encoding, no copy.
        let text = admitted.verbatim.then_some(message);
        match self.port.prepare_call(admitted.target, &request, text) {
            Ok(call) => {
                let client = ClientReply::new(info, self.port.address(), &request.message_type);
                let client = JsValue::from_str(&client.encode());
                forward_step(&call.method, &call.stub, &call.request, &client)
            }
            Err(error) => {
                let (id, message_type) = (request.id, request.message_type);
                let reply = gateway::answer(info, &*self.port, id, &message_type, Err(error));
                JsValue::from_str(&reply)
            }
        }
    }

    /// The client's frame for a forward of [`Object::frame`] whose call threw `reason`
    /// (the target unreachable): the error reply to the client's `message`. `undefined` for
    /// an actor that is no gateway.
    pub fn failed(&self, message: JsValue, reason: JsValue) -> JsValue {
        let Some(info) = A::INFO.gateway else {
            return JsValue::UNDEFINED;
        };
        let text = message.as_string().unwrap_or_default();
        // The frame was admitted, so it decodes (as it did then).
        let Ok(request) = Envelope::decode(&text) else {
            return JsValue::UNDEFINED;
        };
        let error = super::rpc::call_failed(&request.to, &reason);
        let (id, message_type) = (request.id, request.message_type);
        JsValue::from_str(&gateway::answer(
            info,
            &*self.port,
            id,
            &message_type,
            Err(error),
        ))
    }

    /// The `webSocketClose` event: completes the closing handshake (1005 and 1006 cannot be
    /// sent back, so they are answered with 1000).
    pub async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        let code = match u16::try_from(code) {
            Ok(1005 | 1006) | Err(_) => 1000,
            Ok(code) => code,
        };
        // Closing an already closed socket throws; that is fine.
        let _ = ws.close(Some(code), Some(reason));
        Ok(())
    }

    /// The `webSocketError` event.
    pub async fn websocket_error(
        &self,
        _ws: WebSocket,
        error: worker::Error,
    ) -> worker::Result<()> {
        worker::console_warn!("duract: socket error: {error}");
        Ok(())
    }

    /// The `alarm` event as `duract build`'s glue delivers it (`duractAlarm`): the due durable
    /// timers, each in its turn, then the alarm re-armed. Resolves to nothing (at once when no
    /// turn waits); rejects when a timer's turn failed, so that workerd retries the alarm.
    /// (No `Response`: making one cost more than the rest of a timer's delivery.)
    pub fn alarm_event(&self) -> JsValue {
        let (port, turns) = (self.port.clone(), self.instance.clone());
        now_or_later(async move {
            match deliver_alarm(&port, turns.as_deref()).await {
                Ok(()) => Ok(JsValue::UNDEFINED),
                Err(reason) => Err(js_sys::Error::new(&reason).into()),
            }
        })
    }

    /// The `alarm` event through `worker`'s glue (a build without `duract build`'s): as
    /// [`Object::alarm_event`].
    pub async fn alarm(&self) -> worker::Result<Response> {
        deliver_alarm(&self.port, self.instance.as_deref())
            .await
            .map_err(worker::Error::RustError)?;
        Response::ok("ok")
    }
}

/// How a request over RPC is answered.
enum Answer {
    /// With the reply envelope (an ask).
    Envelope,
    /// With the client's frame (a gateway's forward).
    Client(ClientReply),
    /// With nothing, or the error's description (a send).
    Outcome,
}

impl Answer {
    /// The answer to the request `envelope` whose turn ended with `result`.
    fn of(
        self,
        port: &DurablePort,
        envelope: Envelope,
        result: Result<Box<RawValue>, Error>,
    ) -> JsValue {
        let text = match (self, result) {
            (Answer::Client(client), result) => {
                client.frame(envelope.id, envelope.message_type, result, port)
            }
            (Answer::Envelope, result) => {
                let (id, now) = (port.fresh_id(), port.now() as f64);
                envelope.into_reply(result, id, now).encode()
            }
            (Answer::Outcome, Ok(_)) => return JsValue::UNDEFINED,
            (Answer::Outcome, Err(error)) => format!("{error} ({})", error.code()),
        };
        JsValue::from_str(&text)
    }
}

/// A promise rejected with `reason`.
fn rejected(reason: &str) -> JsValue {
    js_sys::Promise::reject(&JsValue::from_str(reason)).into()
}

/// Delivers the due durable timers of the instance on `port` (none for a gateway); the
/// reason of the first failed turn, if any.
async fn deliver_alarm(port: &DurablePort, turns: Option<&dyn Turns>) -> Result<(), String> {
    if !port.is_identified() {
        // The name was not propagated: every timer is an envelope to this instance.
        let storage = port.durable_storage();
        let first = storage
            .list(&ListOptions::prefix(crate::timer::PREFIX).limit(1))
            .await
            .map_err(|e| e.to_string())?;
        let to = first
            .first()
            .and_then(|(_, json)| Envelope::decode_trusted(json).ok());
        let Some(envelope) = to else {
            return Ok(()); // no timers
        };
        let _ = port.identify(envelope.to.id(), envelope.principal.as_ref());
    }
    let Some(turns) = turns else {
        return Ok(()); // a gateway has no timers
    };
    // Failing the alarm makes workerd retry it.
    turns.deliver_due_timers().await.map_err(|e| e.to_string())
}

/// A WebSocket upgrade: `GET` with `Upgrade: websocket` (any other method cannot be one).
fn is_upgrade(req: &Request) -> bool {
    req.method() == worker::Method::Get
        && matches!(req.headers().get("Upgrade"), Ok(Some(v)) if v.eq_ignore_ascii_case("websocket"))
}

/// A gateway's socket: the instance's principal, and its count in the object's map.
struct DurableSocket<'a> {
    port: &'a DurablePort,
    inflight: &'a js_sys::Map,
    ws: &'a JsValue,
}

impl Socket for DurableSocket<'_> {
    fn principal(&self) -> Option<Arc<Principal>> {
        self.port.principal()
    }

    fn inflight(&self) -> u64 {
        self.inflight.get(self.ws).as_f64().unwrap_or(0.0) as u64
    }

    fn set_inflight(&self, n: u64) {
        if n == 0 {
            self.inflight.delete(self.ws);
        } else {
            self.inflight.set(self.ws, &JsValue::from_f64(n as f64));
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function duractForwardStep(method, stub, request, client) {
  return [method, stub, request, client];
}
"#)]
extern "C" {
    /// `[method, stub, request, client]`, made in one call (not one per element).
    #[wasm_bindgen(js_name = duractForwardStep)]
    fn forward_step(
        method: &js_sys::Function,
        stub: &JsValue,
        request: &JsValue,
        client: &JsValue,
    ) -> JsValue;
}

/// A gateway's socket as the glue reports it: the instance's principal, and the count of its
/// requests awaiting replies that the glue keeps.
struct CountedSocket<'a> {
    port: &'a DurablePort,
    inflight: Cell<u64>,
}

impl Socket for CountedSocket<'_> {
    fn principal(&self) -> Option<Arc<Principal>> {
        self.port.principal()
    }

    fn inflight(&self) -> u64 {
        self.inflight.get()
    }

    fn set_inflight(&self, n: u64) {
        self.inflight.set(n);
    }
}

/// What `work` gives if it finishes on its first poll (a rejected promise for an error), else
/// a promise of it.
///
/// A future polled once with a waker that does nothing and then handed to the executor is
/// polled again there first thing, with the executor's waker: nothing is lost.
fn now_or_later(
    work: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> JsValue {
    let mut work = Box::pin(work);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match work.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Ok(value)) => value,
        std::task::Poll::Ready(Err(error)) => js_sys::Promise::reject(&error).into(),
        std::task::Poll::Pending => wasm_bindgen_futures::future_to_promise(work).into(),
    }
}
