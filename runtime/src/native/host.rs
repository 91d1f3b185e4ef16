//! [`Host`]: a test's handle on the native host's engine: register actor types, deliver and
//! ask, run until idle, move the clock, restart, evict and inject faults.

use super::ask::Asks;
use super::clock::DEFAULT_EPOCH_MS;
use super::clock::{Alarms, Clock};
use super::engine::{
    parse, Activation, Bound, HostInner, Registration, Sink, Undelivered, DEFAULT_STEP_BOUND,
};
use super::error::HostError;
use super::executor::{Executor, RunOutcome};
use super::faults::{FaultPlan, FaultStorage};
use super::hash::FxHashMap;
use super::sockets::Connections;
use crate::actor::Target;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::info::ActorInfo;
use crate::platform::MemoryKv;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// An in-process host for actors with Durable Object semantics; see the
/// [module docs](super) for an example. Cloning gives another handle to the same host.
#[derive(Clone)]
pub struct Host {
    pub(crate) inner: Rc<HostInner>,
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

impl Host {
    /// A host without actor types, its clock at [`DEFAULT_EPOCH_MS`].
    pub fn new() -> Host {
        let inner = Rc::new_cyclic(|me| HostInner {
            me: me.clone(),
            executor: Executor::new(),
            clock: Clock::new(DEFAULT_EPOCH_MS),
            alarms: Alarms::default(),
            waitlist: Default::default(),
            asks: Rc::new(Asks::default()),
            env: RefCell::new(HashMap::new()),
            connections: Connections::default(),
            registry: RefCell::new(FxHashMap::default()),
            instances: RefCell::new(FxHashMap::default()),
            names: RefCell::new(FxHashMap::default()),
            storages: RefCell::new(FxHashMap::default()),
            activations: RefCell::new(FxHashMap::default()),
            replies: RefCell::new(Vec::new()),
            spare_slot: RefCell::new(None),
            undelivered: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            next_activation: Cell::new(0),
            ask_timeout: Cell::new(crate::ASK_TIMEOUT_MS.default),
            step_bound: Cell::new(DEFAULT_STEP_BOUND),
        });
        Host { inner }
    }

    /// Registers actor type `A` under its kind (`A::INFO.kind`). Registering another type
    /// with the same kind replaces it.
    pub fn with<A: Target>(self) -> Host {
        self.register::<A>();
        self
    }

    /// Registers actor type `A` under its kind.
    pub fn register<A: Target>(&self) {
        // Hits of a gateway (which has no instance of its own) count against its table too.
        #[cfg(feature = "checklist")]
        crate::checklist::register(A::INFO);
        self.inner.registry.borrow_mut().insert(
            A::INFO.kind,
            Registration {
                info: A::INFO,
                make: A::__turns,
            },
        );
    }

    /// Sets a configuration variable ([`Ctx::var`](crate::Ctx::var)).
    pub fn var(self, name: &str, value: &str) -> Host {
        self.set_var(name, value);
        self
    }

    /// Sets a configuration variable on a running host.
    pub fn set_var(&self, name: &str, value: &str) {
        self.bind(name, Bound::Text(value.to_owned()));
    }

    /// Sets a secret ([`Env::secret`](crate::Env::secret)): on this host a variable, as in
    /// workerd, where secrets and variables are both environment texts.
    pub fn secret(self, name: &str, value: &str) -> Host {
        self.set_var(name, value);
        self
    }

    /// Binds the KV namespace `kv` as `name` ([`Env::kv`](crate::Env::kv)). Keep a clone
    /// of it to seed and inspect its entries.
    pub fn kv(self, name: &str, kv: MemoryKv) -> Host {
        self.bind(name, Bound::Kv(kv));
        self
    }

    fn bind(&self, name: &str, bound: Bound) {
        self.inner.env.borrow_mut().insert(name.to_owned(), bound);
    }

    /// Sets the virtual clock (ms since the Unix epoch). Only forward: the clock never goes back.
    pub fn epoch_ms(self, ms: u64) -> Host {
        self.inner.clock.move_to(ms);
        self
    }

    /// Sets how long an `ask` waits in virtual time before it fails with `timeout`.
    pub fn ask_timeout_ms(self, ms: u64) -> Host {
        self.inner.ask_timeout.set(ms);
        self
    }

    /// Sets the bound on polls of one [`Host::run_until_idle`] or [`Host::advance`].
    pub fn step_bound(self, polls: usize) -> Host {
        self.inner.step_bound.set(polls.max(1));
        self
    }

    /// The virtual time, ms since the Unix epoch.
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// A message id unique on this host.
    pub fn fresh_id(&self) -> String {
        self.inner.fresh_id()
    }

