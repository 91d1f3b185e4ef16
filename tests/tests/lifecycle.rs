//! `#[route(on_activate)]`: runs first in the first turn of each activation, and commits (or
//! fails) with that turn.

use duract::native::Host;
use duract::{actor, message, payload, route, Ctx, Error};

/// `get`: how many times the actor was activated, in memory and in storage.
#[message]
pub struct Get;

/// The reply to [`Get`].
#[payload]
pub struct Counts {
    pub in_memory: u32,
    pub stored: u64,
}

#[actor]
#[derive(Default)]
pub struct Greeter {
    /// Counted by the hook; not stored, so a new activation starts from 0.
    #[persist(skip)]
    in_memory: u32,
    /// Counted by the hook too, and stored with the turn.
    boots: u64,
}

#[route]
impl Greeter {
    #[route(on_activate)]
    async fn warm_up(&mut self, ctx: &mut Ctx) -> Result<(), Error> {
        if ctx.var("FAIL_ACTIVATION").as_deref() == Some("1") {
            return Err(Error::handler("cold", "activation refused"));
        }
        self.in_memory += 1;
        self.boots += 1;
        Ok(())
    }

    async fn get(&mut self, _ctx: &mut Ctx, _msg: Get) -> Counts {
        Counts {
            in_memory: self.in_memory,
            stored: self.boots,
        }
    }
}

fn counts(host: &Host) -> Result<Counts, Error> {
    host.client("client:ui")
        .unwrap()
        .actor::<Greeter>("g")
        .ask(&Get)
}

#[test]
fn the_hook_runs_once_per_activation_and_commits_with_its_turn() {
    let host = Host::new().with::<Greeter>();
    let first = counts(&host).unwrap();
    assert_eq!((first.in_memory, first.stored), (1, 1));
    let again = counts(&host).unwrap();
    assert_eq!(
        (again.in_memory, again.stored),
        (1, 1),
        "not on later turns"
    );
    host.restart("greeter:g").unwrap();
    let after = counts(&host).unwrap();
    assert_eq!(
        (after.in_memory, after.stored),
        (1, 2),
        "once more after a restart"
    );
}

#[test]
fn a_failing_hook_fails_the_turn_and_runs_again_next_turn() {
    let host = Host::new().with::<Greeter>().var("FAIL_ACTIVATION", "1");
    let failed = counts(&host).err().expect("the activation fails");
    assert_eq!(failed.code(), "cold");
    host.set_var("FAIL_ACTIVATION", "0");
    let next = counts(&host).unwrap();
    assert_eq!((next.in_memory, next.stored), (1, 1));
}
