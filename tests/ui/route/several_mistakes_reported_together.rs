use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[message]
pub struct Pong;

#[message]
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
