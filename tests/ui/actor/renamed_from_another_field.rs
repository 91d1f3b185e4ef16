use duract::{actor, message, route, Ctx};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    total: u32,
    #[persist(renamed_from = "total")]
    count: u32,
}

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {
        self.count += self.total;
    }
}

fn main() {}
