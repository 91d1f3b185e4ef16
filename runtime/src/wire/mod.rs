//! The wire: what travels between clients, gateways and actors, and the rules it follows.

pub mod address;
pub mod envelope;
pub mod error;
pub mod limit;
pub mod message;
pub mod principal;
pub(crate) mod surrogates;
pub mod upgrade;
