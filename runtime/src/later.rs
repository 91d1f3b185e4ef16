//! Messages an actor sends itself for later, in memory ([`Ctx::send_self_after`](crate::Ctx::send_self_after)).
//!
//! A durable timer ([`crate::timer`]) is stored with the turn and armed as the object's alarm:
//! it survives restarts, and each one costs writes and an alarm. A message for later costs
//! neither: once its turn commits, the host holds it in memory (a timeout in workerd, the
//! virtual clock on the native host) and then delivers it in a turn of its own to the same
//! activation. If the activation ends first (eviction, a restart, a failed turn whose state
//! was dropped), it is never delivered: the actor's `on_activate` re-arms what its state
//! calls for.

use crate::envelope::Envelope;
use std::time::Duration;

/// A message for later, as the host holds it until it is due.
#[derive(Debug, Clone)]
pub struct Later {
    /// The message, addressed to the actor that sent it.
    pub envelope: Envelope,
    /// The activation that sent it ([`Instance`](crate::instance::Instance) counts its loads):
    /// delivered to that activation only.
    pub activation: u64,
}

/// Converts `delay` to whole milliseconds (saturating).
pub(crate) fn delay_ms(delay: Duration) -> u64 {
    u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)
}
