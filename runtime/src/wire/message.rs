//! Messages: payload types with a wire name. Implemented by `#[message]`. What a message is
//! answered with belongs to its handler ([`Handles::Reply`](crate::Handles::Reply)).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A payload type that travels in an envelope's `payload`, named by the envelope's `type`.
///
/// Implemented by [`#[message]`](macro@crate::message); by hand only for payloads that are not
/// your own types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message",
    label = "not a `#[message]` type",
    note = "add `#[duract::message]` to its declaration"
)]
pub trait Message: Payload {
    /// The wire type name, e.g. `register_worker`.
    const TYPE: &'static str;
    /// Whether only actors may send it: a gateway answers `forbidden` when a client does.
    const INTERNAL: bool;
    /// Whether every payload decodes (a message without fields ignores its payload): its
    /// route's `invalid_payload` branch cannot be reached and is waived as such.
    const ANY_PAYLOAD: bool = false;
}

/// A type that can travel as a payload: a message or a reply. Implemented by
/// [`#[payload]`](crate::payload) and [`#[message]`](macro@crate::message), and here for the
/// standard types serde handles (numbers, `String`, `()`, options, sequences, maps, tuples,
/// `serde_json::Value`). For a serde type of your own, `impl duract::Payload for T {}`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a payload type: it cannot be a message or a reply",
    label = "not a `#[payload]` type",
    note = "add `#[duract::payload]` to its declaration, or `impl duract::Payload for {Self} {{}}` if it is a serde type of your own"
)]
pub trait Payload: Serialize + DeserializeOwned + 'static {}

macro_rules! payloads {
    ($($ty:ty),* $(,)?) => { $(impl Payload for $ty {})* };
}

payloads!(
    (),
    bool,
    char,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    String,
    serde_json::Value,
);

impl<T: Payload> Payload for Option<T> {}
impl<T: Payload> Payload for Box<T> {}
impl<T: Payload> Payload for Vec<T> {}
impl<T: Payload> Payload for std::collections::VecDeque<T> {}
impl<T: Payload + Ord> Payload for std::collections::BTreeSet<T> {}
impl<T: Payload + Eq + std::hash::Hash> Payload for std::collections::HashSet<T> {}
impl<K: Payload + Ord, V: Payload> Payload for std::collections::BTreeMap<K, V> {}
impl<K: Payload + Eq + std::hash::Hash, V: Payload> Payload for std::collections::HashMap<K, V> {}
impl<A: Payload, B: Payload> Payload for (A, B) {}
impl<A: Payload, B: Payload, C: Payload> Payload for (A, B, C) {}
impl<A: Payload, B: Payload, C: Payload, D: Payload> Payload for (A, B, C, D) {}
