//! What a user writes against: actors, the messages they handle and the refs they send with,
//! and gateways.

pub mod actor;
// The gateway's mutants: macros that, without the feature `mutants`, are the tokens they wrap.
#[macro_use]
mod gateway_mutants;
mod client_reply;
pub mod gateway;
