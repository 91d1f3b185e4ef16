use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

// No `#[route]` block: the actor handles nothing.
#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[actor]
#[derive(Default)]
pub struct Caller {}

#[route]
impl Caller {
    async fn ping(&mut self, ctx: &mut Ctx, _msg: Ping) {
        ctx.actor::<Counter>("main").send(&Ping);
    }
}

fn main() {}
