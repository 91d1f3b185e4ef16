use duract::message;

#[message(type = "paint", type = "repaint")]
pub struct Paint;

fn main() {}
