//! The context a handler gets: its address, the clock, messaging, storage, timers, messages
//! for later and background work. A host (native or Durable Object) provides it through [`Port`].

use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::delay_ms;
use crate::limit::{Limit, MAX_ID_BYTES};
use crate::message::Message;
use crate::platform::sql::SqlWrite;
use crate::port::Port;
use crate::principal::Principal;
use crate::timer::{TimerInfo, Timers};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The context of one turn: handed to every handler.
///
/// Nothing a handler does through it leaves the turn before the turn commits: sends wait in
/// the turn's outbox and timers set or cancelled are staged. When the handler returns `Ok`,
/// [`Instance`](crate::instance::Instance) writes the state's changes and the timers in one
/// batch and only then hands the sends to the host (as a Durable Object's output gate holds
/// messages until storage confirms); when it returns `Err`, or the write fails, they are all
/// dropped.
pub struct Ctx {
    port: Rc<dyn Port>,
    sender: Address,
    principal: Option<Arc<Principal>>,
    outbox: RefCell<Vec<(&'static ActorInfo, Envelope)>>,
    timers: RefCell<Timers>,
    /// Work that runs once the turn committed ([`Ctx::after_commit`]): KV writes, say.
    effects: RefCell<Vec<LocalBoxFuture<'static, ()>>>,
    /// SQL writes ([`Sql::execute`](crate::Sql::execute)), run in one transaction with the
    /// turn's commit.
    sql_writes: RefCell<Vec<SqlWrite>>,
    /// Messages to this actor for later ([`Ctx::send_self_after`]), held in memory once the
    /// turn committed.
    later: RefCell<Vec<(Duration, Envelope)>>,
}

/// What a turn leaves for its commit: its sends, in order, its timers with their changes, the
/// work to start and the messages for later to hand the host once it committed.
pub(crate) struct Outcome {
    pub(crate) sends: Vec<(&'static ActorInfo, Envelope)>,
    pub(crate) timers: Timers,
    pub(crate) effects: Vec<LocalBoxFuture<'static, ()>>,
    pub(crate) sql_writes: Vec<SqlWrite>,
    pub(crate) later: Vec<(Duration, Envelope)>,
}

impl Ctx {
    /// The context of a turn handling a message from `sender`, caused by `principal`, over
    /// the instance's `timers`.
    pub(crate) fn new(
        port: Rc<dyn Port>,
        sender: Address,
        principal: Option<Arc<Principal>>,
        timers: Timers,
    ) -> Ctx {
        Ctx {
            port,
            sender,
            principal,
            outbox: RefCell::new(Vec::new()),
            timers: RefCell::new(timers),
            effects: RefCell::new(Vec::new()),
            sql_writes: RefCell::new(Vec::new()),
            later: RefCell::new(Vec::new()),
        }
    }

    /// Ends the turn's use of the context: what it leaves to commit.
    pub(crate) fn into_outcome(self) -> Outcome {
        Outcome {
            sends: self.outbox.into_inner(),
            timers: self.timers.into_inner(),
            effects: self.effects.into_inner(),
            sql_writes: self.sql_writes.into_inner(),
            later: self.later.into_inner(),
        }
    }

    /// The SQL writes held until the turn commits ([`Sql::execute`](crate::Sql::execute)).
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    pub(crate) fn held_sql(&self) -> &RefCell<Vec<SqlWrite>> {
        &self.sql_writes
    }

    /// Holds `envelope` for `target` until the turn commits ([`ActorRef::send`](crate::ActorRef::send)).
    pub(crate) fn queue_send(&self, target: &'static ActorInfo, envelope: Envelope) {
        let mut outbox = self.outbox.borrow_mut();
        if outbox.capacity() == 0 {
            outbox.reserve_exact(1); // most turns send one message: not room for four
        }
        outbox.push((target, envelope));
    }

    /// Who caused this turn: the authenticated principal (and tenant) of the client whose
    /// request led here, `None` when authentication is off or no client caused it.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_deref()
    }

    /// The value of a declared [`Limit`] (its variable, else its default).
    pub fn limit(&self, limit: Limit) -> u64 {
        self.port.limit(limit)
    }

    /// `Ok` when `id` (a payload field named `field`) is within [`MAX_ID_BYTES`], else
    /// `invalid_payload`.
    pub fn check_id(&self, field: &str, id: &str) -> Result<(), Error> {
        crate::limit::check_id(field, id, self.limit(MAX_ID_BYTES))
    }

    /// This actor's address.
    pub fn me(&self) -> &Address {
        self.port.address()
    }

