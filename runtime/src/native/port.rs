//! The [`Port`] the native host gives each instance: its address, the virtual clock, its
//! storage, messaging routed through the host, background tasks and its alarm.

use super::ask::Reply;
use super::faults::FaultStorage;
use super::host::{HostInner, Sink};
use crate::actor::ActorInfo;
use crate::address::Address;
use crate::context::Port;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::storage::Storage;
use std::rc::{Rc, Weak};

/// One instance's view of the host.
pub struct HostPort {
    /// The address its actor sees.
    address: Address,
    /// Which instance it is on the host: the address, its id scoped by the tenant (a
    /// gateway's: by the principal) when one reached it ([`crate::scoped_name`]).
    key: Address,
    /// The activation this port belongs to; it owns the activation's tasks.
    activation: u64,
    host: Weak<HostInner>,
    storage: Rc<FaultStorage>,
}

impl HostPort {
    /// The instance's storage, with its fault controls.
    pub fn fault_storage(&self) -> &Rc<FaultStorage> {
        &self.storage
    }

    /// The activation this port belongs to (unique on its host), which owns its tasks.
    pub(crate) fn activation(&self) -> u64 {
        self.activation
    }

    /// The instance's key on the host (its address, scoped by its tenant if it has one).
    pub fn key(&self) -> &Address {
        &self.key
    }

    pub(crate) fn new(
        key: Address,
        address: Address,
        activation: u64,
        host: Weak<HostInner>,
        storage: Rc<FaultStorage>,
    ) -> Self {
        HostPort {
            address,
            key,
            activation,
            host,
            storage,
        }
    }
}

fn host_gone() -> Error {
    Error::ActorError {
        reason: "the native host was dropped".into(),
    }
}

impl Port for HostPort {
    fn address(&self) -> &Address {
        &self.address
    }

    fn now(&self) -> u64 {
        self.host.upgrade().map_or(0, |h| h.clock.now())
    }

    fn fresh_id(&self) -> String {
        self.host
            .upgrade()
            .map_or_else(|| "orphan".to_owned(), |h| h.fresh_id())
    }

    fn storage(&self) -> &dyn Storage {
        &*self.storage
    }

    fn send(&self, target: &'static ActorInfo, envelope: Envelope) {
        if let Some(host) = self.host.upgrade() {
            host.route(target.kind, envelope, Sink::Drop);
        }
    }

    fn ask(
        &self,
        target: &'static ActorInfo,
        envelope: Envelope,
    ) -> LocalBoxFuture<'static, Result<Envelope, Error>> {
        let Some(host) = self.host.upgrade() else {
            return Box::pin(async { Err(host_gone()) });
        };
        let reply: Reply = host.route_ask(target.kind, envelope);
        Box::pin(reply)
    }

    fn spawn(&self, work: LocalBoxFuture<'static, ()>) {
        if let Some(host) = self.host.upgrade() {
            host.executor.spawn(Some(self.activation), work);
        }
    }

    fn arm_alarm(&self, next: Option<u64>) {
        if let Some(host) = self.host.upgrade() {
            host.alarms.arm(&self.key, next);
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.host.upgrade()?.vars.borrow().get(name).cloned()
    }
}
