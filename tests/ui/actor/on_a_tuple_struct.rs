use duract::actor;

#[actor]
#[derive(Default)]
pub struct Counter(u32);

fn main() {}
