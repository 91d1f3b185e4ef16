use duract::{actor, message, route, Ctx};

#[message(reply = u32)]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[message(reply = u32)]
pub struct Pong;

#[message(reply = u32)]
pub struct Peng;

#[route]
impl Counter {
    fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> u32 {
        self.n
    }

    async fn pong(&self, _ctx: &mut Ctx, _msg: Pong) -> u32 {
        self.n
    }

    async fn peng(&mut self, _msg: Peng) -> u32 {
        self.n
    }
}

fn main() {}
