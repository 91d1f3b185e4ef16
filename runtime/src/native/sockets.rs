//! The host's sockets: every client connection to a gateway instance, its frames received
//! and whether it is open. The engine pushes frames to them; [`super::Connection`] is a
//! test's handle on one.

use crate::address::Address;
use crate::gateway::LocalSocket;
use crate::principal::Principal;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// One connection.
pub(crate) struct ConnState {
    /// The gateway instance's key (scoped by the principal, if any).
    pub(crate) address: Address,
    pub(crate) frames: Vec<String>,
    pub(crate) open: bool,
    pub(crate) socket: Rc<LocalSocket>,
}

/// Every connection of the host.
#[derive(Default)]
pub(crate) struct Connections {
    next: Cell<u64>,
    pub(crate) conns: RefCell<BTreeMap<u64, ConnState>>,
}

impl Connections {
    pub(crate) fn open(&self, address: Address, principal: Option<Arc<Principal>>) -> u64 {
        let id = self.next.get();
        self.next.set(id + 1);
        self.conns.borrow_mut().insert(
            id,
            ConnState {
                address,
                frames: Vec::new(),
                open: true,
                socket: Rc::new(LocalSocket::new(principal)),
            },
        );
        id
    }

    pub(crate) fn push(&self, id: u64, frame: String) {
        if let Some(conn) = self.conns.borrow_mut().get_mut(&id) {
            if conn.open {
                conn.frames.push(frame);
            }
        }
    }

    pub(crate) fn close_all(&self, address: &Address) {
        for conn in self.conns.borrow_mut().values_mut() {
            if conn.address == *address {
                conn.open = false;
            }
        }
    }

    pub(crate) fn close_every(&self) {
        for conn in self.conns.borrow_mut().values_mut() {
            conn.open = false;
        }
    }

    pub(crate) fn broadcast(&self, address: &Address, frame: &str) -> usize {
        let mut sent = 0;
        for conn in self.conns.borrow_mut().values_mut() {
            if conn.open && conn.address == *address {
                conn.frames.push(frame.to_owned());
                sent += 1;
            }
        }
        sent
    }

    pub(crate) fn with<T>(&self, id: u64, f: impl FnOnce(&ConnState) -> T) -> Option<T> {
        self.conns.borrow().get(&id).map(f)
    }
}
