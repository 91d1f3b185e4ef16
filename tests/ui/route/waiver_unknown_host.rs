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
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) -> u32 {
        #[waive(host = "browser", reason = "only hosts duract runs on")]
        if self.n > 10 {
            return 0;
        }
        self.n
    }
}

fn main() {}
