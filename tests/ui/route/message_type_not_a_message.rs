use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

pub struct Plain;

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Plain) -> u32 {
        self.n
    }
}

fn main() {}
