//! The engine of the native host: registered actor types, their instances and their
//! activation, routing between them, the executor, the virtual clock with its alarms,
//! messages for later and ask deadlines. [`Host`](super::Host) is a test's handle on it.

use super::ask::{Answer, Asks, Reply};
use super::clock::{Alarms, Clock};
use super::error::HostError;
use super::executor::Executor;
use super::faults::FaultStorage;
use super::hash::FxHashMap;
use super::later::{Waiting, Waitlist};
use super::port::{Engine, HostPort};
use super::sockets::Connections;
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::{delay_ms, Later};
use crate::platform::{KvStore, MemoryKv};
use crate::port::Port;
use crate::turn::Turns;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

/// The default bound on polls per [`Host::run_until_idle`](super::Host::run_until_idle) (and per
/// [`Host::advance`](super::Host::advance)).
pub const DEFAULT_STEP_BOUND: usize = 100_000;

/// After an alarm whose delivery failed (a storage fault), the host retries it this much
/// later, as Durable Objects retry failed alarms.
pub const ALARM_RETRY_MS: u64 = 1_000;

/// The task that handles `envelope` in a turn of `turns` and puts the reply in `sink`.
fn delivery(
    turns: Rc<dyn Turns>,
    host: Rc<HostInner>,
    envelope: Envelope,
    sink: Sink,
) -> LocalBoxFuture<'static, ()> {
    Box::pin(async move {
        let result = turns.run(&envelope).await;
        let reply = envelope.into_reply(result, host.fresh_id(), host.clock.now() as f64);
        host.put_reply(sink, reply);
    })
}

/// The task that delivers the due timers of `turns` and, when a delivery failed, retries the
/// alarm [`ALARM_RETRY_MS`] later.
fn timers_task(
    turns: Rc<dyn Turns>,
    host: Rc<HostInner>,
    port: Rc<HostPort>,
) -> LocalBoxFuture<'static, ()> {
    Box::pin(async move {
        if turns.deliver_due_timers().await.is_err() {
            host.retry_alarm(port.key());
        }
    })
}

/// How a registered type makes an instance's turns: `Target::__turns`.
pub(crate) type MakeTurns = fn(Rc<dyn Port>) -> Option<Rc<dyn Turns>>;

pub(crate) struct Registration {
    pub(crate) info: &'static ActorInfo,
    /// Its turns on a port (none for a gateway): `Target::__turns`.
    pub(crate) make: MakeTurns,
}

/// A live instance: its turns (none for a gateway) and its port.
#[derive(Clone)]
pub(crate) struct Activation {
    pub(crate) instance: Option<Rc<dyn Turns>>,
    pub(crate) port: Rc<HostPort>,
    pub(crate) info: &'static ActorInfo,
}

/// Where the reply of a delivery goes.
pub(crate) enum Sink {
    /// Fire-and-forget: dropped.
    Drop,
    /// An ask waiting for it.
    Answer(Answer),
    /// The host's reply outbox ([`Host::reply_to`](crate::native::Host::reply_to)).
    Outbox,
    /// One waiting [`Host::ask`](crate::native::Host::ask).
    Slot(ReplySlot),
}

type ReplySlot = Rc<RefCell<Option<Envelope>>>;

/// What the virtual clock fires next.
enum Event {
    /// The alarm of this instance.
    Alarm(Address),
    /// The earliest message for later ([`super::later`]).
    Later,
    /// The earliest ask deadline.
    Deadline,
}

/// A message that could not be delivered, with the reason.
#[derive(Debug, Clone)]
pub struct Undelivered {
    /// The envelope.
    pub envelope: Envelope,
    /// Why it was not delivered.
    pub reason: String,
}

/// What a name of the native host's environment is bound to: a text (a variable or a
/// secret) or a KV namespace.
#[derive(Clone)]
pub(crate) enum Bound {
    Text(String),
    Kv(MemoryKv),
}

