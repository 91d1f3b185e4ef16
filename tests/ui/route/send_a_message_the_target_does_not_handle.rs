use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[message]
pub struct Pong;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route]
impl Counter {
    async fn pong(&mut self, _ctx: &mut Ctx, _msg: Pong) {}
}

#[actor]
#[derive(Default)]
pub struct Caller {}

#[route]
impl Caller {
    async fn ping(&mut self, ctx: &mut Ctx, _msg: Ping) {
        let _ = ctx.actor::<Counter>("main").send(&Ping);
    }
}

fn main() {}
