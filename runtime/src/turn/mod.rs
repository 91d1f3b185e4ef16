//! The turn: durable timers, the context a handler gets, the gate that runs one turn at a time,
//! and [`Turns`], what a host holds of an instance ([`Instance`](crate::instance::Instance) runs
//! them, above the user API).

pub(crate) mod context;
pub mod env;
mod gate;
pub mod timer;
mod turns;

pub use gate::{Enter, TurnGate, TurnGuard};
pub use turns::Turns;