    /// The `from` of the message being handled.
    pub fn sender(&self) -> &Address {
        &self.sender
    }

    /// Milliseconds since the Unix epoch (virtual on the native host).
    pub fn now(&self) -> u64 {
        self.port.now()
    }

    /// A configuration variable.
    pub fn var(&self, name: &str) -> Option<String> {
        self.port.var(name)
    }

    /// A configuration variable parsed as `T`, or `default` when unset or unparsable.
    pub fn var_or<T: FromStr>(&self, name: &str, default: T) -> T {
        self.var(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }

    /// Builds a request envelope from this actor.
    pub fn envelope<M: Message>(&self, to: &Address, msg: &M) -> Result<Envelope, Error> {
        let now = self.now() as f64;
        let mut envelope = Envelope::request(
            to.clone(),
            self.me().clone(),
            M::TYPE,
            msg,
            self.port.fresh_id(),
            now,
        )?;
        envelope.principal = self.principal.clone();
        Ok(envelope)
    }

    /// Sets the durable timer `name`: `msg` is delivered to this actor at `at` (ms since the
    /// epoch), in a turn of its own, even across restarts. A timer of the same name set
    /// earlier is replaced: it will not be delivered. Takes effect when the turn commits.
    pub fn set_timer_at<M: Message>(&self, name: &str, at: u64, msg: &M) -> Result<(), Error> {
        let envelope = self.envelope(self.me(), msg)?;
        self.timers.borrow_mut().set(name, at, envelope.encode())
    }

    /// Sets the durable timer `name` to deliver `msg` after `delay` (see [`Ctx::set_timer_at`]).
    pub fn set_timer<M: Message>(&self, name: &str, delay: Duration, msg: &M) -> Result<(), Error> {
        self.set_timer_at(name, self.now().saturating_add(delay_ms(delay)), msg)
    }

    /// Sets the recurring timer `name`: `msg` is delivered after `every`, then every `every`
    /// after each delivery (from the delivery's time when it fell behind), until cancelled or
    /// set again. Takes effect when the turn commits.
    pub fn set_interval<M: Message>(
        &self,
        name: &str,
        every: Duration,
        msg: &M,
    ) -> Result<(), Error> {
        let every = delay_ms(every).max(1);
        let envelope = self.envelope(self.me(), msg)?;
        let due = self.now().saturating_add(every);
        self.timers
            .borrow_mut()
            .set_recurring(name, due, every, envelope.encode())
    }

    /// Sends `msg` to this actor after `delay`, in memory: it arrives in a turn of its own, as
    /// a durable timer's message does, but nothing is stored and no alarm is set, so it costs
    /// no write. It belongs to this activation: if the instance leaves memory first (evicted,
    /// restarted, or its state dropped after a failed turn), it is never delivered. Re-arm
    /// what the state calls for in `#[route(on_activate)]`; for a message that must arrive
    /// whatever happens, use [`Ctx::set_timer`]. There is no cancelling it: the handler checks
    /// the state when it arrives. Takes effect when the turn commits.
    pub fn send_self_after<M: Message>(&self, delay: Duration, msg: &M) -> Result<(), Error> {
        let envelope = self.envelope(self.me(), msg)?;
        self.later.borrow_mut().push((delay, envelope));
        Ok(())
    }

    /// Every timer of this actor as this turn sees it, in due order.
    pub fn timers(&self) -> Vec<TimerInfo> {
        self.timers.borrow().list()
    }

    /// Cancels the timer `name` when the turn commits: it will not be delivered. Cancelling a
    /// timer that fired or never existed does nothing.
    pub fn cancel_timer(&self, name: &str) {
        self.timers.borrow_mut().cancel(name);
    }

    /// When the timer `name` is due (ms since the epoch), as this turn sees it; `None` when
    /// no such timer is set. A timer being delivered is no longer set in its own turn.
    pub fn timer(&self, name: &str) -> Option<u64> {
        self.timers.borrow().due_of(name)
    }

    /// Runs `work` in the background once the turn committed (after its sends left), and
    /// never if the turn fails: for effects outside the actor's storage (a write to an R2
    /// bucket or a D1 database, a call to a service) that must follow the turn's rule, all or
    /// nothing. KV writes through [`Ctx::env`] go this way.
    pub fn after_commit(&self, work: impl Future<Output = ()> + 'static) {
        self.effects.borrow_mut().push(Box::pin(work));
    }

    /// Runs `work` in the background; the reply does not wait for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + 'static) {
        self.port.spawn(Box::pin(work));
    }

    /// The host port, for framework code.
    pub fn port(&self) -> &Rc<dyn Port> {
        &self.port
    }
}
