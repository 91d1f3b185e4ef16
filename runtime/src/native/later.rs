//! Messages actors sent themselves for later ([`crate::later`]), waiting on the virtual
//! clock. Each belongs to the activation that sent it: a restart (a new activation) leaves it
//! undelivered, as eviction does in workerd.

use crate::address::Address;
use crate::later::Later;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// One message for later: to the instance `key`, for its activation `activation`.
pub(crate) struct Waiting {
    pub(crate) key: Address,
    pub(crate) activation: u64,
    pub(crate) later: Later,
}

/// The waiting messages by due time, then in the order they were handed over.
#[derive(Default)]
pub(crate) struct Waitlist {
    next: Cell<u64>,
    by_due: RefCell<BTreeMap<(u64, u64), Waiting>>,
}

impl Waitlist {
    /// Holds `waiting` until `due`.
    pub(crate) fn hold(&self, due: u64, waiting: Waiting) {
        let order = self.next.get();
        self.next.set(order + 1);
        self.by_due.borrow_mut().insert((due, order), waiting);
    }

    /// When the earliest waiting message is due.
    pub(crate) fn earliest(&self) -> Option<u64> {
        self.by_due.borrow().keys().next().map(|(due, _)| *due)
    }

    /// Takes the earliest waiting message.
    pub(crate) fn take_earliest(&self) -> Option<Waiting> {
        self.by_due
            .borrow_mut()
            .pop_first()
            .map(|(_, waiting)| waiting)
    }

    /// The due times and messages waiting for the activation `activation` of `key`, in due
    /// order.
    pub(crate) fn of(&self, key: &Address, activation: u64) -> Vec<(u64, Later)> {
        self.by_due
            .borrow()
            .iter()
            .filter(|(_, waiting)| waiting.key == *key && waiting.activation == activation)
            .map(|((due, _), waiting)| (*due, waiting.later.clone()))
            .collect()
    }
}
