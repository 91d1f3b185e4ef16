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
use crate::storage::{Storage, WriteBatch};
use crate::timer;
use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;

/// What a host provides to the actors it runs. One `Port` per actor instance.
pub trait Port {
    /// The instance's own address.
    fn address(&self) -> &Address;
    /// Milliseconds since the Unix epoch (virtual on the native host).
    fn now(&self) -> f64;
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
    /// The durable timers changed; `next` is the earliest due time. The host arms its alarm.
    fn arm_alarm(&self, next: Option<f64>);
    /// A configuration variable (`WORK_MS`, ...).
    fn var(&self, name: &str) -> Option<String>;
}

/// The context of one turn: handed to every handler.
///
/// Fire-and-forget sends wait in the turn's outbox and leave only after the turn's writes are
/// stored ([`Ctx::flush_sends`], called by the host), as a Durable Object's output gate holds
/// messages until storage confirms: a receiver never sees a message about state its sender
/// failed to store, and a failed turn sends nothing. Timers set or cancelled in the turn are
/// written together at its end ([`Ctx::commit_timers`], called by the host).
pub struct Ctx {
    port: Rc<dyn Port>,
    sender: Address,
    principal: Option<Arc<Principal>>,
    outbox: RefCell<Vec<(&'static ActorInfo, Envelope)>>,
    timer_writes: RefCell<WriteBatch>,
}

impl Ctx {
    /// The context of a turn handling a message from `sender`.
    pub fn new(port: Rc<dyn Port>, sender: Address) -> Ctx {
        Ctx {
            port,
            sender,
            principal: None,
            outbox: RefCell::new(Vec::new()),
            timer_writes: RefCell::new(WriteBatch::default()),
        }
    }

    /// The same context for a turn caused by `principal`: what [`Ctx::principal`] answers and
    /// what every envelope the turn sends carries.
    pub fn with_principal(mut self, principal: Option<Arc<Principal>>) -> Ctx {
        self.principal = principal;
        self
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

    /// Writes the timers this turn set or cancelled, in one batch, and re-arms the alarm.
    /// Hosts call it at the end of the turn, before saving the actor's state.
    pub async fn commit_timers(&self) -> Result<(), Error> {
        let batch = self.timer_writes.take();
        if batch.is_empty() {
            return Ok(());
        }
        self.storage().write(batch).await?;
        self.port.arm_alarm(timer::next_due(self.storage()).await?);
        Ok(())
    }

    /// Hands the sends of this turn to the host, in the order they were made. Hosts call it
    /// once the turn's writes are stored; dropping the context instead discards them.
    pub fn flush_sends(&self) {
        for (target, envelope) in self.outbox.take() {
            self.port.send(target, envelope);
        }
    }

    /// This actor's address.
    pub fn me(&self) -> &Address {
        self.port.address()
    }

    /// The `from` of the message being handled.
    pub fn sender(&self) -> &Address {
        &self.sender
    }

    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> f64 {
        self.port.now()
    }

    /// This instance's storage, for what generated persistence does not cover.
    pub fn storage(&self) -> &dyn Storage {
        self.port.storage()
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
        let now = self.now();
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
            actor: PhantomData,
        }
    }

    /// Delivers `msg` to this actor at `at` (ms since the epoch), through a durable timer that
    /// survives restarts, stored at the end of the turn. Returns the timer's id, for
    /// [`Ctx::cancel_timer`].
    pub async fn send_at<M: Message>(&self, at: f64, msg: &M) -> Result<String, Error> {
        let envelope = self.envelope(self.me(), msg)?;
        let id = timer::key(at, &envelope);
        self.timer_writes
            .borrow_mut()
            .put(id.clone(), envelope.encode());
        Ok(id)
    }

    /// Delivers `msg` to this actor after `delay_ms`.
    pub async fn send_after<M: Message>(&self, delay_ms: f64, msg: &M) -> Result<String, Error> {
        self.send_at(self.now() + delay_ms, msg).await
    }

    /// Cancels a timer at the end of the turn; cancelling one that fired or never existed
    /// does nothing.
    pub async fn cancel_timer(&self, id: &str) -> Result<(), Error> {
        if id.starts_with(timer::PREFIX) {
            self.timer_writes.borrow_mut().delete(id.to_owned());
        }
        Ok(())
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
    actor: PhantomData<A>,
}

impl<A: Actor> ActorRef<'_, A> {
    /// The target's address, `kind:id`.
    pub fn address(&self) -> Result<Address, Error> {
        self.to.clone()
    }

    /// Sends `msg` without waiting: it leaves when the turn's writes are stored, and is
    /// delivered in the background (Durable Objects' `wait_until`), reply dropped. Never
    /// blocks, so it is safe in any direction.
    pub fn send<M: Message>(&self, msg: &M) -> Result<(), Error>
    where
        A: Handles<M>,
    {
        let to = self.to.as_ref().map_err(Clone::clone)?;
        let envelope = self.ctx.envelope(to, msg)?;
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
    ) -> impl Future<Output = Result<M::Reply, Error>> + 'static
    where
        A: Handles<M>,
    {
        let request = self
            .to
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|to| self.ctx.envelope(to, msg));
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
