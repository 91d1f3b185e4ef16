//! Gateways: actors that accept client connections (WebSockets) and forward each frame to the
//! actor its `to` names, by a routing table declared with `#[actor(gateway(...))]`.
//!
//! A frame passes these checks in order, and the first that fails answers with an `Error`
//! reply: `unsupported_frame` (binary), `too_large`, `invalid_format`, `invalid_address`,
//! `unknown_actor`, `forbidden`, `unknown_type`, then `overloaded` when the socket already
//! has [`MAX_INFLIGHT`] requests awaiting their replies; the target itself answers
//! `invalid_payload` and its handlers' errors. A `to` whose id is over [`MAX_ID_BYTES`] is an
//! `invalid_address`. The connection's [`Principal`], if any, goes with the forwarded
//! envelope; a client's frame can never set it. Replies are full envelopes from the gateway's own address, `to`
//! the client address declared for the request's type, with `replyTo` = the request's id.

pub use super::client_reply::ClientReply;
use super::client_reply::{client_address, client_frame};
use crate::envelope::{error_payload, null_payload, to_raw, Envelope, ERROR_TYPE};
use crate::error::Error;
use crate::info::ActorInfo;
pub use crate::info::{Forward, GatewayInfo, ReplyRoute};
use crate::limit::{MAX_FRAME_BYTES, MAX_ID_BYTES, MAX_INFLIGHT};
use crate::port::Port;
use crate::principal::Principal;
use serde_json::value::RawValue;
use std::cell::Cell;
use std::sync::Arc;
/// The type of the first frame a client receives.
pub const ESTABLISHED_TYPE: &str = "SessionEstablished";

/// One frame from a client.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame.
    Binary(&'a [u8]),
}

/// A client socket as its gateway sees it: who is on it, and its requests awaiting replies.
/// A host keeps one per socket (in memory: while a request awaits its reply, the gateway
/// cannot hibernate, so a count lost to hibernation was zero).
pub trait Socket {
    /// The authenticated principal of the connection, if authentication is on.
    fn principal(&self) -> Option<Arc<Principal>>;
    /// Requests awaiting their replies.
    fn inflight(&self) -> u64;
    /// Records the number of requests awaiting their replies.
    fn set_inflight(&self, n: u64);
}

/// A socket kept by the host in memory: what the native host and tests use.
#[derive(Debug, Default)]
pub struct LocalSocket {
    principal: Option<Arc<Principal>>,
    inflight: Cell<u64>,
}

impl LocalSocket {
    /// A socket of `principal` (`None`: authentication off).
    pub fn new(principal: Option<Arc<Principal>>) -> LocalSocket {
        LocalSocket {
            principal,
            inflight: Cell::new(0),
        }
    }
}

impl Socket for LocalSocket {
    fn principal(&self) -> Option<Arc<Principal>> {
        self.principal.clone()
    }
    fn inflight(&self) -> u64 {
        self.inflight.get()
    }
    fn set_inflight(&self, n: u64) {
        self.inflight.set(n);
    }
}

/// One request counted in flight on its socket until dropped (or [`release`]d by hand).
struct InFlight<'a>(&'a dyn Socket);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        release(self.0);
    }
}

/// Counts a request on `socket`, or `overloaded` when it has `limit` already.
fn enter(socket: &dyn Socket, limit: u64) -> Result<(), Error> {
    let n = socket.inflight();
    if n >= limit {
        return Err(Error::Overloaded { limit });
    }
    socket.set_inflight(n + 1);
    Ok(())
}

/// Ends the count of one request [`admit`] counted on `socket`.
pub fn release(socket: &dyn Socket) {
    socket.set_inflight(socket.inflight().saturating_sub(1));
}

/// The first frame of a connection: `SessionEstablished` with `{sessionId}`.
pub fn established(info: &GatewayInfo, port: &dyn Port) -> String {
    let payload = serde_json::json!({ "sessionId": port.address().id() });
    let payload = to_raw(&payload).unwrap_or_else(|_| null_payload());
    default_frame(info, ESTABLISHED_TYPE, payload, None, port)
}

