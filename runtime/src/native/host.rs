//! The host: registered actor types, their instances, the executor, the virtual clock, and
//! the drivers a test calls ([`Host::run_until_idle`], [`Host::advance`], ...).

use super::ask::{Answer, Asks, Reply};
use super::clock::{Alarms, Clock, DEFAULT_EPOCH_MS};
use super::connection::Connections;
use super::error::HostError;
use super::executor::{Executor, RunOutcome};
use super::faults::{FaultPlan, FaultStorage};
use super::hash::FxHashMap;
use super::port::HostPort;
use crate::actor::{Actor, ActorInfo};
use crate::address::Address;
use crate::context::Port;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::instance::Instance;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

/// The default bound on polls per [`Host::run_until_idle`] (and per [`Host::advance`]).
pub const DEFAULT_STEP_BOUND: usize = 100_000;

/// After an alarm whose delivery failed (a storage fault), the host retries it this much
/// later, as Durable Objects retry failed alarms.
pub const ALARM_RETRY_MS: u64 = 1_000;

/// An instance as the host holds it, its actor type erased. Each method builds a whole
/// task for the executor (one box per delivery: the typed turn is inlined into it).
pub(crate) trait Hosted {
    /// The task that handles `envelope` in its turn and puts the reply in `sink`.
    fn deliver(
        self: Rc<Self>,
        host: Rc<HostInner>,
        envelope: Envelope,
        sink: Sink,
    ) -> LocalBoxFuture<'static, ()>;
    /// The task that delivers the due timers and, when a delivery failed, retries the alarm
    /// [`ALARM_RETRY_MS`] later.
    fn fire_timers(
        self: Rc<Self>,
        host: Rc<HostInner>,
        port: Rc<HostPort>,
    ) -> LocalBoxFuture<'static, ()>;
    /// Drops the in-memory state; a turn in flight does not put it back.
    fn unload(&self);
}

impl<A: Actor> Hosted for Instance<A> {
    fn deliver(
        self: Rc<Self>,
        host: Rc<HostInner>,
        envelope: Envelope,
        sink: Sink,
    ) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move {
            let result = self.run_turn(&envelope).await;
            let reply = envelope.into_reply(result, host.fresh_id(), host.clock.now() as f64);
            host.put_reply(sink, reply);
        })
    }

    fn fire_timers(
        self: Rc<Self>,
        host: Rc<HostInner>,
        port: Rc<HostPort>,
    ) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move {
            if self.deliver_due_timers().await.is_err() {
                host.retry_alarm(port.key());
            }
        })
    }

    fn unload(&self) {
        Instance::unload(self);
    }
}

fn make_instance<A: Actor>(port: Rc<dyn Port>) -> Rc<dyn Hosted> {
    Rc::new(Instance::<A>::new(port))
}

struct Registration {
    info: &'static ActorInfo,
    make: fn(Rc<dyn Port>) -> Rc<dyn Hosted>,
}

/// A live instance: the actor and its port.
#[derive(Clone)]
pub(crate) struct Activation {
    pub(crate) instance: Rc<dyn Hosted>,
    pub(crate) port: Rc<HostPort>,
    pub(crate) info: &'static ActorInfo,
}

/// Where the reply of a delivery goes.
pub(crate) enum Sink {
    /// Fire-and-forget: dropped.
    Drop,
    /// An ask waiting for it.
    Answer(Answer),
    /// The host's reply outbox ([`Host::reply_to`]).
    Outbox,
    /// One waiting [`Host::ask`].
    Slot(ReplySlot),
}

type ReplySlot = Rc<RefCell<Option<Envelope>>>;

/// A message that could not be delivered, with the reason.
#[derive(Debug, Clone)]
pub struct Undelivered {
    /// The envelope.
    pub envelope: Envelope,
    /// Why it was not delivered.
    pub reason: String,
}

