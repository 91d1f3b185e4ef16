use duract::actor;

#[actor]
#[derive(Default)]
pub struct Counter {
    n: u32,
}

fn main() {}
