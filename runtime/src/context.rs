//! The context a handler gets: its address, the clock, messaging, storage, timers and
//! background work. A host (native or Durable Object) provides it through [`Port`].

use crate::actor::{Actor, ActorInfo, Handles};
use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::limit::{Limit, MAX_ID_BYTES};
use crate::message::Message;
use crate::principal::Principal;
use crate::storage::Storage;
use crate::timer::{TimerInfo, Timers};
use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;
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
    /// The durable timers changed; `next` is the earliest due time (ms since the epoch). The
    /// host arms its alarm for it (or clears it).
    fn arm_alarm(&self, next: Option<u64>);
    /// A configuration variable (`WORK_MS`, ...).
    fn var(&self, name: &str) -> Option<String>;
}

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
}

/// What a turn leaves for its commit: its sends, in order, and its timers with their changes.
pub(crate) struct Outcome {
    pub(crate) sends: Vec<(&'static ActorInfo, Envelope)>,
    pub(crate) timers: Timers,
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
        }
    }

    /// Ends the turn's use of the context: what it leaves to commit.
    pub(crate) fn into_outcome(self) -> Outcome {
        Outcome {
            sends: self.outbox.into_inner(),
            timers: self.timers.into_inner(),
        }
    }

    /// Who caused this turn: the authenticated principal (and tenant) of the client whose
    /// request led here, `None` when authentication is off or no client caused it.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_deref()
    }

    /// The value of a declared [`Limit`] (its variable, else its default).
    pub fn limit(&self, limit: Limit) -> u64 {
        limit.read(&*self.port)
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

    /// The actor of type `A` with instance id `id`, to [`send`](ActorRef::send) or
    /// [`ask`](ActorRef::ask): `ctx.actor::<Worker>("w1").send(&ProcessTask { .. })`.
    pub fn actor<A: Actor>(&self, id: &str) -> ActorRef<'_, A> {
        let to = Address::new(A::INFO.kind, id).map_err(|e| Error::InvalidAddress {
            to: format!("{}:{id} ({e})", A::INFO.kind),
        });
        ActorRef {
            ctx: self,
            to,
            principal: None,
            actor: PhantomData,
        }
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
        let delay = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.set_timer_at(name, self.now().saturating_add(delay), msg)
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
        let every = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
        let envelope = self.envelope(self.me(), msg)?;
        let due = self.now().saturating_add(every);
        self.timers
            .borrow_mut()
            .set_recurring(name, due, every, envelope.encode())
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

    /// Runs `work` in the background; the reply does not wait for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + 'static) {
        self.port.spawn(Box::pin(work));
    }

    /// The host port, for framework code.
    pub fn port(&self) -> &Rc<dyn Port> {
        &self.port
    }
}

/// An actor of type `A` to message, from [`Ctx::actor`]. Only messages `A` handles compile.
pub struct ActorRef<'c, A: Actor> {
    ctx: &'c Ctx,
    /// The target's address, built once (or why `kind:id` is not one).
    to: Result<Address, Error>,
    /// The principal the envelopes carry instead of the turn's ([`ActorRef::for_principal`]).
    principal: Option<Option<Arc<Principal>>>,
    actor: PhantomData<A>,
}

impl<A: Actor> ActorRef<'_, A> {
    /// The target's address, `kind:id`.
    pub fn address(&self) -> Result<Address, Error> {
        self.to.clone()
    }

    /// Sends on behalf of `principal` instead of the principal whose request caused this turn:
    /// it picks the target's instance (its tenant's; for a session, the principal's own). A
    /// room that pushes to its members' sessions keeps each member's `ctx.principal()` from
    /// when they joined and pushes with it.
    pub fn for_principal(mut self, principal: Option<&Principal>) -> Self {
        self.principal = Some(principal.cloned().map(Arc::new));
        self
    }

    /// The request envelope of `msg` to the target.
    fn envelope<M: Message>(&self, msg: &M) -> Result<Envelope, Error> {
        let to = self.to.as_ref().map_err(Clone::clone)?;
        let mut envelope = self.ctx.envelope(to, msg)?;
        if let Some(principal) = &self.principal {
            envelope.principal = principal.clone();
        }
        Ok(envelope)
    }

    /// Sends `msg` without waiting: it leaves when the turn's writes are stored, and is
    /// delivered in the background (Durable Objects' `wait_until`), reply dropped. Never
    /// blocks, so it is safe in any direction.
    pub fn send<M: Message>(&self, msg: &M) -> Result<(), Error>
    where
        A: Handles<M>,
    {
        let envelope = self.envelope(msg)?;
        let mut outbox = self.ctx.outbox.borrow_mut();
        if outbox.capacity() == 0 {
            outbox.reserve_exact(1); // most turns send one message: not room for four
        }
        outbox.push((A::INFO, envelope));
        Ok(())
    }

    /// Sends `msg` and waits for the reply.
    ///
    /// Turns of one instance never overlap, so an ask that (directly or not) waits on the
    /// asking instance cannot be served: it ends in a `timeout` error, not a hang. Use
    /// [`ActorRef::send`] for calls that may come back.
    pub fn ask<M: Message>(
        &self,
        msg: &M,
    ) -> impl Future<Output = Result<<A as Handles<M>>::Reply, Error>> + 'static
    where
        A: Handles<M>,
    {
        let request = self.envelope(msg);
        let port = self.ctx.port.clone();
        async move {
            let reply = port.ask(A::INFO, request?).await?;
            let payload = reply.into_result()?;
            serde_json::from_str(payload.get()).map_err(|e| Error::ActorError {
                reason: format!("reply to {} does not decode: {e}", M::TYPE),
            })
        }
    }
}
