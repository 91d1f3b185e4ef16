use duract::payload;

#[payload(reply = String)]
pub struct Painted;

fn main() {}
