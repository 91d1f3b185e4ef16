//! The turn gate: one turn at a time per instance, in arrival order.
//!
//! Durable Objects interleave events at awaits of I/O other than storage, and `worker` hands
//! handlers `&self`; an actor's `&mut self` must never be shared by two turns. Both hosts run
//! every turn of an instance inside this gate, a FIFO async lock without `Send`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct GateState {
    next_ticket: Cell<u64>,
    serving: Cell<u64>,
    waiting: RefCell<BTreeMap<u64, Option<Waker>>>,
    abandoned: RefCell<Vec<u64>>,
}

impl GateState {
    fn advance(&self) {
        loop {
            let next = self.serving.get() + 1;
            self.serving.set(next);
            let mut abandoned = self.abandoned.borrow_mut();
            if let Some(at) = abandoned.iter().position(|t| *t == next) {
                abandoned.swap_remove(at);
                continue;
            }
            break;
        }
        if let Some(Some(waker)) = self.waiting.borrow_mut().remove(&self.serving.get()) {
            waker.wake();
        }
    }
}

/// A FIFO lock: [`TurnGate::enter`] resolves in call order, one holder at a time.
#[derive(Clone, Default)]
pub struct TurnGate {
    state: Rc<GateState>,
}

impl TurnGate {
    /// A free gate.
    pub fn new() -> TurnGate {
        TurnGate::default()
    }

    /// Waits for this caller's turn. The ticket is taken now, so order is call order.
    pub fn enter(&self) -> Enter {
        let ticket = self.state.next_ticket.get();
        self.state.next_ticket.set(ticket + 1);
        Enter {
            state: Some(self.state.clone()),
            ticket,
        }
    }
}

/// The future of [`TurnGate::enter`].
pub struct Enter {
    state: Option<Rc<GateState>>,
    ticket: u64,
}

impl Future for Enter {
    type Output = TurnGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TurnGuard> {
        let ticket = self.ticket;
        let state = self.state.as_ref().expect("Enter polled after completion");
        if state.serving.get() == ticket {
            let state = self.state.take().expect("checked above");
            return Poll::Ready(TurnGuard { state });
        }
        state
            .waiting
            .borrow_mut()
            .insert(ticket, Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        // Dropped before its turn came: give the ticket up so later turns are not stuck.
        if let Some(state) = self.state.take() {
            state.waiting.borrow_mut().remove(&self.ticket);
            if state.serving.get() == self.ticket {
                state.advance();
            } else {
                state.abandoned.borrow_mut().push(self.ticket);
            }
        }
    }
}

/// Holding it is holding the turn; dropping it lets the next turn in.
pub struct TurnGuard {
    state: Rc<GateState>,
}

impl Drop for TurnGuard {
    fn drop(&mut self) {
        self.state.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        f.poll_unpin_noop()
    }

    trait PollNoop: Future + Unpin + Sized {
        fn poll_unpin_noop(&mut self) -> Poll<Self::Output> {
            let mut cx = Context::from_waker(Waker::noop());
            Pin::new(self).poll(&mut cx)
        }
    }
    impl<F: Future + Unpin> PollNoop for F {}

    #[test]
    fn turns_enter_in_call_order_one_at_a_time() {
        let gate = TurnGate::new();
        let mut a = gate.enter();
        let mut b = gate.enter();
        let mut c = gate.enter();
        let ga = match poll(&mut a) {
            Poll::Ready(g) => g,
            Poll::Pending => panic!("first caller must enter"),
        };
        assert!(poll(&mut c).is_pending());
        assert!(poll(&mut b).is_pending());
        drop(ga);
        assert!(poll(&mut c).is_pending(), "c must wait for b");
        let gb = match poll(&mut b) {
            Poll::Ready(g) => g,
            Poll::Pending => panic!("b is next"),
        };
        drop(gb);
        assert!(poll(&mut c).is_ready());
    }

    #[test]
    fn an_abandoned_waiter_does_not_block_the_next() {
        let gate = TurnGate::new();
        let mut a = gate.enter();
        let Poll::Ready(ga) = poll(&mut a) else {
            panic!()
        };
        let b = gate.enter();
        let mut c = gate.enter();
        drop(b);
        drop(ga);
        assert!(poll(&mut c).is_ready());
    }
}
