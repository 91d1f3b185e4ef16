//! One activation of an actor: load before the first turn, one turn at a time, save after
//! each turn, drop the in-memory state when a turn's writes fail. Both hosts run actors
//! through it, so the turn semantics exist once.

use crate::actor::{Actor, ActorInfo};
use crate::context::{Ctx, Port};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::persist::Saved;
use crate::timer;
use crate::turn::TurnGate;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A running instance of some actor type, as hosts hold it.
pub trait AnyInstance {
    /// The actor type's description.
    fn info(&self) -> &'static ActorInfo;
    /// Handles one envelope in its turn and returns the reply envelope.
    fn handle(self: Rc<Self>, envelope: Envelope) -> LocalBoxFuture<'static, Envelope>;
    /// Delivers the timers due at `now`, then re-arms the alarm.
    fn fire_timers(self: Rc<Self>) -> LocalBoxFuture<'static, Result<(), Error>>;
    /// Whether the state is in memory (or a turn holds it).
    fn is_loaded(&self) -> bool;
}

/// An instance of `A` on a host's [`Port`].
pub struct Instance<A: Actor> {
    port: Rc<dyn Port>,
    gate: TurnGate,
    state: RefCell<Option<(A, Saved)>>,
    /// Bumped by [`Instance::unload`], so a turn in flight does not put back stale state.
    epoch: Cell<u64>,
}

impl<A: Actor> Instance<A> {
    /// An instance whose state loads on its first turn.
    pub fn new(port: Rc<dyn Port>) -> Instance<A> {
        #[cfg(feature = "checklist")]
        crate::checklist::register(A::INFO);
        Instance {
            port,
            gate: TurnGate::new(),
            state: RefCell::new(None),
            epoch: Cell::new(0),
        }
    }

    /// Loads the state if it is not in memory. Call inside a turn.
    async fn ensure_loaded(&self) -> Result<(), Error> {
        if self.state.borrow().is_some() {
            return Ok(());
        }
        let loaded = A::load(self.port.address().id(), self.port.storage()).await?;
        *self.state.borrow_mut() = Some(loaded);
        Ok(())
    }

    /// One turn: dispatch, then save. The state is taken out for the turn and put back after
    /// it, unless the save failed (storage is the truth: the next turn reloads) or the
    /// instance was unloaded meanwhile.
    async fn turn(&self, envelope: &Envelope) -> Result<Box<RawValue>, Error> {
        self.ensure_loaded().await?;
        let epoch = self.epoch.get();
        let Some((mut actor, mut saved)) = self.state.borrow_mut().take() else {
            return Err(Error::ActorError {
                reason: "instance unloaded during its turn".into(),
            });
        };
        let mut ctx = Ctx::new(self.port.clone(), envelope.from.clone());
        let result = actor.dispatch(&mut ctx, envelope).await;
        // Timers first: a timer whose turn then fails to save fires on state without it, and
        // its handler checks that state (timers are at least once, never lost).
        ctx.commit_timers().await?;
        actor.save(self.port.storage(), &mut saved).await?;
        ctx.flush_sends();
        if self.epoch.get() == epoch {
            *self.state.borrow_mut() = Some((actor, saved));
        }
        result
    }

    /// Handles `envelope` in its turn and builds the reply.
    pub async fn handle_envelope(&self, envelope: Envelope) -> Envelope {
        let _turn = self.gate.enter().await;
        let result = self.turn(&envelope).await;
        envelope.into_reply(result, self.port.fresh_id(), self.port.now())
    }

    /// Delivers each due timer in its own turn, removing it after delivery.
    pub async fn deliver_due_timers(&self) -> Result<(), Error> {
        let storage = self.port.storage();
        for (id, envelope) in timer::due(storage, self.port.now()).await? {
            let reply = self.handle_envelope(envelope).await;
            if self.state.borrow().is_none() {
                // The turn's state did not load or its save failed: keep the timer, and fail
                // so the host retries the alarm (a handler's own error does not retry).
                return Err(reply.into_result().err().unwrap_or(Error::ActorError {
                    reason: "timer delivery failed".into(),
                }));
            }
            timer::cancel(storage, &id).await?;
        }
        self.port.arm_alarm(timer::next_due(storage).await?);
        Ok(())
    }

    /// Drops the in-memory state (the next turn reloads it).
    pub fn unload(&self) {
        self.epoch.set(self.epoch.get() + 1);
        *self.state.borrow_mut() = None;
    }
}

impl<A: Actor> AnyInstance for Instance<A> {
    fn info(&self) -> &'static ActorInfo {
        A::INFO
    }

    fn handle(self: Rc<Self>, envelope: Envelope) -> LocalBoxFuture<'static, Envelope> {
        Box::pin(async move { self.handle_envelope(envelope).await })
    }

    fn fire_timers(self: Rc<Self>) -> LocalBoxFuture<'static, Result<(), Error>> {
        Box::pin(async move { self.deliver_due_timers().await })
    }

    fn is_loaded(&self) -> bool {
        self.state.borrow().is_some() || self.gate.is_busy()
    }
}
