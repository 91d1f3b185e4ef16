//! A future that gives up after a delay: `ask` must end in a `timeout` error, never hang.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Resolves to `Some(output)` if `work` finishes first, `None` if `timer` does.
pub struct Timeout<W, T> {
    work: Pin<Box<W>>,
    timer: Pin<Box<T>>,
}

impl<W: Future, T: Future<Output = ()>> Timeout<W, T> {
    /// Races `work` against `timer`.
    pub fn new(work: W, timer: T) -> Self {
        Timeout {
            work: Box::pin(work),
            timer: Box::pin(timer),
        }
    }
}

impl<W: Future, T: Future<Output = ()>> Future for Timeout<W, T> {
    type Output = Option<W::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(out) = self.work.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
