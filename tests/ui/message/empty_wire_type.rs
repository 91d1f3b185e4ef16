use duract::message;

#[message(type = "")]
pub struct Paint;

fn main() {}