pub(crate) struct HostInner {
    pub(crate) me: Weak<HostInner>,
    /// Tasks are owned by the activation (its serial) they run for.
    pub(crate) executor: Executor<u64>,
    pub(crate) clock: Clock,
    pub(crate) alarms: Alarms,
    /// Messages actors sent themselves for later, until due.
    pub(crate) waitlist: Waitlist,
    pub(crate) asks: Rc<Asks>,
    /// The environment: variables, secrets and bindings by name.
    pub(crate) env: RefCell<HashMap<String, Bound>>,
    pub(crate) connections: Connections,
    pub(crate) registry: RefCell<FxHashMap<&'static str, Registration>>,
    pub(crate) instances: RefCell<FxHashMap<Address, Activation>>,
    /// The address each tenant-scoped instance key stands for (absent: the key itself).
    pub(crate) names: RefCell<FxHashMap<Address, Address>>,
    pub(crate) storages: RefCell<FxHashMap<Address, Rc<FaultStorage>>>,
    pub(crate) activations: RefCell<FxHashMap<Address, u64>>,
    pub(crate) replies: RefCell<Vec<Envelope>>,
    /// A [`Host::ask`](crate::native::Host::ask) reply slot that nothing else holds, to reuse
    /// (one allocation less per ask).
    pub(crate) spare_slot: RefCell<Option<ReplySlot>>,
    pub(crate) undelivered: RefCell<Vec<Undelivered>>,
    pub(crate) next_id: Cell<u64>,
    pub(crate) next_activation: Cell<u64>,
    pub(crate) ask_timeout: Cell<u64>,
    pub(crate) step_bound: Cell<usize>,
}

pub(crate) fn parse(address: &str) -> Result<Address, HostError> {
    Address::parse(address).map_err(|reason| HostError::InvalidAddress {
        address: address.to_owned(),
        reason,
    })
}

