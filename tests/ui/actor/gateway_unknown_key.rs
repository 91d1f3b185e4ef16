use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter;

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {}
}

#[actor(gateway(forward(counter = Counter), broadcast(all)))]
pub struct Session;

fn main() {}
