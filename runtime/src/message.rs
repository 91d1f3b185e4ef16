//! Messages: payload types with a wire name and a reply type. Implemented by `#[message]`.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A payload type that travels in an envelope's `payload`, named by the envelope's `type`.
///
/// Implemented by [`#[message]`](crate::message); by hand only for payloads that are not
/// your own types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message",
    label = "not a `#[message]` type",
    note = "add `#[duract::message(reply = ..)]` to its declaration"
)]
pub trait Message: Serialize + DeserializeOwned + 'static {
    /// The wire type name, e.g. `register_worker`.
    const TYPE: &'static str;
    /// Whether only actors may send it: a gateway answers `forbidden` when a client does.
    const INTERNAL: bool;
    /// What a handler of this message returns on success.
    type Reply: Serialize + DeserializeOwned + 'static;
}
