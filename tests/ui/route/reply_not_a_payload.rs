use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

/// Forgot `#[payload]`: not a type a reply can be.
pub struct Pong {
    pub n: u32,
}

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> Pong {
        Pong { n: self.n }
    }
}

fn main() {}
