use duract::message;

#[message(reply = (), colour = "red")]
pub struct Paint;

fn main() {}
