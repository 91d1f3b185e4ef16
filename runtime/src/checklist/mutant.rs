//! Mutants (crate feature `mutants` only): each declared branch can be broken on purpose, to
//! show which tests notice. One build serves every mutant: the process reads the id of the
//! branch to break from `DURACT_MUTANT` once; with it unset every check is false and the code
//! behaves as without the feature.
//!
//! What each branch does when its mutant is on (written by the macros, and by
//! [`gateway::admit`](crate::gateway::admit) and [`gateway::answer`](crate::gateway::answer) for
//! a gateway's branches):
//!
//! - a plain `if`: the condition is negated where it would enter the branch (the `then`
//!   mutant takes the `else`, the `else` mutant the `then`);
//! - a `match` arm: the arm does not match, so the value goes to the next arm that matches;
//! - an early `return` that is a statement the code can go on after: skipped;
//! - a route: answers `unknown_type`; an actor's `unknown_type`: answers a success (`null`);
//! - the gateway: its checks `too_large`, `invalid_address`, `forbidden` and `overloaded` are
//!   not made, a binary frame is read as text, a gateway route answers `unknown_actor`, and a
//!   target's error (`actor_error`) is answered as a success;
//! - everywhere else, and where the branch above cannot be taken (an `if let`, a `match`
//!   whose later arms do not match, a `return` the code cannot go on after, an error path
//!   that has nothing to go on with): the turn fails at the branch with the error code
//!   `mutant` ([`abort`]), so nothing it did is committed.

use crate::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

/// The variable naming the branch whose mutant is on.
pub const MUTANT_VAR: &str = "DURACT_MUTANT";

/// The error code of a turn that failed at a mutant.
pub const MUTANT_CODE: &str = "mutant";

/// The branch whose mutant is on in this process, if any (read once).
pub fn active() -> Option<&'static str> {
    static ACTIVE: OnceLock<Option<String>> = OnceLock::new();
    ACTIVE
        .get_or_init(|| std::env::var(MUTANT_VAR).ok().filter(|v| !v.is_empty()))
        .as_deref()
}

/// Whether the mutant of branch `id` is on.
#[inline]
pub fn mutant_on(id: &str) -> bool {
    active().is_some_and(|active| active == id)
}

/// Whether the mutant of branch `<kind>/<suffix>` is on (the gateway's branches).
pub fn mutant_on_in(kind: &str, suffix: &str) -> bool {
    active().is_some_and(|active| {
        active.len() == kind.len() + 1 + suffix.len()
            && active.starts_with(kind)
            && active[kind.len()..].starts_with('/')
            && active.ends_with(suffix)
    })
}

/// What a plain `if`'s condition becomes: `cond`, negated where it would enter a branch whose
/// mutant is on (`then_id` when true, `else_id` when false).
#[inline]
pub fn mutant_if(cond: bool, then_id: &str, else_id: Option<&str>) -> bool {
    if cond {
        !mutant_on(then_id)
    } else {
        else_id.is_some_and(mutant_on)
    }
}

/// What unwinds out of a handler at a mutant: caught by the dispatch ([`catch`]).
struct Aborted(&'static str);

/// Fails the turn at branch `id` (its mutant is on): unwinds to the dispatch, which answers
/// [`error`]. Unwinds without the panic hook, so nothing is printed.
#[cold]
pub fn abort(id: &'static str) -> ! {
    std::panic::resume_unwind(Box::new(Aborted(id)))
}

/// Fails the turn at branch `id` if its mutant is on: what the macros put first in a branch
/// whose mutant fails the turn.
#[inline]
pub fn check(id: &'static str) {
    if mutant_on(id) {
        abort(id)
    }
}

/// Fails the turn at the branch whose mutant is on (a `match` none of whose later arms took
/// the value).
#[cold]
pub fn abort_active() -> ! {
    abort(active().unwrap_or("?"))
}

/// The error a turn answers when it failed at the mutant of branch `id`.
#[cold]
pub fn error(id: &str) -> Error {
    Error::handler(MUTANT_CODE, format!("the mutant of {id} failed the turn"))
}

/// The success an actor's `unknown_type` answers when its mutant is on: `null`.
pub fn null_payload() -> Box<serde_json::value::RawValue> {
    crate::envelope::null_payload()
}

/// Runs a handler's future, turning an [`abort`] inside it into `Err(error(id))`; any other
/// panic goes on unwinding.
pub fn catch<F: Future>(future: F) -> Catch<F> {
    Catch {
        future: Box::pin(future),
    }
}

/// The future of [`catch`].
pub struct Catch<F> {
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Catch<F> {
    type Output = Result<F::Output, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.future.as_mut();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.poll(cx)));
        match polled {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => match payload.downcast::<Aborted>() {
                Ok(aborted) => Poll::Ready(Err(error(aborted.0))),
                Err(other) => std::panic::resume_unwind(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abort_is_caught_as_the_mutant_error_and_other_panics_go_on() {
        let caught = crate::block_on(catch(async { abort("a/b") }));
        let error: Error = caught.unwrap_err();
        assert_eq!(error.code(), MUTANT_CODE);
        assert!(error.to_string().contains("a/b"), "{error}");
        assert_eq!(crate::block_on(catch(async { 7 })).unwrap(), 7);
        let other = std::panic::catch_unwind(|| crate::block_on(catch(async { panic!("real") })));
        assert!(other.is_err());
    }

    #[test]
    fn without_the_variable_no_mutant_is_on() {
        // Unit tests run without DURACT_MUTANT.
        assert_eq!(active(), None);
        assert!(!mutant_on("a/b"));
        assert!(mutant_if(true, "a/if:x", Some("a/else:x")));
        assert!(!mutant_if(false, "a/if:x", Some("a/else:x")));
    }
}
