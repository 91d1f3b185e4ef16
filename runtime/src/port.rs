//! The port: what a host provides to the actors it runs (the clock, storage, delivery to
//! other actors and to itself later, background work, the alarm, configuration). Everything
//! above it is host-agnostic; the native and Durable Object hosts each implement it.

use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::Later;
use crate::limit::Limit;
use crate::platform::KvStore;
use crate::storage::Storage;
use std::rc::Rc;
use std::time::Duration;

/// What a host provides to the actors it runs. One `Port` per actor instance.
pub trait Port {
    /// The instance's own address.
    fn address(&self) -> &Address;
    /// Milliseconds since the Unix epoch (virtual on the native host).
    fn now(&self) -> u64;
    /// A fresh message id, unique across the system.
    fn fresh_id(&self) -> String;
    /// The instance's storage.
    fn storage(&self) -> &dyn Storage;
    /// Delivers `envelope` to an actor of type `target` in the background; its reply is
    /// dropped. Never blocks the caller.
    fn send(&self, target: &'static ActorInfo, envelope: Envelope);
    /// Delivers `envelope` to an actor of type `target` and resolves to the reply envelope;
    /// fails with `timeout` when no reply comes in time (an ask cycle, say) or `actor_error`
    /// when the target is unreachable.
    fn ask(
        &self,
        target: &'static ActorInfo,
        envelope: Envelope,
    ) -> LocalBoxFuture<'static, Result<Envelope, Error>>;
    /// Runs `work` in the background, after the reply if need be (Durable Objects' `wait_until`).
    fn spawn(&self, work: LocalBoxFuture<'static, ()>);
    /// Holds `later` in memory and, after `delay`, delivers it to this instance's turns
    /// ([`Turns::deliver_later`](crate::instance::Turns::deliver_later)) if the instance is
    /// still the one that sent it ([`crate::later`]). Never stores anything.
    fn deliver_later(&self, delay: Duration, later: Later);
    /// The durable timers changed; `next` is the earliest due time (ms since the epoch). The
    /// host arms its alarm for it (or clears it).
    fn arm_alarm(&self, next: Option<u64>);
    /// A configuration variable (`WORK_MS`, ...) or secret: an environment value as text.
    fn var(&self, name: &str) -> Option<String>;
    /// The value of `limit`: its variable when that is a positive integer, else its default.
    fn limit(&self, limit: Limit) -> u64 {
        limit.parse(self.var(limit.var).as_deref())
    }
    /// The KV namespace bound as `name` in the environment, `None` when there is none.
    fn kv(&self, name: &str) -> Option<Rc<dyn KvStore>> {
        let _ = name;
        None
    }
    /// The worker's environment, for the bindings duract has no handle type of its own for
    /// (R2, D1, services, Durable Object namespaces): the Durable Object host's.
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    fn worker_env(&self) -> Option<&worker::Env> {
        None
    }
    /// Runs a turn's SQL writes in one transaction, all or none, before its state's write
    /// (the Durable Object host's; elsewhere there is no SQL storage to write).
    fn commit_sql(
        &self,
        writes: Vec<crate::platform::sql::SqlWrite>,
    ) -> Result<(), crate::error::Error> {
        if writes.is_empty() {
            Ok(())
        } else {
            Err(crate::platform::sql::not_on_this_host())
        }
    }
    /// The instance's SQLite storage (a Durable Object class created by a
    /// `new_sqlite_classes` migration): the Durable Object host's.
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    fn sql(&self) -> Option<worker::SqlStorage> {
        None
    }
}