impl HostInner {
    pub(crate) fn rc(&self) -> Rc<HostInner> {
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

    /// The activation serial of the live instance `key`, if any.
    pub(crate) fn activation_of(&self, key: &Address) -> Option<u64> {
        self.instances
            .borrow()
            .get(key)
            .map(|a| a.port.activation())
    }

    /// Drops the instance and cancels its tasks.
    pub(crate) fn reset(&self, address: &Address) {
        let removed = self.instances.borrow_mut().remove(address);
        if let Some(active) = &removed {
            if let Some(turns) = &active.instance {
                turns.unload();
            }
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
        let delivered = self
            .connections
            .broadcast(key, &envelope.encode_for_client());
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

    pub(crate) fn info_of(&self, kind: &str) -> Option<&'static ActorInfo> {
        self.registry.borrow().get(kind).map(|r| r.info)
    }

    /// Delivers `envelope` to the instance its `to` names, as a test's message is; an
    /// unregistered kind is an error here rather than an undelivered message.
    pub(crate) fn deliver_to_own_address(
        &self,
        envelope: Envelope,
        sink: Sink,
    ) -> Result<(), HostError> {
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
    pub(crate) fn start_delivery(&self, active: Activation, envelope: Envelope, sink: Sink) {
        let owner = active.port.activation();
        let Some(turns) = active.instance else {
            // A gateway takes no turns: what reaches it goes to its sockets.
            return self.push_to_sockets(&active.port.key().clone(), envelope, sink);
        };
        let task = delivery(turns, self.rc(), envelope, sink);
        self.executor.spawn(Some(owner), task);
    }

    /// Puts a delivery's reply where its sender waits for it.
    pub(crate) fn put_reply(&self, sink: Sink, reply: Envelope) {
        match sink {
            Sink::Drop => {}
            Sink::Answer(answer) => answer.answer(Ok(reply)),
            Sink::Outbox => self.replies.borrow_mut().push(reply),
            Sink::Slot(slot) => *slot.borrow_mut() = Some(reply),
        }
    }

    /// Routes an ask; the returned future resolves to the reply or `timeout`.
    pub(crate) fn route_ask(&self, kind: &'static str, envelope: Envelope) -> Reply {
        let set = self.var(crate::ASK_TIMEOUT_MS.var);
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

    pub(crate) fn undeliverable(&self, envelope: Envelope, sink: Sink, reason: String) {
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

    /// Fires the earliest alarm, message for later or ask deadline at or before `limit` (any
    /// when `None`), moving the clock to its time. False when there is none.
    pub(crate) fn fire_next_event(&self, limit: Option<u64>) -> bool {
        let Some((at, event)) = self.next_event() else {
            return false;
        };
        if limit.is_some_and(|limit| at > limit) {
            return false;
        }
        self.clock.move_to(at);
        match event {
            Event::Alarm(address) => {
                self.alarms.take(&address, at);
                self.fire_alarm(address);
            }
            Event::Later => self.fire_later(),
            Event::Deadline => {
                self.asks.expire_one(self.clock.now());
            }
        }
        true
    }

    /// The earliest event and its time; on a tie, alarms first, then messages for later,
    /// then ask deadlines.
    fn next_event(&self) -> Option<(u64, Event)> {
        let alarm = self.alarms.earliest().map(|(at, a)| (at, Event::Alarm(a)));
        let later = self.waitlist.earliest().map(|at| (at, Event::Later));
        let deadline = self
            .asks
            .earliest_deadline()
            .map(|at| (at, Event::Deadline));
        [alarm, later, deadline]
            .into_iter()
            .flatten()
            .min_by_key(|(at, _)| *at)
    }

    /// Delivers the earliest message for later in a task of its activation, if that
    /// activation is still the instance's; else drops it (a restart or eviction lost it).
    fn fire_later(&self) {
        let Some(waiting) = self.waitlist.take_earliest() else {
            return;
        };
        let active = self.instances.borrow().get(&waiting.key).cloned();
        let Some(active) = active.filter(|a| a.port.activation() == waiting.activation) else {
            return;
        };
        if let Some(turns) = active.instance {
            let task = Box::pin(async move {
                // A failed turn is the actor's to see in its state; nothing waits for a reply.
                let _ = turns.deliver_later(waiting.later).await;
            });
            self.executor.spawn(Some(waiting.activation), task);
        }
    }

    /// Delivers the due timers of `address` (activating it) in a task of its own.
    pub(crate) fn fire_alarm(&self, address: Address) {
        match self.activate(&address) {
            Ok(active) => {
                let owner = active.port.activation();
                let Some(turns) = active.instance else {
                    return; // a gateway has no timers
                };
                let task = timers_task(turns, self.rc(), active.port);
                self.executor.spawn(Some(owner), task);
            }
            Err(_) => self.retry_alarm(&address),
        }
    }

    /// Re-arms the alarm of `address` [`ALARM_RETRY_MS`] from now, after a failed delivery.
    pub(crate) fn retry_alarm(&self, address: &Address) {
        let retry = self.clock.now().saturating_add(ALARM_RETRY_MS);
        self.alarms.arm(address, Some(retry));
    }
}

impl Engine for HostInner {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    fn fresh_id(&self) -> String {
        HostInner::fresh_id(self)
    }

    fn send(&self, kind: &'static str, envelope: Envelope) {
        self.route(kind, envelope, Sink::Drop);
    }

    fn ask(&self, kind: &'static str, envelope: Envelope) -> Reply {
        self.route_ask(kind, envelope)
    }

    fn spawn(&self, owner: u64, work: LocalBoxFuture<'static, ()>) {
        self.executor.spawn(Some(owner), work);
    }

    fn arm_alarm(&self, key: &Address, at: Option<u64>) {
        self.alarms.arm(key, at);
    }

    fn deliver_later(&self, key: &Address, activation: u64, delay: Duration, later: Later) {
        let due = self.clock.now().saturating_add(delay_ms(delay));
        let waiting = Waiting {
            key: key.clone(),
            activation,
            later,
        };
        self.waitlist.hold(due, waiting);
    }

    fn var(&self, name: &str) -> Option<String> {
        match self.env.borrow().get(name)? {
            Bound::Text(text) => Some(text.clone()),
            Bound::Kv(_) => None,
        }
    }

    fn kv(&self, name: &str) -> Option<Rc<dyn KvStore>> {
        match self.env.borrow().get(name)? {
            Bound::Kv(kv) => Some(Rc::new(kv.clone())),
            Bound::Text(_) => None,
        }
    }
}
