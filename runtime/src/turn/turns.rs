//! [`Turns`]: what a host holds of an instance, whatever its actor type.

use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::later::Later;
use serde_json::value::RawValue;

/// An instance's turns, its actor type erased: what the hosts hold of an actor's instance
/// (a gateway has none: [`Target::__turns`](crate::Target)).
pub trait Turns {
    /// [`Instance::run_turn`](crate::instance::Instance::run_turn).
    fn run<'a>(
        &'a self,
        envelope: &'a Envelope,
    ) -> LocalBoxFuture<'a, Result<Box<RawValue>, Error>>;
    /// [`Instance::deliver_due_timers`](crate::instance::Instance::deliver_due_timers).
    fn deliver_due_timers(&self) -> LocalBoxFuture<'_, Result<(), Error>>;
    /// [`Instance::deliver_later`](crate::instance::Instance::deliver_later).
    fn deliver_later(&self, later: Later) -> LocalBoxFuture<'_, Result<(), Error>>;
    /// [`Instance::unload`](crate::instance::Instance::unload).
    fn unload(&self);
}
