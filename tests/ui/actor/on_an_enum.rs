use duract::actor;

#[actor]
pub enum Light {
    On,
    Off,
}

fn main() {}
