use duract::message;

// The reply type is the handler's return type now: `reply = ..` is an error at the key.
#[message(reply = u32)]
pub struct Ping;

fn main() {}
