//! One activation of an actor, and the one place that knows how a turn runs: load before the
//! first turn, one turn at a time, and each turn's effects committed together or not at all.
//!
//! A turn dispatches one envelope. Its handler's changes to the state, the timers it set or
//! cancelled and the messages it sent are held until it returns. Then:
//! - `Ok`: the state's changes and the timers are written in **one** batch; once storage
//!   confirms, the sends leave, the messages for later go to the host and the alarm follows
//!   the earliest timer. If the write fails, nothing was stored, nothing is sent, and the
//!   in-memory state is dropped (the next turn reloads it from storage, which is the truth);
//! - `Err`: nothing is written or sent; if the handler had changed stored state, the
//!   in-memory state is dropped too, so the next turn sees the state before the failed one.
//!   (Fields marked `#[persist(skip)]` are not stored and keep their changes.)
//!
//! Loading may stage writes of its own (a migration of an older store, renamed keys moved:
//! [`crate::storage::migrate`]); they go with the first committed turn's batch, so they too
//! are stored with a turn or not at all.
//!
//! Both hosts run actors through [`Instance`], so these rules exist once.

mod activate;

use crate::actor::Actor;
use crate::context::{Ctx, Outcome};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::future::LocalBoxFuture;
use crate::info::ActorInfo;
use crate::later::Later;
use crate::persist::{SaveBatch, Saved};
use crate::platform::sql::SqlWrite;
use crate::port::Port;
use crate::timer::Timers;
use crate::turn::TurnGate;
pub use crate::turn::Turns;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// An actor's state in memory, with what was last stored of it.
struct Loaded<A> {
    actor: A,
    saved: Saved,
    timers: Timers,
    /// Its `on_activate` ran in a committed turn.
    activated: bool,
}

