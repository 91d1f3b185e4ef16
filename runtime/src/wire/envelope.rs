//! The wire envelope: one JSON object per WebSocket frame and per actor-to-actor call.
//!
//! ```json
//! {"to":"coordinator:main","from":"client:ui","type":"register_worker",
//!  "payload":{"workerId":"w1"},"id":"r1","timestamp":1700000000000}
//! ```
//!
//! Decoding reads the envelope's own fields and keeps `payload` as raw JSON text
//! ([`RawValue`]): a gateway forwards a payload it never parses, and a handler decodes it into
//! its own message type only in the dispatch arm that matches `type`.

use crate::address::Address;
use crate::error::{Error, ErrorPayload};
use crate::principal::Principal;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use std::sync::Arc;

/// The wire `type` of every error reply.
pub const ERROR_TYPE: &str = "Error";

/// The suffix a success reply adds to the request's type: `register_worker` -> `register_workerResponse`.
pub const RESPONSE_SUFFIX: &str = "Response";

/// One decoded wire message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Where it goes.
    pub to: Address,
    /// Who sent it.
    pub from: Address,
    /// The wire message type, `type` on the wire.
    pub message_type: String,
    /// The payload, undecoded (`null` when absent).
    pub payload: Box<RawValue>,
    /// Unique per request; replies carry it in `reply_to`.
    pub id: String,
    /// Milliseconds since the Unix epoch (an integer or a float on the wire).
    pub timestamp: f64,
    /// On a reply: the id of the request it answers.
    pub reply_to: Option<String>,
    /// Who caused it, set by a gateway and inherited by every envelope its turns send; never
    /// read from a client's frame (`auth` between actors, absent on client frames).
    pub principal: Option<Arc<Principal>>,
}

/// Why a frame did not decode, with the request id when one could be read (for `replyTo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// [`Error::InvalidFormat`] or [`Error::InvalidAddress`].
    pub error: Error,
    /// The frame's `id`, when the frame is an object whose `id` is a non-empty string.
    pub request_id: Option<String>,
}

/// The envelope as read off the wire, before its rules are checked.
#[derive(Deserialize)]
struct WireIn<'a> {
    to: Option<String>,
    from: Option<String>,
    #[serde(rename = "type")]
    message_type: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    id: Option<String>,
    timestamp: Option<f64>,
    #[serde(rename = "replyTo")]
    reply_to: Option<String>,
    /// Read only from trusted sources (actors, timers): see [`Envelope::decode_trusted`].
    #[serde(borrow)]
    auth: Option<&'a RawValue>,
}

/// Reads only `id`, to correlate the reply to a frame that failed to decode.
#[derive(Deserialize)]
struct IdProbe {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

impl Envelope {
    /// Decodes one frame by the protocol's rules: a JSON object whose `to`, `from`, `type` and
    /// `id` are non-empty strings and whose `timestamp` is a number; `payload` and `replyTo`
    /// optional; unknown fields ignored. A `to` that is a non-empty string but no address is
    /// [`Error::InvalidAddress`]; every other failure is [`Error::InvalidFormat`].
    ///
    /// This is how a client's frame is read: an `auth` field in it is ignored, so a client
    /// cannot name a principal.
    ///
    /// Lone UTF-16 surrogate escapes, which JavaScript clients can send, are read as stand-ins
    /// that [`Envelope::encode_for_client`] writes back as they were.
    pub fn decode(text: &str) -> Result<Envelope, DecodeError> {
        Envelope::decode_client(text).map(|(envelope, _)| envelope)
    }

    /// [`Envelope::decode`], and whether `text` itself may stand for the envelope between
    /// actors (`verbatim`): it has no `auth` field and no lone surrogate escape, so that
    /// [`Envelope::decode_trusted`] of `text` gives back this envelope. A gateway then forwards
    /// the client's text as is (when it adds no principal) instead of encoding it again.
    pub fn decode_client(text: &str) -> Result<(Envelope, bool), DecodeError> {
        let read = crate::surrogates::read(text);
        let unchanged = matches!(read, std::borrow::Cow::Borrowed(_));
        match Envelope::decode_checked(&read, false) {
            Ok((envelope, has_auth)) => Ok((envelope, unchanged && !has_auth)),
            Err(error) => Err(DecodeError {
                error,
                request_id: probe_request_id(&read),
            }),
        }
    }

