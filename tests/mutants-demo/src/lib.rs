//! A counter, for the kill matrix's demonstration (`scripts/mutants-demo`): with its test's
//! assertion on the refusal deleted (feature `drop-assertion`), nothing notices the refusal's
//! `if` broken, and the gate names it.

use duract::{actor, message, payload, route, Ctx, Error};

/// `add`: adds `by` (not negative) to the counter.
#[message]
pub struct Add {
    /// How much.
    pub by: i64,
}

/// The counter's value after an `add`.
#[payload]
pub struct Total {
    /// The value.
    pub value: i64,
}

/// The counter.
#[actor]
#[derive(Default)]
pub struct Counter {
    value: i64,
}

#[route]
#[waive(unknown_type = "the tests call the counter only with its own message")]
impl Counter {
    #[waive(invalid_payload = "the tests send typed messages only")]
    async fn add(&mut self, _ctx: &mut Ctx, msg: Add) -> Result<Total, Error> {
        if msg.by < 0 {
            return Err(Error::handler(
                "negative",
                "add takes a non-negative amount",
            ));
        }
        self.value += msg.by;
        Ok(Total { value: self.value })
    }
}
