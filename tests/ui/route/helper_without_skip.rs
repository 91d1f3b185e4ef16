// A helper method in a `#[route]` block without `#[route(skip)]`: one error, at its name.
use duract::{actor, message, route, Ctx};
#[message]
pub struct Ping;
#[actor]
#[derive(Default)]
pub struct A { n: u32 }
#[route]
impl A {
    async fn ping(&mut self, _ctx: &mut Ctx, _m: Ping) {}
    fn helper(&self) -> u32 { self.n }
}
fn main() {}
