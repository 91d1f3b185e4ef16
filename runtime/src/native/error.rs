//! The native host's own errors: mistakes in a test's use of the host, and the step bound.
//! Errors of actors travel as `Error` replies (see [`crate::Error`]), not as these.

use crate::address::AddressError;
use std::fmt;

/// What went wrong driving the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// Running stopped after `bound` polls with work still ready: a livelock, or a bound too
    /// small for the test ([`Host::step_bound`](super::Host::step_bound)).
    StepBound {
        /// The bound that was reached.
        bound: usize,
    },
    /// No actor type is registered for this address kind.
    UnknownKind {
        /// The kind.
        kind: String,
    },
    /// A string that is not an address `kind:id`.
    InvalidAddress {
        /// The string.
        address: String,
        /// Why.
        reason: AddressError,
    },
    /// The actor type of this kind is not a gateway: it takes no client connections.
    NotAGateway {
        /// The kind.
        kind: String,
    },
    /// The instance has work in flight; a Durable Object is only evicted when idle.
    Busy {
        /// The instance.
        address: String,
    },
    /// The connection was closed (by the test, or by a restart of its gateway).
    Closed {
        /// The gateway the connection was to.
        address: String,
    },
    /// No reply with this `replyTo` arrived, and the host is idle.
    NoReply {
        /// The request id.
        id: String,
    },
    /// [`Host::wait_until`](super::Host::wait_until): the host went idle and the condition
    /// still does not hold.
    ConditionNotMet {
        /// Polls made before the host went idle.
        steps: usize,
    },
    /// A payload that does not serialize.
    Encode {
        /// Serde's reason.
        reason: String,
    },
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::StepBound { bound } => write!(
                f,
                "the host was still busy after its step bound of {bound} polls (a livelock?)"
            ),
            HostError::UnknownKind { kind } => {
                write!(f, "no actor type registered for kind `{kind}`")
            }
            HostError::InvalidAddress { address, reason } => {
                write!(f, "`{address}` is not an address: {reason}")
            }
            HostError::NotAGateway { kind } => {
                write!(f, "actors of kind `{kind}` are not gateways")
            }
            HostError::Busy { address } => write!(f, "`{address}` has work in flight"),
            HostError::Closed { address } => write!(f, "the connection to `{address}` is closed"),
            HostError::NoReply { id } => write!(f, "no reply to request `{id}`"),
            HostError::ConditionNotMet { steps } => write!(
                f,
                "the host went idle after {steps} polls and the condition does not hold"
            ),
            HostError::Encode { reason } => write!(f, "cannot encode the payload: {reason}"),
        }
    }
}

impl std::error::Error for HostError {}
