//! What a user writes against: actors, the messages they handle and the refs they send with,
//! and gateways.

pub mod actor;
pub mod gateway;