/// Handles one client frame from `socket` and returns the one reply frame to send back on it.
pub async fn handle_frame(
    info: &GatewayInfo,
    port: &dyn Port,
    socket: &dyn Socket,
    frame: Frame<'_>,
) -> String {
    let admitted = match admit(info, port, socket, frame) {
        Ok(admitted) => admitted,
        Err(reply) => return reply,
    };
    let _slot = InFlight(socket);
    let (id, message_type) = (
        admitted.request.id.clone(),
        admitted.request.message_type.clone(),
    );
    let reply = port.ask(admitted.target, admitted.request).await;
    answer(info, port, id, &message_type, reply)
}

/// A frame that passed the gateway's checks: the envelope to forward (with the socket's
/// principal) and the actor type it goes to.
pub struct Admitted {
    /// The target's actor type.
    pub target: &'static ActorInfo,
    /// The client's envelope, its principal set by the gateway.
    pub request: Envelope,
    /// The frame's own text is this request's JSON for the target (no principal added, no
    /// `auth` field, no lone surrogate escape: [`Envelope::decode_client`]): a host may
    /// forward it as is.
    pub verbatim: bool,
}

/// The first half of [`handle_frame`], for hosts that forward by themselves: the checks in the
/// protocol's order, then the request counted in flight on `socket`. `Err` is the reply frame
/// to send at once. After `Ok`, the host forwards the request, then calls [`release`] and
/// [`answer`] with the target's reply.
pub fn admit(
    info: &GatewayInfo,
    port: &dyn Port,
    socket: &dyn Socket,
    frame: Frame<'_>,
) -> Result<Admitted, String> {
    let admitted =
        route_frame(info, port, text_if!(port, frame)).and_then(|(target, request, verbatim)| {
            let limit = no_limit_if!(port, "!overloaded", port.limit(MAX_INFLIGHT));
            match enter(socket, limit) {
                Ok(()) => Ok((target, request, verbatim)),
                Err(error) => Err((error, Some(request.id))),
            }
        });
    match admitted {
        Err((error, request_id)) => {
            #[cfg(feature = "checklist")]
            crate::checklist::hit_in(port.address().kind(), &format!("!{}", error.code()));
            Err(error_frame(
                info,
                &mutant_error!(port, error),
                request_id,
                port,
            ))
        }
        Ok((target, mut request, verbatim)) => {
            #[cfg(feature = "checklist")]
            crate::checklist::hit_in(
                port.address().kind(),
                &format!("route:{}", request.to.kind()),
            );
            request.principal = socket.principal();
            let verbatim = verbatim && request.principal.is_none();
            Ok(Admitted {
                target,
                request,
                verbatim,
            })
        }
    }
}

/// The second half of [`handle_frame`]: the client's reply frame for the target's `reply` to
/// the request `id` of type `message_type` ([`ClientReply::frame`]).
pub fn answer(
    info: &GatewayInfo,
    port: &dyn Port,
    id: String,
    message_type: &str,
    reply: Result<Envelope, Error>,
) -> String {
    let result = reply.and_then(Envelope::into_result);
    ClientReply::new(info, port.address(), message_type).frame(
        id,
        message_type.to_owned(),
        result,
        port,
    )
}

type Rejection = (Error, Option<String>);