    /// Delivers `envelope` to the instance its `to` names (activating it); the reply goes
    /// to the host's outbox, to pick with [`Host::reply_to`]. Runs nothing yet.
    pub fn deliver(&self, envelope: Envelope) -> Result<(), HostError> {
        self.inner.deliver_to_own_address(envelope, Sink::Outbox)
    }

    /// Fire-and-forget: delivers `envelope` and drops its reply. Runs nothing yet.
    pub fn send(&self, envelope: Envelope) -> Result<(), HostError> {
        self.inner.deliver_to_own_address(envelope, Sink::Drop)
    }

    /// Delivers `envelope`, runs the host until idle and returns the reply envelope. A call
    /// that fails outside the handler is an `Error` reply too (`actor_error`, `timeout`).
    pub fn ask(&self, envelope: Envelope) -> Result<Envelope, HostError> {
        let slot = self.inner.spare_slot.take().unwrap_or_default();
        let id = envelope.id.clone();
        self.inner
            .deliver_to_own_address(envelope, Sink::Slot(slot.clone()))?;
        self.run_until_idle()?;
        let reply = slot.borrow_mut().take();
        if Rc::strong_count(&slot) == 1 {
            *self.inner.spare_slot.borrow_mut() = Some(slot);
        }
        reply.ok_or(HostError::NoReply { id })
    }

    /// Every reply in the outbox ([`Host::deliver`]), in arrival order.
    pub fn replies(&self) -> Vec<Envelope> {
        self.inner.replies.borrow().clone()
    }

    /// The reply in the outbox whose `replyTo` is `id`.
    pub fn reply_to(&self, id: &str) -> Option<Envelope> {
        self.inner
            .replies
            .borrow()
            .iter()
            .find(|e| e.reply_to.as_deref() == Some(id))
            .cloned()
    }

    /// Messages that could not be delivered (an unregistered kind, say).
    pub fn undelivered(&self) -> Vec<Undelivered> {
        self.inner.undelivered.borrow().clone()
    }

    /// Polls tasks until none is ready. When the host is idle but an `ask` still waits, the
    /// clock moves to the next alarm or ask deadline and work goes on (see [`super::ask`]),
    /// so a stuck ask ends in `timeout` here. Returns the polls made; more than the step
    /// bound is [`HostError::StepBound`].
    pub fn run_until_idle(&self) -> Result<usize, HostError> {
        let mut budget = Budget::new(self.inner.step_bound.get());
        self.settle(&mut budget)?;
        Ok(budget.used)
    }

    /// Moves the virtual clock forward by `ms`, firing every alarm and ask deadline on the
    /// way in time order (each at its own time, with the host run until idle after each),
    /// then runs until idle at the new time.
    pub fn advance(&self, ms: u64) -> Result<(), HostError> {
        let target = self.inner.clock.now().saturating_add(ms);
        let mut budget = Budget::new(self.inner.step_bound.get());
        loop {
            self.drain(&mut budget)?;
            if !self.inner.fire_next_event(Some(target)) {
                break;
            }
        }
        self.inner.clock.move_to(target);
        self.settle(&mut budget)
    }

    /// Steps the host one poll at a time until `condition` holds; fails when the host goes
    /// idle without it, or after the step bound.
    pub fn wait_until(&self, mut condition: impl FnMut(&Host) -> bool) -> Result<usize, HostError> {
        let bound = self.inner.step_bound.get();
        let mut steps = 0;
        loop {
            if condition(self) {
                return Ok(steps);
            }
            if steps >= bound {
                return Err(HostError::StepBound { bound });
            }
            if self.inner.executor.step() {
                steps += 1;
            } else if !self.inner.fire_due_or_stalled() {
                return Err(HostError::ConditionNotMet { steps });
            }
        }
    }

    fn drain(&self, budget: &mut Budget) -> Result<(), HostError> {
        match self.inner.executor.run(budget.left()) {
            RunOutcome::Idle(n) => {
                budget.used += n;
                Ok(())
            }
            RunOutcome::Bound => Err(HostError::StepBound {
                bound: budget.bound,
            }),
        }
    }

    fn settle(&self, budget: &mut Budget) -> Result<(), HostError> {
        loop {
            self.drain(budget)?;
            // Alarms and deadlines already due fire now; when an ask still waits, nothing
            // else can happen before the next event, so time moves to it.
            if !self.inner.fire_due_or_stalled() {
                return Ok(());
            }
            budget.used += 1; // moving time counts, so a stream of events cannot loop forever
            if budget.left() == 0 {
                return Err(HostError::StepBound {
                    bound: budget.bound,
                });
            }
        }
    }

    /// Drops the in-memory state of `address` and cancels its work in flight (callers of
    /// its pending asks get `actor_error`); its storage and alarm stay. A gateway's
    /// connections are closed, as a reset Durable Object's WebSockets are. The next message
    /// activates it again.
    pub fn restart(&self, address: &str) -> Result<(), HostError> {
        let address = parse(address)?;
        self.inner.reset(&address);
        self.inner.connections.close_all(&address);
        Ok(())
    }

