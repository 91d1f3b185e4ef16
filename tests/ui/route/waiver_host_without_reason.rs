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
    #[waive(host = "workerd")]
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> u32 {
        self.n
    }
}

fn main() {}
