//! Asks in flight and their deadlines on the virtual clock.
//!
//! Every `ask` (actor to actor, gateway to actor, or [`Host::ask`](super::Host::ask)) gets a
//! slot with a deadline `now + ask timeout` (default 10 s, [`ASK_TIMEOUT_MS`](crate::ASK_TIMEOUT_MS)). Its reply fills the slot; if the
//! deadline passes first, the slot gets [`Error::Timeout`] (code `timeout`) and a reply that
//! comes later is dropped.
//!
//! Deadlines fire when virtual time passes them, and virtual time moves when a test advances
//! it, or when the host is idle while an ask is still pending: nothing can then happen before
//! the next alarm or deadline, so the host moves the clock to it. An ask that can never be
//! answered (A asks B while B asks A: turns of one instance never overlap) therefore ends in
//! `timeout` inside [`Host::run_until_idle`](super::Host::run_until_idle), deterministically,
//! after `ask timeout` of virtual time.

use crate::address::Address;
use crate::envelope::Envelope;
use crate::error::Error;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

/// Where one ask's reply lands.
#[derive(Default)]
pub struct AskSlot {
    result: RefCell<Option<Result<Envelope, Error>>>,
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl AskSlot {
    /// Fills the slot unless it was filled; wakes the asker.
    fn fill(&self, result: Result<Envelope, Error>) {
        if self.done.replace(true) {
            return;
        }
        *self.result.borrow_mut() = Some(result);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

struct Pending {
    deadline: u64,
    /// The request's type and target, for the timeout's message.
    what: (String, Address),
    slot: Rc<AskSlot>,
}

/// The asks not answered yet, by creation order.
#[derive(Default)]
pub struct Asks {
    next: Cell<u64>,
    pending: RefCell<BTreeMap<u64, Pending>>,
}

impl Asks {
    /// Registers an ask with `deadline`; returns the handle the deliverer answers through and
    /// the future the asker awaits.
    pub fn register(self: &Rc<Self>, deadline: u64, what: (String, Address)) -> (Answer, Reply) {
        let key = self.next.get();
        self.next.set(key + 1);
        let slot = Rc::new(AskSlot::default());
        self.pending.borrow_mut().insert(
            key,
            Pending {
                deadline,
                what,
                slot: slot.clone(),
            },
        );
        let answer = Answer {
            asks: Rc::downgrade(self),
            key,
            slot: slot.clone(),
        };
        let reply = Reply {
            asks: Rc::downgrade(self),
            key,
            slot,
        };
        (answer, reply)
    }

    /// The earliest deadline of a pending ask.
    pub fn earliest_deadline(&self) -> Option<u64> {
        self.pending.borrow().values().map(|p| p.deadline).min()
    }

    /// Whether an ask is waiting for its reply.
    pub fn any_pending(&self) -> bool {
        !self.pending.borrow().is_empty()
    }

    /// Fails with `timeout` the first-created pending ask whose deadline is `<= now`.
    /// Returns false when none is due.
    pub fn expire_one(&self, now: u64) -> bool {
        let due = {
            let mut pending = self.pending.borrow_mut();
            let key = pending
                .iter()
                .find(|(_, p)| p.deadline <= now)
                .map(|(k, _)| *k);
            key.and_then(|k| pending.remove(&k))
        };
        match due {
            Some(p) => {
                let (message_type, to) = p.what;
                let what = format!("the reply to `{message_type}` from {to}");
                p.slot.fill(Err(Error::Timeout { what }));
                true
            }
            None => false,
        }
    }

    fn settle(&self, key: u64, slot: &AskSlot, result: Result<Envelope, Error>) {
        let removed = self.pending.borrow_mut().remove(&key);
        drop(removed);
        slot.fill(result);
    }
}

/// The deliverer's side of an ask. Dropped without an answer (its task was cancelled by a
/// restart), it answers `actor_error`, as a reset Durable Object does to its callers.
pub struct Answer {
    asks: Weak<Asks>,
    key: u64,
    slot: Rc<AskSlot>,
}

impl Answer {
    /// Delivers the reply (ignored if the ask timed out meanwhile).
    pub fn answer(self, result: Result<Envelope, Error>) {
        if let Some(asks) = self.asks.upgrade() {
            asks.settle(self.key, &self.slot, result);
        } else {
            self.slot.fill(result);
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        if self.slot.done.get() {
            return;
        }
        let result = Err(Error::ActorError {
            reason: "the target instance was reset before it replied".into(),
        });
        match self.asks.upgrade() {
            Some(asks) => asks.settle(self.key, &self.slot, result),
            None => self.slot.fill(result),
        }
    }
}

/// The asker's side: resolves to the reply envelope or the error.
pub struct Reply {
    asks: Weak<Asks>,
    key: u64,
    slot: Rc<AskSlot>,
}

impl Reply {
    /// The result, if the ask is settled (without waiting).
    pub fn try_take(&self) -> Option<Result<Envelope, Error>> {
        self.slot.result.borrow_mut().take()
    }
}

impl Future for Reply {
    type Output = Result<Envelope, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.slot.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        if self.slot.done.get() {
            return Poll::Ready(Err(Error::ActorError {
                reason: "reply already taken".into(),
            }));
        }
        *self.slot.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // The asker gave up (its turn was cancelled): the ask no longer counts as pending.
        if let Some(asks) = self.asks.upgrade() {
            let removed = asks.pending.borrow_mut().remove(&self.key);
            drop(removed);
        }
    }
}