/// The checks before forwarding, in the protocol's order; with the request, whether the
/// frame's text may stand for it ([`Envelope::decode_client`]).
fn route_frame(
    info: &GatewayInfo,
    port: &dyn Port,
    frame: Frame<'_>,
) -> Result<(&'static ActorInfo, Envelope, bool), Rejection> {
    let text = match frame {
        Frame::Binary(_) => return Err((Error::UnsupportedFrame, None)),
        Frame::Text(text) => text,
    };
    let limit = port.limit(MAX_FRAME_BYTES);
    if check!(port, "!too_large" => text.len() as u64 > limit) {
        return Err((
            Error::TooLarge {
                bytes: text.len(),
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
            },
            None,
        ));
    }
    let (request, verbatim) = Envelope::decode_client(text).map_err(|e| (e.error, e.request_id))?;
    let reject = |error: Error| (error, Some(request.id.clone()));
    if check!(port, "!invalid_address" => request.to.id().len() as u64 > port.limit(MAX_ID_BYTES)) {
        return Err(reject(Error::InvalidAddress {
            to: request.to.to_string(),
        }));
    }
    let kind = request.to.kind();
    let target = routed_if!(port, kind, info.forward(kind)).ok_or_else(|| {
        reject(Error::UnknownActor {
            kind: kind.to_owned(),
        })
    })?;
    match public_if!(port, target.route(&request.message_type)) {
        Some(route) if route.internal => Err(reject(Error::Forbidden {
            message_type: request.message_type.clone(),
        })),
        Some(_) => Ok((target, request, verbatim)),
        None => Err(reject(Error::UnknownType {
            message_type: request.message_type.clone(),
        })),
    }
}

fn error_frame(
    info: &GatewayInfo,
    error: &Error,
    request_id: Option<String>,
    port: &dyn Port,
) -> String {
    default_frame(info, ERROR_TYPE, error_payload(error), request_id, port)
}

/// A frame from the gateway to its default client address ([`client_frame`]).
fn default_frame(
    info: &GatewayInfo,
    message_type: &str,
    payload: Box<RawValue>,
    reply_to: Option<String>,
    port: &dyn Port,
) -> String {
    let to = client_address(info.default_reply_to);
    client_frame(
        to,
        port.address(),
        message_type.to_owned(),
        payload,
        reply_to,
        port,
    )
}

/// The reply of a gateway to an actor's push (an envelope an actor sends to a session, e.g.
/// `ctx.actor::<Session>(id).send(&msg)`): to how many of the session's sockets it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delivered {
    /// The sockets that got the envelope (0 when the session has none open).
    pub delivered: usize,
}

impl crate::Payload for Delivered {}

/// A gateway's branch table: its forward routes (`$route`, written by `#[actor]`) and the
/// error paths of [`handle_frame`], listed here once, in the order it checks them, each
/// with the error code its id ends with (`<kind>/!<code>`). Not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __gateway_branches {
    ($kind:expr, $line:expr; $($route:expr),* $(,)?) => {
        &[
            $($route,)*
            $crate::__gateway_error_branch!($kind, $line, "unsupported_frame", GatewayError, "binary frame"),
            $crate::__gateway_error_branch!($kind, $line, "too_large", GatewayError, "frame over MAX_FRAME_BYTES"),
            $crate::__gateway_error_branch!($kind, $line, "invalid_format", GatewayError, "frame is not an envelope"),
            $crate::__gateway_error_branch!($kind, $line, "invalid_address", GatewayError, "`to` is not kind:id"),
            $crate::__gateway_error_branch!($kind, $line, "unknown_actor", GatewayError, "`to` kind not routed"),
            $crate::__gateway_error_branch!($kind, $line, "forbidden", Forbidden, "client sent an internal message"),
            $crate::__gateway_error_branch!($kind, $line, "unknown_type", UnknownType, "target has no route for the type"),
            $crate::__gateway_error_branch!($kind, $line, "overloaded", GatewayError, "the socket has MAX_INFLIGHT requests awaiting replies"),
            $crate::__gateway_error_branch!($kind, $line, "actor_error", GatewayError, "the call to the target failed or it answered an error"),
        ]
    };
}

/// One entry of [`__gateway_branches!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __gateway_error_branch {
    ($kind:expr, $line:expr, $code:literal, $branch:ident, $label:literal) => {
        $crate::__private::Branch {
            id: $crate::__concat_str!($kind, $crate::branch::id::GATEWAY_ERROR, $code),
            kind: $crate::__private::BranchKind::$branch,
            label: $label,
            file: ::core::file!(),
            line: $line,
            waiver: ::core::option::Option::None,
            waiver_host: ::core::option::Option::None,
        }
    };
}
