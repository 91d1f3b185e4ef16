//! The turn: durable timers, the context a handler gets, the gate that runs one turn at a time,
//! and [`Instance`](instance::Instance), the one place that knows how a turn runs.

pub(crate) mod context;
pub mod env;
mod gate;
pub mod instance;
pub mod timer;

pub use gate::{Enter, TurnGate, TurnGuard};
