use duract::message;

#[message(colour = "red")]
pub struct Paint;

fn main() {}
