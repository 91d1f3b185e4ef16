use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route]
impl Counter {
    async fn ping(&self, _ctx: &mut Ctx, _msg: Ping) -> u32 {
        self.n
    }
}

fn main() {}
