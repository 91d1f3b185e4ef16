//! The [`Port`] the native host gives each instance: its address, the virtual clock, its
//! storage, messaging routed through the host, background tasks and its alarm.

use super::ask::Reply;
use super::faults::FaultStorage;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::Later;
use crate::platform::KvStore;
use crate::port::Port;
use crate::storage::Storage;
use std::rc::{Rc, Weak};
use std::time::Duration;

/// What an instance's port asks of the host's engine (the engine implements it: the port
/// does not depend on the engine's internals).
pub(crate) trait Engine {
    /// The virtual time.
    fn now(&self) -> u64;
    /// A message id unique on the host.
    fn fresh_id(&self) -> String;
    /// Delivers `envelope` to an actor of `kind` in the background, reply dropped.
    fn send(&self, kind: &'static str, envelope: Envelope);
    /// Delivers `envelope` to an actor of `kind`; the reply, or `timeout`.
    fn ask(&self, kind: &'static str, envelope: Envelope) -> Reply;
    /// Runs `work` as a task of the activation `owner`.
    fn spawn(&self, owner: u64, work: LocalBoxFuture<'static, ()>);
    /// Arms (or clears) the alarm of the instance `key`.
    fn arm_alarm(&self, key: &Address, at: Option<u64>);
    /// Holds `later` for the instance `key`'s activation `activation` until `delay` passed.
    fn deliver_later(&self, key: &Address, activation: u64, delay: Duration, later: Later);
    /// A configuration variable.
    fn var(&self, name: &str) -> Option<String>;
    /// The KV namespace bound as `name`.
    fn kv(&self, name: &str) -> Option<Rc<dyn KvStore>>;
}

/// One instance's view of the host.
pub struct HostPort {
    /// The address its actor sees.
    address: Address,
    /// Which instance it is on the host: the address, its id scoped by the tenant (a
    /// gateway's: by the principal) when one reached it ([`crate::scoped_name`]).
    key: Address,
    /// The activation this port belongs to; it owns the activation's tasks.
    activation: u64,
    host: Weak<dyn Engine>,
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
        host: Weak<dyn Engine>,
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
        self.host.upgrade().map_or(0, |h| h.now())
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
            host.send(target.kind, envelope);
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
        let reply: Reply = host.ask(target.kind, envelope);
        Box::pin(reply)
    }

    fn spawn(&self, work: LocalBoxFuture<'static, ()>) {
        if let Some(host) = self.host.upgrade() {
            host.spawn(self.activation, work);
        }
    }

    fn arm_alarm(&self, next: Option<u64>) {
        if let Some(host) = self.host.upgrade() {
            host.arm_alarm(&self.key, next);
        }
    }

    fn deliver_later(&self, delay: Duration, later: Later) {
        if let Some(host) = self.host.upgrade() {
            host.deliver_later(&self.key, self.activation, delay, later);
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.host.upgrade()?.var(name)
    }

    fn kv(&self, name: &str) -> Option<Rc<dyn KvStore>> {
        self.host.upgrade()?.kv(name)
    }
}