    /// Restarts every instance (storage and alarms stay) and closes every connection, as
    /// a restart of the whole runtime does.
    pub fn restart_all(&self) {
        let addresses: Vec<Address> = self.inner.instances.borrow().keys().cloned().collect();
        for address in addresses {
            self.inner.reset(&address);
        }
        self.inner.connections.close_every();
    }

    /// Hibernation: drops the idle instance `address` but keeps its storage, alarm and
    /// client connections (with their session address); the next frame or message
    /// reactivates it. An instance with work in flight is [`HostError::Busy`].
    pub fn evict(&self, address: &str) -> Result<(), HostError> {
        let address = parse(address)?;
        let activation = self.inner.activation_of(&address);
        if activation.is_some_and(|serial| self.inner.executor.has_owned(&serial)) {
            return Err(HostError::Busy {
                address: address.to_string(),
            });
        }
        self.inner.reset(&address);
        Ok(())
    }

    /// Whether `address` is activated (in memory).
    pub fn is_active(&self, address: &str) -> bool {
        parse(address).is_ok_and(|a| self.inner.instances.borrow().contains_key(&a))
    }

    /// How many times `address` was activated.
    pub fn activations(&self, address: &str) -> u64 {
        parse(address)
            .ok()
            .and_then(|a| self.inner.activations.borrow().get(&a).copied())
            .unwrap_or(0)
    }

    /// The alarm of `address`, if armed (ms since the epoch).
    pub fn alarm(&self, address: &str) -> Option<u64> {
        let address = parse(address).ok()?;
        self.inner.alarms.get(&address)
    }

    /// The messages `address` sent itself for later ([`Ctx::send_self_after`](crate::Ctx::send_self_after))
    /// that its current activation will get, with their due times, in due order (a restart
    /// or an eviction drops them).
    pub fn later(&self, address: &str) -> Vec<(u64, Envelope)> {
        let Ok(address) = parse(address) else {
            return Vec::new();
        };
        let Some(activation) = self.inner.activation_of(&address) else {
            return Vec::new();
        };
        self.inner
            .waitlist
            .of(&address, activation)
            .into_iter()
            .map(|(due, later)| (due, later.envelope))
            .collect()
    }

    /// Drops the alarm of `address` while its timers stay stored: what workerd does to an
    /// alarm that kept failing past its retries. The next activation re-arms it.
    pub fn lose_alarm(&self, address: &str) -> Result<(), HostError> {
        self.inner.alarms.arm(&parse(address)?, None);
        Ok(())
    }

    /// The storage of `address` (created empty if it has none yet), to inspect or to
    /// inject faults into.
    pub fn storage_of(&self, address: &str) -> Result<Rc<FaultStorage>, HostError> {
        Ok(self.inner.storage(&parse(address)?))
    }

    /// Makes the next `n` writes of `address` fail.
    pub fn fail_next_writes(&self, address: &str, n: u64) -> Result<(), HostError> {
        let storage = self.storage_of(address)?;
        let plan = storage.plan();
        storage.set_plan(FaultPlan {
            fail_next: n,
            ..plan
        });
        Ok(())
    }

    /// Lets `n` more writes of `address` succeed, then makes every later write fail.
    pub fn fail_writes_after(&self, address: &str, n: u64) -> Result<(), HostError> {
        let storage = self.storage_of(address)?;
        let plan = storage.plan();
        storage.set_plan(FaultPlan {
            fail_after: Some(n),
            ..plan
        });
        Ok(())
    }

    /// Makes the next `n` synchronous reads of `address` fail: a table loading its rows on
    /// first use fails its turn (`actor_error`), and the next turn reads them again.
    pub fn fail_next_reads(&self, address: &str, n: u64) -> Result<(), HostError> {
        let storage = self.storage_of(address)?;
        let plan = storage.plan();
        storage.set_plan(FaultPlan {
            fail_reads: n,
            ..plan
        });
        Ok(())
    }

    /// Removes the injected faults of `address`.
    pub fn clear_faults(&self, address: &str) -> Result<(), HostError> {
        self.storage_of(address)?.set_plan(FaultPlan::default());
        Ok(())
    }

    /// The actor type registered for `kind`.
    pub fn info(&self, kind: &str) -> Option<&'static ActorInfo> {
        self.inner.registry.borrow().get(kind).map(|r| r.info)
    }

    /// Activates `address` if it is not active.
    pub(crate) fn activate(&self, address: &Address) -> Result<Activation, HostError> {
        self.inner.activate(address)
    }
}

struct Budget {
    bound: usize,
    used: usize,
}

impl Budget {
    fn new(bound: usize) -> Budget {
        Budget { bound, used: 0 }
    }
    fn left(&self) -> usize {
        self.bound.saturating_sub(self.used)
    }
}