/// An instance of `A` on a host's [`Port`].
pub struct Instance<A: Actor> {
    port: Rc<dyn Port>,
    gate: TurnGate,
    state: RefCell<Option<Loaded<A>>>,
    /// Bumped by [`Instance::unload`], so a turn in flight does not put back stale state.
    epoch: Cell<u64>,
    /// Counts the loads of the state: the activation a message for later belongs to.
    activation: Cell<u64>,
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
            activation: Cell::new(0),
        }
    }

    /// Loads the state and the timers if they are not in memory. Call inside a turn.
    async fn ensure_loaded(&self) -> Result<(), Error> {
        if self.state.borrow().is_some() {
            return Ok(());
        }
        let storage = self.port.storage();
        let (actor, saved) = activate::load::<A>(self.port.address().id(), storage).await?;
        let timers = Timers::load(storage).await?;
        // No timer is ever stranded: whatever became of the alarm (workerd gives up on one
        // that keeps failing), each activation arms it for the earliest stored timer.
        if let Some(next) = timers.next_due() {
            self.port.arm_alarm(Some(next));
        }
        *self.state.borrow_mut() = Some(Loaded {
            actor,
            saved,
            timers,
            activated: false,
        });
        self.activation.set(self.activation.get() + 1);
        Ok(())
    }

    /// One turn (the caller holds the gate): dispatch, then commit or roll back. `timer`
    /// names the timer being delivered, removed by the turn's commit.
    async fn turn(&self, envelope: &Envelope, timer: Option<&str>) -> Result<Box<RawValue>, Error> {
        self.ensure_loaded().await?;
        let epoch = self.epoch.get();
        let Some(mut loaded) = self.state.borrow_mut().take() else {
            return Err(Error::ActorError {
                reason: "instance unloaded during its turn".into(),
            });
        };
        if let Some(name) = timer {
            loaded.timers.delivered(name, self.port.now());
        }
        let ctx = Ctx::new(
            self.port.clone(),
            envelope.from.clone(),
            envelope.principal.clone(),
            std::mem::take(&mut loaded.timers),
        );
        let activate = !loaded.activated;
        let (result, outcome) = dispatch(&mut loaded.actor, ctx, envelope, activate).await;
        let Outcome {
            sends,
            timers,
            effects,
            sql_writes,
            later,
        } = outcome;
        loaded.timers = timers;
        let mut batch = SaveBatch::new();
        let staged = loaded.actor.save(&loaded.saved, &mut batch);
        let keep = match (&result, staged) {
            (Ok(_), Ok(())) => {
                self.commit(&mut loaded, batch, sql_writes).await?;
                loaded.activated = true;
                self.release(sends, effects, later);
                true
            }
            (Ok(_), Err(error)) => return Err(error),
            // A failed turn: nothing leaves; state it changed is reloaded from storage.
            (Err(_), staged) => {
                loaded.timers.discard();
                staged.is_ok() && batch.is_empty()
            }
        };
        if keep && self.epoch.get() == epoch {
            *self.state.borrow_mut() = Some(loaded);
        }
        result
    }

    /// What a committed turn held back leaves: its sends in order, its work after commit,
    /// its messages for later (to this activation).
    fn release(
        &self,
        sends: Vec<(&'static ActorInfo, Envelope)>,
        effects: Vec<LocalBoxFuture<'static, ()>>,
        later: Vec<(Duration, Envelope)>,
    ) {
        for (target, envelope) in sends {
            self.port.send(target, envelope);
        }
        for work in effects {
            self.port.spawn(work);
        }
        let activation = self.activation.get();
        for (delay, envelope) in later {
            let later = Later {
                envelope,
                activation,
            };
            self.port.deliver_later(delay, later);
        }
    }

    /// Runs the turn's SQL writes (in one transaction: all or none), then writes the state's
    /// changes and timers in one batch, issued at once after them (one implicit transaction on
    /// a Durable Object); then records them as stored and re-arms the alarm if the earliest
    /// timer moved. On failure nothing is recorded.
    async fn commit(
        &self,
        loaded: &mut Loaded<A>,
        batch: SaveBatch,
        sql_writes: Vec<SqlWrite>,
    ) -> Result<(), Error> {
        let (mut writes, recorded) = batch.into_parts();
        loaded.timers.stage_writes(&mut writes);
        // What loading staged (a migration, renamed keys) goes with the first commit.
        let writes = loaded.saved.commit_writes(writes);
        if !sql_writes.is_empty() {
            // A batch storage would refuse is refused before any SQL runs.
            writes.check()?;
            self.port.commit_sql(sql_writes)?;
        }
        let wrote = !writes.is_empty();
        if wrote {
            self.port.storage().write(writes).await?;
        }
        loaded.saved.committed(wrote);
        loaded.saved.record_all(recorded);
        if loaded.timers.is_changed() {
            let before = loaded.timers.next_due();
            loaded.timers.apply();
            if loaded.timers.next_due() != before {
                self.port.arm_alarm(loaded.timers.next_due());
            }
        }
        Ok(())
    }

    /// Waits for `envelope`'s turn and runs it: the reply's payload or error. The host builds
    /// the reply ([`Envelope::into_reply`]), so the envelope is not moved into this future.
    pub async fn run_turn(&self, envelope: &Envelope) -> Result<Box<RawValue>, Error> {
        let _turn = self.gate.enter().await;
        self.turn(envelope, None).await
    }

    /// Delivers a message the actor sent itself for later ([`Ctx::send_self_after`](crate::Ctx::send_self_after))
    /// in a turn of its own, if the activation that sent it is still in memory; else drops
    /// it (the new activation's `on_activate` re-arms what its state calls for). The turn's
    /// error, if any, for the host to log: nobody waits for a reply.
    pub async fn deliver_later(&self, later: Later) -> Result<(), Error> {
        let _turn = self.gate.enter().await;
        let current = self.state.borrow().is_some() && self.activation.get() == later.activation;
        if !current {
            return Ok(());
        }
        self.turn(&later.envelope, None).await.map(drop)
    }

    /// Delivers each due timer in a turn of its own, in due order; each turn's commit removes
    /// its timer. A timer whose turn fails stays stored, the others are still delivered, and
    /// the first failure is returned so the host retries the alarm.
    pub async fn deliver_due_timers(&self) -> Result<(), Error> {
        let mut failed = Vec::new();
        let mut first_error = None;
        loop {
            let _turn = self.gate.enter().await;
            self.ensure_loaded().await?;
            let now = self.port.now();
            let due = self.with_timers(|timers| timers.first_due(now, &failed));
            let Some((name, envelope)) = due.flatten() else {
                if first_error.is_none() {
                    // The alarm that fired is spent: set it for what is left.
                    self.port
                        .arm_alarm(self.with_timers(Timers::next_due).flatten());
                }
                break;
            };
            let result = match Envelope::decode_trusted(&envelope) {
                Ok(envelope) => self.turn(&envelope, Some(&name)).await,
                Err(e) => Err(Error::ActorError {
                    reason: format!("timer `{name}` does not decode: {}", e.error),
                }),
            };
            if let Err(error) = result {
                failed.push(name);
                first_error.get_or_insert(error);
            }
        }
        match first_error {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    fn with_timers<R>(&self, f: impl FnOnce(&Timers) -> R) -> Option<R> {
        self.state.borrow().as_ref().map(|loaded| f(&loaded.timers))
    }

    /// Runs `f` on the actor's state when it is in memory (between turns): for tests and
    /// tools that look inside an instance.
    pub fn inspect<R>(&self, f: impl FnOnce(&A) -> R) -> Option<R> {
        self.state.borrow().as_ref().map(|loaded| f(&loaded.actor))
    }

    /// Drops the in-memory state (the next turn reloads it).
    pub fn unload(&self) {
        self.epoch.set(self.epoch.get() + 1);
        *self.state.borrow_mut() = None;
    }
}

/// Runs the handler for `envelope` with `ctx` (after the activation hook, in an activation's
/// first turn), and gives back what the turn left to commit.
async fn dispatch<A: Actor>(
    actor: &mut A,
    mut ctx: Ctx,
    envelope: &Envelope,
    activate: bool,
) -> (Result<Box<RawValue>, Error>, Outcome) {
    if activate {
        if let Err(error) = actor.on_activate(&mut ctx).await {
            return (Err(error), ctx.into_outcome());
        }
    }
    let result = actor.dispatch(&mut ctx, envelope).await;
    (result, ctx.into_outcome())
}

impl<A: Actor> Turns for Instance<A> {
    fn run<'a>(
        &'a self,
        envelope: &'a Envelope,
    ) -> LocalBoxFuture<'a, Result<Box<RawValue>, Error>> {
        Box::pin(self.run_turn(envelope))
    }

    fn deliver_due_timers(&self) -> LocalBoxFuture<'_, Result<(), Error>> {
        Box::pin(Instance::deliver_due_timers(self))
    }

    fn deliver_later(&self, later: Later) -> LocalBoxFuture<'_, Result<(), Error>> {
        Box::pin(Instance::deliver_later(self, later))
    }

    fn unload(&self) {
        Instance::unload(self);
    }
}
