use duract::{actor, message, route, Ctx, PMap};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    #[persist(entries, skip)]
    seen: PMap<String, u32>,
}

#[route]
impl Counter {
    async fn ping(&mut self, _ctx: &mut Ctx, _msg: Ping) {
        self.seen.insert(String::new(), 1);
    }
}

fn main() {}