    /// [`Envelope::decode`] for an envelope from a trusted source (another actor through the
    /// host, a stored timer): its `auth` field, when present, is its [`Principal`].
    pub fn decode_trusted(text: &str) -> Result<Envelope, DecodeError> {
        let decoded = Envelope::decode_checked(text, true);
        decoded
            .map(|(envelope, _)| envelope)
            .map_err(|error| DecodeError {
                error,
                request_id: probe_request_id(text),
            })
    }

    /// The envelope, and whether the text has an `auth` field.
    fn decode_checked(text: &str, trusted: bool) -> Result<(Envelope, bool), Error> {
        if !starts_like_object(text) {
            return Err(Error::InvalidFormat);
        }
        let wire: WireIn<'_> = serde_json::from_str(text).map_err(|_| Error::InvalidFormat)?;
        let to = non_empty(wire.to)?;
        let from = non_empty(wire.from)?;
        let message_type = non_empty(wire.message_type)?;
        let id = non_empty(wire.id)?;
        let timestamp = wire.timestamp.ok_or(Error::InvalidFormat)?;
        let from = Address::try_from(from).map_err(|_| Error::InvalidFormat)?;
        let to = Address::from_owned(to).map_err(|to| Error::InvalidAddress { to })?;
        let has_auth = wire.auth.is_some();
        let principal = match wire.auth {
            Some(auth) if trusted => Some(Arc::new(
                serde_json::from_str(auth.get()).map_err(|_| Error::InvalidFormat)?,
            )),
            _ => None,
        };
        let envelope = Envelope {
            to,
            from,
            message_type,
            payload: wire.payload.map_or_else(null_payload, RawValue::to_owned),
            id,
            timestamp,
            reply_to: wire.reply_to,
            principal,
        };
        Ok((envelope, has_auth))
    }

    /// Encodes the envelope as one JSON object (`replyTo` only when set).
    pub fn encode(&self) -> String {
        serde_json::to_string(&WireOut::from(self)).expect("an envelope always encodes")
    }

    /// [`Envelope::encode`] for a client: lone surrogates a client sent (see
    /// [`Envelope::decode`]) are written back as the escapes they were.
    pub fn encode_for_client(&self) -> String {
        crate::surrogates::write(self.encode())
    }

    /// A request: `payload` is serialized now.
    pub fn request<P: Serialize + ?Sized>(
        to: Address,
        from: Address,
        message_type: impl Into<String>,
        payload: &P,
        id: impl Into<String>,
        timestamp: f64,
    ) -> Result<Envelope, Error> {
        Ok(Envelope {
            to,
            from,
            message_type: message_type.into(),
            payload: to_raw(payload)?,
            id: id.into(),
            timestamp,
            reply_to: None,
            principal: None,
        })
    }

    /// The reply to this request: `<type>Response` with the handler's result, or `Error` with
    /// `{error, code}`; addressed back to the sender, from the request's target, with
    /// `replyTo` = this request's id and the fresh `id` and `timestamp` given.
    pub fn reply(
        &self,
        result: Result<Box<RawValue>, Error>,
        id: String,
        timestamp: f64,
    ) -> Envelope {
        let (message_type, payload) = reply_parts(self.message_type.clone(), result);
        Envelope {
            to: self.from.clone(),
            from: self.to.clone(),
            message_type,
            payload,
            id,
            timestamp,
            reply_to: Some(self.id.clone()),
            principal: None,
        }
    }

    /// [`Envelope::reply`] for a request that is no longer needed: its strings become the
    /// reply's (addresses swapped, `id` moved to `replyTo`), so no field is copied.
    pub fn into_reply(
        self,
        result: Result<Box<RawValue>, Error>,
        id: String,
        timestamp: f64,
    ) -> Envelope {
        let (message_type, payload) = reply_parts(self.message_type, result);
        Envelope {
            to: self.from,
            from: self.to,
            message_type,
            payload,
            id,
            timestamp,
            reply_to: Some(self.id),
            principal: None,
        }
    }

    /// Whether this is an `Error` reply.
    pub fn is_error(&self) -> bool {
        self.message_type == ERROR_TYPE
    }

    /// A reply's result: its payload, or the error it carries.
    pub fn into_result(self) -> Result<Box<RawValue>, Error> {
        if !self.is_error() {
            return Ok(self.payload);
        }
        match serde_json::from_str::<ErrorPayload>(self.payload.get()) {
            Ok(payload) => Err(Error::from_payload(payload)),
            Err(e) => Err(Error::ActorError {
                reason: format!("malformed error reply: {e}"),
            }),
        }
    }

