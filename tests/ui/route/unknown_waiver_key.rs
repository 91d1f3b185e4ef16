use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route]
#[waive(unknown_tpye = "clients go through a gateway")]
impl Counter {
    #[waive(invalid_payload = "ignored payload", route = "not a generated branch key")]
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> u32 {
        self.n
    }
}

fn main() {}
