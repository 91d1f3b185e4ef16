use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    #[persist(skip, renamed_from = "old")]
    scratch: u32,
}

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {
        self.scratch += 1;
    }
}

fn main() {}
