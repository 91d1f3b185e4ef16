use duract::{actor, message, route, Ctx, Error};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route(krate = "::duract")]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> Result<u32, Error> {
        Ok(self.n)
    }
}

fn main() {}
