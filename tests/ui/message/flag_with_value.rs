use duract::message;

#[message(internal = "yes")]
pub struct Paint;

fn main() {}
