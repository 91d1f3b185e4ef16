use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

pub struct NotAMessage;

#[actor]
#[derive(Default)]
pub struct Counter;

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {}
}

#[actor(gateway(forward(counter = Counter), reply_to("client:x" = [NotAMessage])))]
pub struct Session;

fn main() {}
