use duract::{actor, message, route};

#[message]
pub struct Ping;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

pub trait Count {
    fn count(&self) -> u32;
}

#[route]
impl Count for Counter {
    fn count(&self) -> u32 {
        self.n
    }
}

fn main() {}
