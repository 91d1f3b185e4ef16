use duract::actor;

#[actor]
#[derive(Default)]
pub struct Counter<T> {
    n: T,
}

fn main() {}
