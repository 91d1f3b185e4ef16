//! The virtual clock and the alarm table.
//!
//! `now` is whole milliseconds since the Unix epoch and moves only when the host moves it
//! ([`Host::advance`](super::Host::advance), or when the host is idle with an `ask` pending:
//! see [`super::ask`]). Each instance has at most one alarm (as a Durable Object has); the
//! table outlives instances, like the platform's alarm does, so alarms fire after a restart.

use crate::address::Address;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// The default start of virtual time: 2023-11-14T22:13:20Z.
pub const DEFAULT_EPOCH_MS: u64 = 1_700_000_000_000;

/// Virtual time.
#[derive(Debug)]
pub struct Clock {
    now: Cell<u64>,
}

impl Clock {
    /// A clock reading `epoch_ms`.
    pub fn new(epoch_ms: u64) -> Clock {
        Clock {
            now: Cell::new(epoch_ms),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        self.now.get()
    }

    /// Moves the clock to `at`; never backwards.
    pub fn move_to(&self, at: u64) {
        if at > self.now.get() {
            self.now.set(at);
        }
    }
}

/// Converts a due time in (possibly fractional) ms to the whole ms it fires at.
pub fn due_ms(at: f64) -> u64 {
    if at.is_nan() || at <= 0.0 {
        0
    } else {
        at.ceil().min(u64::MAX as f64) as u64
    }
}

/// One alarm per address.
#[derive(Debug, Default)]
pub struct Alarms {
    armed: RefCell<BTreeMap<Address, u64>>,
}

impl Alarms {
    /// Sets (`Some`) or clears (`None`) the alarm of `address`.
    pub fn arm(&self, address: &Address, at: Option<u64>) {
        let mut armed = self.armed.borrow_mut();
        match at {
            Some(at) => {
                armed.insert(address.clone(), at);
            }
            None => {
                armed.remove(address);
            }
        }
    }

    /// The alarm of `address`.
    pub fn get(&self, address: &Address) -> Option<u64> {
        self.armed.borrow().get(address).copied()
    }

    /// The earliest alarm (ties: smallest address), without removing it.
    pub fn earliest(&self) -> Option<(u64, Address)> {
        self.armed
            .borrow()
            .iter()
            .min_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)))
            .map(|(a, at)| (*at, a.clone()))
    }

    /// Removes the alarm of `address` if it is still set for `at`.
    pub fn take(&self, address: &Address, at: u64) -> bool {
        let mut armed = self.armed.borrow_mut();
        if armed.get(address) == Some(&at) {
            armed.remove(address);
            true
        } else {
            false
        }
    }
}