pub(crate) struct HostInner {
    me: Weak<HostInner>,
    /// Tasks are owned by the activation (its serial) they run for.
    pub(crate) executor: Executor<u64>,
    pub(crate) clock: Clock,
    pub(crate) alarms: Alarms,
    pub(crate) asks: Rc<Asks>,
    pub(crate) vars: RefCell<HashMap<String, String>>,
    pub(crate) connections: Connections,
    registry: RefCell<FxHashMap<&'static str, Registration>>,
    instances: RefCell<FxHashMap<Address, Activation>>,
    /// The address each tenant-scoped instance key stands for (absent: the key itself).
    names: RefCell<FxHashMap<Address, Address>>,
    storages: RefCell<FxHashMap<Address, Rc<FaultStorage>>>,
    activations: RefCell<FxHashMap<Address, u64>>,
    replies: RefCell<Vec<Envelope>>,
    /// A [`Host::ask`] reply slot that nothing else holds, to reuse (one allocation less
    /// per ask).
    spare_slot: RefCell<Option<ReplySlot>>,
    undelivered: RefCell<Vec<Undelivered>>,
    next_id: Cell<u64>,
    next_activation: Cell<u64>,
    ask_timeout: Cell<u64>,
    step_bound: Cell<usize>,
}

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
            asks: Rc::new(Asks::default()),
            vars: RefCell::new(HashMap::new()),
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
    pub fn with<A: Actor>(self) -> Host {
        self.register::<A>();
        self
    }

    /// Registers actor type `A` under its kind.
    pub fn register<A: Actor>(&self) {
        self.inner.registry.borrow_mut().insert(
            A::INFO.kind,
            Registration {
                info: A::INFO,
                make: make_instance::<A>,
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
        self.inner
            .vars
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
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
        let activation = self
            .inner
            .instances
            .borrow()
            .get(&address)
            .map(|a| a.port.activation());
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

pub(crate) fn parse(address: &str) -> Result<Address, HostError> {
    Address::parse(address).map_err(|reason| HostError::InvalidAddress {
        address: address.to_owned(),
        reason,
    })
}

impl HostInner {
    fn rc(&self) -> Rc<HostInner> {
        self.me
            .upgrade()
            .expect("a HostInner method runs while the host is alive")
    }

    /// `m1`, `m2`, ...: unique on this host (built by hand: this runs twice per message).
    pub(crate) fn fresh_id(&self) -> String {
        let mut n = self.next_id.get() + 1;
        self.next_id.set(n);
        let mut text = [0u8; 21];
        let mut at = text.len();
        while n > 0 {
            at -= 1;
            text[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        at -= 1;
        text[at] = b'm';
        // ASCII, so the conversion cannot fail.
        String::from_utf8(text[at..].to_vec()).unwrap_or_default()
    }

    pub(crate) fn storage(&self, address: &Address) -> Rc<FaultStorage> {
        self.storages
            .borrow_mut()
            .entry(address.clone())
            .or_default()
            .clone()
    }

    pub(crate) fn activate(&self, address: &Address) -> Result<Activation, HostError> {
        if let Some(active) = self.instances.borrow().get(address) {
            return Ok(active.clone());
        }
        let (info, make) = {
            let registry = self.registry.borrow();
            let reg = registry
                .get(address.kind())
                .ok_or_else(|| HostError::UnknownKind {
                    kind: address.kind().to_owned(),
                })?;
            (reg.info, reg.make)
        };
        let serial = self.next_activation.get() + 1;
        self.next_activation.set(serial);
        let shown = self.names.borrow().get(address).cloned();
        let port = Rc::new(HostPort::new(
            address.clone(),
            shown.unwrap_or_else(|| address.clone()),
            serial,
            self.me.clone(),
            self.storage(address),
        ));
        let activation = Activation {
            instance: make(port.clone()),
            port,
            info,
        };
        self.instances
            .borrow_mut()
            .insert(address.clone(), activation.clone());
        *self
            .activations
            .borrow_mut()
            .entry(address.clone())
            .or_default() += 1;
        Ok(activation)
    }

    /// Drops the instance and cancels its tasks.
    fn reset(&self, address: &Address) {
        let removed = self.instances.borrow_mut().remove(address);
        if let Some(active) = &removed {
            active.instance.unload();
            self.executor.cancel_owned(&active.port.activation());
        }
        drop(removed);
    }

    /// Routes `envelope` to the instance of kind `kind` named by its `to` id, as the Durable
    /// Object adapter does (namespace by the target type, object by name).
    pub(crate) fn route(&self, kind: &'static str, envelope: Envelope, sink: Sink) {
        let address = if envelope.to.kind() == kind {
            envelope.to.clone()
        } else {
            match Address::new(kind, envelope.to.id()) {
                Ok(address) => address,
                Err(e) => return self.undeliverable(envelope, sink, e.to_string()),
            }
        };
        let gateway = self
            .info_of(kind)
            .is_some_and(|info| info.gateway.is_some());
        let key = match self.instance_key(&address, envelope.principal.as_deref(), gateway) {
            Ok(key) => key,
            Err(e) => return self.undeliverable(envelope, sink, e.to_string()),
        };
        if gateway {
            return self.push_to_sockets(&key, envelope, sink);
        }
        match self.activate(&key) {
            Ok(active) => self.start_delivery(active, envelope, sink),
            Err(e) => self.undeliverable(envelope, sink, e.to_string()),
        }
    }

    /// An actor's envelope to a gateway instance: pushed to each of its open sockets (without
    /// its principal, as on Durable Objects); the reply says to how many.
    fn push_to_sockets(&self, key: &Address, mut envelope: Envelope, sink: Sink) {
        envelope.principal = None;
        let delivered = self.connections.broadcast(key, &envelope.encode());
        let result = crate::envelope::to_raw(&crate::gateway::Delivered { delivered });
        let reply = envelope.reply(result, self.fresh_id(), self.clock.now() as f64);
        self.put_reply(sink, reply);
    }

    /// The key of the instance behind `address` for `principal`: scoped by its tenant (a
    /// gateway's: by the principal), as the Durable Object host names instances.
    pub(crate) fn instance_key(
        &self,
        address: &Address,
        principal: Option<&crate::Principal>,
        gateway: bool,
    ) -> Result<Address, crate::AddressError> {
        let Some(principal) = principal else {
            return Ok(address.clone());
        };
        let scope = principal.scope(gateway);
        let key = Address::new(
            address.kind(),
            &crate::scoped_name(Some(scope), address.id()),
        )?;
        self.names.borrow_mut().insert(key.clone(), address.clone());
        Ok(key)
    }

    fn info_of(&self, kind: &str) -> Option<&'static ActorInfo> {
        self.registry.borrow().get(kind).map(|r| r.info)
    }

    /// Delivers `envelope` to the instance its `to` names, as a test's message is; an
    /// unregistered kind is an error here rather than an undelivered message.
    fn deliver_to_own_address(&self, envelope: Envelope, sink: Sink) -> Result<(), HostError> {
        let gateway = self
            .info_of(envelope.to.kind())
            .is_some_and(|info| info.gateway.is_some());
        let key = self
            .instance_key(&envelope.to, envelope.principal.as_deref(), gateway)
            .map_err(|reason| HostError::InvalidAddress {
                address: envelope.to.to_string(),
                reason,
            })?;
        let active = self.activate(&key)?;
        self.start_delivery(active, envelope, sink);
        Ok(())
    }

    /// Queues the task that handles `envelope` in a turn of `active`.
    fn start_delivery(&self, active: Activation, envelope: Envelope, sink: Sink) {
        let owner = active.port.activation();
        let task = active.instance.deliver(self.rc(), envelope, sink);
        self.executor.spawn(Some(owner), task);
    }

    /// Puts a delivery's reply where its sender waits for it.
    fn put_reply(&self, sink: Sink, reply: Envelope) {
        match sink {
            Sink::Drop => {}
            Sink::Answer(answer) => answer.answer(Ok(reply)),
            Sink::Outbox => self.replies.borrow_mut().push(reply),
            Sink::Slot(slot) => *slot.borrow_mut() = Some(reply),
        }
    }

    /// Routes an ask; the returned future resolves to the reply or `timeout`.
    pub(crate) fn route_ask(&self, kind: &'static str, envelope: Envelope) -> Reply {
        let set = self.vars.borrow().get(crate::ASK_TIMEOUT_MS.var).cloned();
        let timeout = match set {
            Some(value) => crate::ASK_TIMEOUT_MS.parse(Some(&value)),
            None => self.ask_timeout.get(),
        };
        let deadline = self.clock.now().saturating_add(timeout);
        let what = (envelope.message_type.clone(), envelope.to.clone());
        let (answer, reply) = self.asks.register(deadline, what);
        self.route(kind, envelope, Sink::Answer(answer));
        reply
    }

    fn undeliverable(&self, envelope: Envelope, sink: Sink, reason: String) {
        let error = Error::ActorError {
            reason: reason.clone(),
        };
        match sink {
            Sink::Drop => {}
            Sink::Answer(answer) => answer.answer(Err(error)),
            Sink::Outbox => {
                let reply = envelope.reply(Err(error), self.fresh_id(), self.clock.now() as f64);
                self.replies.borrow_mut().push(reply);
            }
            Sink::Slot(slot) => {
                let reply = envelope.reply(Err(error), self.fresh_id(), self.clock.now() as f64);
                *slot.borrow_mut() = Some(reply);
            }
        }
        self.undelivered
            .borrow_mut()
            .push(Undelivered { envelope, reason });
    }

    /// Fires an alarm or ask deadline that is due, or, when an ask waits and nothing is
    /// due, the next one (moving the clock). False when nothing fired.
    pub(crate) fn fire_due_or_stalled(&self) -> bool {
        self.fire_next_event(Some(self.clock.now()))
            || (self.asks.any_pending() && self.fire_next_event(None))
    }

    /// Fires the earliest alarm or ask deadline at or before `limit` (any when `None`),
    /// moving the clock to its time. False when there is none.
    pub(crate) fn fire_next_event(&self, limit: Option<u64>) -> bool {
        let alarm = self.alarms.earliest();
        let deadline = self.asks.earliest_deadline();
        let alarm_first = match (&alarm, deadline) {
            (Some((at, _)), Some(d)) => *at <= d,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return false,
        };
        let at = if alarm_first {
            alarm.as_ref().map_or(0, |(at, _)| *at)
        } else {
            deadline.unwrap_or(0)
        };
        if limit.is_some_and(|limit| at > limit) {
            return false;
        }
        self.clock.move_to(at);
        match alarm {
            Some((at, address)) if alarm_first => {
                self.alarms.take(&address, at);
                self.fire_alarm(address);
            }
            _ => {
                self.asks.expire_one(self.clock.now());
            }
        }
        true
    }

    /// Delivers the due timers of `address` (activating it) in a task of its own.
    fn fire_alarm(&self, address: Address) {
        match self.activate(&address) {
            Ok(active) => {
                let owner = active.port.activation();
                let task = active.instance.fire_timers(self.rc(), active.port);
                self.executor.spawn(Some(owner), task);
            }
            Err(_) => self.retry_alarm(&address),
        }
    }

    /// Re-arms the alarm of `address` [`ALARM_RETRY_MS`] from now, after a failed delivery.
    fn retry_alarm(&self, address: &Address) {
        let retry = self.clock.now().saturating_add(ALARM_RETRY_MS);
        self.alarms.arm(address, Some(retry));
    }
}
