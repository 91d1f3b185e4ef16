//! The one error type of duract: every variant has a stable wire `code` and a human message.
//!
//! On the wire an error is a reply of `type: "Error"` with `payload: {error, code}`; see
//! [`Error::payload`]. The messages of the protocol's own codes are exactly the texts of
//! the protocol (`Invalid message format`, `Unknown actor type: <kind>`, ...).

use std::borrow::Cow;
use std::fmt;

/// An error that can travel on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The frame is not a JSON object with the envelope's required fields. Code `invalid_format`.
    InvalidFormat,
    /// `to` is a non-empty string but not `kind:id`. Code `invalid_address`.
    InvalidAddress {
        /// The `to` field as received.
        to: String,
    },
    /// No route for the address kind. Code `unknown_actor`.
    UnknownActor {
        /// The kind that has no route.
        kind: String,
    },
    /// The target actor has no handler for the message type. Code `unknown_type`.
    UnknownType {
        /// The wire type received.
        message_type: String,
    },
    /// The payload does not decode into the handler's message type. Code `invalid_payload`.
    InvalidPayload {
        /// The decoder's reason.
        reason: String,
    },
    /// A client sent a message the target declares internal. Code `forbidden`.
    Forbidden {
        /// The wire type received.
        message_type: String,
    },
    /// A binary frame reached a gateway. Code `unsupported_frame`.
    UnsupportedFrame,
    /// A frame larger than the gateway's limit. Code `too_large`.
    TooLarge {
        /// The frame's size in bytes.
        bytes: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A call to an actor failed outside its handler (storage failure, unreachable object).
    /// Code `actor_error`.
    ActorError {
        /// What failed.
        reason: String,
    },
    /// An `ask` got no reply in time (for example a cycle of asks). Code `timeout`.
    Timeout {
        /// What was waited for.
        what: String,
    },
    /// A socket already has as many requests awaiting their replies as its gateway allows.
    /// Code `overloaded`.
    Overloaded {
        /// The limit (`MAX_INFLIGHT`).
        limit: u64,
    },
    /// A declared limit would be exceeded (see [`crate::Limit`]). Code `limit_exceeded`.
    LimitExceeded {
        /// What is limited, e.g. `workers are registered`.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// An error a handler defined, with its own code.
    Handler {
        /// The wire code, e.g. `duplicate_task`.
        code: Cow<'static, str>,
        /// The human message.
        message: String,
    },
}

impl Error {
    /// A handler-defined error with its own wire `code`.
    pub fn handler(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Error {
        Error::Handler {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The stable wire code.
    pub fn code(&self) -> &str {
        match self {
            Error::InvalidFormat => "invalid_format",
            Error::InvalidAddress { .. } => "invalid_address",
            Error::UnknownActor { .. } => "unknown_actor",
            Error::UnknownType { .. } => "unknown_type",
            Error::InvalidPayload { .. } => "invalid_payload",
            Error::Forbidden { .. } => "forbidden",
            Error::UnsupportedFrame => "unsupported_frame",
            Error::TooLarge { .. } => "too_large",
            Error::ActorError { .. } => "actor_error",
            Error::Timeout { .. } => "timeout",
            Error::Overloaded { .. } => "overloaded",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::Handler { code, .. } => code,
        }
    }

    /// The wire payload of an `Error` reply: `{"error": <message>, "code": <code>}`.
    pub fn payload(&self) -> ErrorPayload {
        ErrorPayload {
            error: self.to_string(),
            code: self.code().to_owned(),
        }
    }

    /// Rebuilds an error from a received `Error` payload, keeping its code and message.
    pub fn from_payload(payload: ErrorPayload) -> Error {
        Error::Handler {
            code: Cow::Owned(payload.code),
            message: payload.error,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidFormat => f.write_str("Invalid message format"),
            Error::InvalidAddress { to } => write!(f, "Invalid 'to' field: {to}"),
            Error::UnknownActor { kind } => write!(f, "Unknown actor type: {kind}"),
            Error::UnknownType { message_type } => {
                write!(f, "Unknown message type: {message_type}")
            }
            Error::InvalidPayload { reason } => write!(f, "Invalid payload: {reason}"),
            Error::Forbidden { message_type } => {
                write!(
                    f,
                    "Forbidden: {message_type} is internal and cannot be sent by clients"
                )
            }
            Error::UnsupportedFrame => f.write_str("Binary frames are not supported"),
            Error::TooLarge { bytes, limit } => {
                write!(f, "Frame too large: {bytes} bytes (limit {limit})")
            }
            Error::ActorError { reason } => write!(f, "Actor call failed: {reason}"),
            Error::Timeout { what } => write!(f, "Timed out waiting for {what}"),
            Error::Overloaded { limit } => {
                write!(
                    f,
                    "Overloaded: {limit} requests of this socket await their replies"
                )
            }
            Error::LimitExceeded { what, limit } => write!(f, "Limit exceeded: {limit} {what}"),
            Error::Handler { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// The payload of an `Error` reply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorPayload {
    /// The human message.
    pub error: String,
    /// The stable code.
    pub code: String,
}

/// Converts a handler's own error type into a wire [`Error`].
///
/// Implement it for your handlers' error enums (or return [`Error`] directly): the code is
/// what clients match on, so keep it stable.
pub trait IntoWireError {
    /// The wire error.
    fn into_wire_error(self) -> Error;
}

impl IntoWireError for Error {
    fn into_wire_error(self) -> Error {
        self
    }
}

impl IntoWireError for std::convert::Infallible {
    fn into_wire_error(self) -> Error {
        match self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_code_is_stable() {
        let cases = [
            (
                Error::InvalidFormat,
                "invalid_format",
                "Invalid message format",
            ),
            (
                Error::InvalidAddress {
                    to: "invalidformat".into(),
                },
                "invalid_address",
                "Invalid 'to' field: invalidformat",
            ),
            (
                Error::UnknownActor {
                    kind: "session".into(),
                },
                "unknown_actor",
                "Unknown actor type: session",
            ),
            (
                Error::UnknownType {
                    message_type: "nope".into(),
                },
                "unknown_type",
                "Unknown message type: nope",
            ),
        ];
        for (error, code, message) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(error.to_string(), message);
            assert_eq!(
                error.payload(),
                ErrorPayload {
                    error: message.into(),
                    code: code.into()
                }
            );
        }
        assert_eq!(
            Error::InvalidPayload { reason: "x".into() }.code(),
            "invalid_payload"
        );
        assert_eq!(
            Error::Forbidden {
                message_type: "x".into()
            }
            .code(),
            "forbidden"
        );
        assert_eq!(Error::UnsupportedFrame.code(), "unsupported_frame");
        assert_eq!(Error::TooLarge { bytes: 2, limit: 1 }.code(), "too_large");
        assert_eq!(
            Error::ActorError { reason: "x".into() }.code(),
            "actor_error"
        );
        assert_eq!(Error::Timeout { what: "x".into() }.code(), "timeout");
        assert_eq!(Error::Overloaded { limit: 64 }.code(), "overloaded");
        let over = Error::LimitExceeded {
            what: "workers are registered".into(),
            limit: 2,
        };
        assert_eq!(over.code(), "limit_exceeded");
        assert_eq!(over.to_string(), "Limit exceeded: 2 workers are registered");
    }

    #[test]
    fn handler_errors_carry_their_own_code() {
        let e = Error::handler("duplicate_task", "Task t1 already exists");
        assert_eq!(e.code(), "duplicate_task");
        assert_eq!(e.payload().error, "Task t1 already exists");
        assert_eq!(Error::from_payload(e.payload()), e);
    }
}
