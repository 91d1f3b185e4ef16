use duract::message;

#[message]
fn paint() {}

fn main() {}
