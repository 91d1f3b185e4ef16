//! One activation of an actor: load before the first turn, one turn at a time, save after
//! each turn, drop the in-memory state when a turn's writes fail. Both hosts run actors
//! through it, so the turn semantics exist once.

use crate::actor::Actor;
use crate::context::{Ctx, Port};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::persist::Saved;
use crate::timer;
use crate::turn::TurnGate;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

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
        // No timer is ever stranded: whatever became of the alarm (workerd gives up on one
        // that keeps failing), each activation arms it for the earliest stored timer.
        if let Some(next) = timer::next_due(self.port.storage()).await? {
            self.port.arm_alarm(Some(next));
        }
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
        let mut ctx = Ctx::new(self.port.clone(), envelope.from.clone())
            .with_principal(envelope.principal.clone());
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
        let result = self.run_turn(&envelope).await;
        envelope.into_reply(result, self.port.fresh_id(), self.port.now())
    }

    /// Waits for `envelope`'s turn and runs it: the reply's payload or error. For a host
    /// that builds the reply itself, so the envelope is not moved into this future.
    pub async fn run_turn(&self, envelope: &Envelope) -> Result<Box<RawValue>, Error> {
        let _turn = self.gate.enter().await;
        self.turn(envelope).await
    }

    /// Delivers each due timer in its own turn, removing it after delivery.
    pub async fn deliver_due_timers(&self) -> Result<(), Error> {
        let storage = self.port.storage();
        for (id, envelope) in timer::due(storage, self.port.now()).await? {
            let result = self.run_turn(&envelope).await;
            if self.state.borrow().is_none() {
                // The turn's state did not load or its save failed: keep the timer, and fail
                // so the host retries the alarm (a handler's own error does not retry).
                return Err(result.err().unwrap_or(Error::ActorError {
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
