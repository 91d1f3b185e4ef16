use duract::{actor, message, route};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

#[route]
impl Counter {
    async fn ping(&mut self, _msg: Ping) -> u32 {
        self.n
    }
}

fn main() {}