    /// Decodes the payload into `T`; failure is [`Error::InvalidPayload`] with serde's reason.
    pub fn decode_payload<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        serde_json::from_str(self.payload.get()).map_err(|e| Error::InvalidPayload {
            reason: e.to_string(),
        })
    }
}

impl PartialEq for Envelope {
    fn eq(&self, other: &Envelope) -> bool {
        self.to == other.to
            && self.from == other.from
            && self.message_type == other.message_type
            && self.payload.get() == other.payload.get()
            && self.id == other.id
            && self.timestamp == other.timestamp
            && self.reply_to == other.reply_to
            && self.principal == other.principal
    }
}

/// The `type` and payload of the reply to a request of `message_type` that ended with
/// `result`: `<type>Response` with its payload, or `Error` with `{error, code}`.
pub(crate) fn reply_parts(
    mut message_type: String,
    result: Result<Box<RawValue>, Error>,
) -> (String, Box<RawValue>) {
    match result {
        Ok(payload) => {
            message_type.push_str(RESPONSE_SUFFIX);
            (message_type, payload)
        }
        Err(error) => (ERROR_TYPE.to_owned(), error_payload(&error)),
    }
}

/// The payload of an `Error` reply for `error`, as raw JSON.
pub fn error_payload(error: &Error) -> Box<RawValue> {
    to_raw(&error.payload()).expect("an error payload always encodes")
}

/// Serializes `value` into raw JSON text.
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, Error> {
    serde_json::value::to_raw_value(value).map_err(|e| Error::ActorError {
        reason: format!("cannot encode: {e}"),
    })
}

/// `<prefix>-<n in lowercase hex>`, written without `format!` (one per envelope: its
/// formatting machinery cost more than the rest of making the id).
#[cfg_attr(not(any(target_arch = "wasm32", feature = "docs")), allow(dead_code))]
pub(crate) fn sequenced_id(prefix: &str, n: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    id.push('-');
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..digits).rev() {
        id.push(char::from(DIGITS[(n >> (shift * 4)) as usize & 0xf]));
    }
    id
}

/// The raw JSON `null`.
pub fn null_payload() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

fn non_empty(field: Option<String>) -> Result<String, Error> {
    field.filter(|s| !s.is_empty()).ok_or(Error::InvalidFormat)
}

/// A JSON object starts with `{` after optional whitespace (serde would also take an array).
fn starts_like_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
}

fn probe_request_id(text: &str) -> Option<String> {
    if !starts_like_object(text) {
        return None;
    }
    match serde_json::from_str::<IdProbe>(text).ok()?.id? {
        serde_json::Value::String(id) if !id.is_empty() => Some(id),
        _ => None,
    }
}

/// The envelope as written to the wire, fields in the protocol's order.
#[derive(Serialize)]
struct WireOut<'a> {
    to: &'a Address,
    from: &'a Address,
    #[serde(rename = "type")]
    message_type: &'a str,
    payload: &'a RawValue,
    id: &'a str,
    #[serde(serialize_with = "serialize_timestamp")]
    timestamp: f64,
    #[serde(rename = "replyTo", skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<&'a Principal>,
}

impl<'a> From<&'a Envelope> for WireOut<'a> {
    fn from(e: &'a Envelope) -> Self {
        WireOut {
            to: &e.to,
            from: &e.from,
            message_type: &e.message_type,
            payload: &e.payload,
            id: &e.id,
            timestamp: e.timestamp,
            reply_to: e.reply_to.as_deref(),
            auth: e.principal.as_deref(),
        }
    }
}

/// Whole milliseconds are written as integers (`1700000000000`, not `1700000000000.0`).
fn serialize_timestamp<S: Serializer>(t: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in f64
    if t.fract() == 0.0 && t.abs() < EXACT {
        s.serialize_i64(*t as i64)
    } else {
        s.serialize_f64(*t)
    }
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireOut::from(self).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::sequenced_id;

    #[test]
    fn a_sequenced_id_is_the_prefix_and_the_number_in_hex() {
        for n in [0, 1, 9, 10, 15, 16, 255, 256, 0xdead_beef, u64::MAX] {
            assert_eq!(sequenced_id("ab12", n), format!("ab12-{n:x}"));
        }
    }
}
