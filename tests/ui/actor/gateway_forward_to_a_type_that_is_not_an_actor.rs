use duract::actor;

pub struct Plain;

#[actor(gateway(forward(plain = Plain)))]
pub struct Session;

fn main() {}
