use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor(version = "2")]
#[derive(Default)]
pub struct Counter {
    count: u32,
}

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {
        self.count += 1;
    }
}

fn main() {}
