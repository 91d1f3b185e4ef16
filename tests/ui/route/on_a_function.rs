use duract::route;

#[route]
pub fn ping() {}

fn main() {}
