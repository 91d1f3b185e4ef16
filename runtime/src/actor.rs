//! Actors: the trait `#[actor]` and `#[route]` implement, and its static description.

use crate::branch::Branch;
use crate::context::Ctx;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::persist::{SaveBatch, Saved};
use crate::storage::Storage;
use serde_json::value::RawValue;

/// The static description of an actor type: everything a host needs to route to it.
#[derive(Debug)]
pub struct ActorInfo {
    /// The address kind (`coordinator` in `coordinator:main`).
    pub kind: &'static str,
    /// The Durable Object class it runs as (`CoordinatorActor`).
    pub class: &'static str,
    /// The Durable Object namespace binding other actors reach it by (`COORDINATOR_ACTOR`).
    pub binding: &'static str,
    /// The message types it handles.
    pub routes: &'static [RouteInfo],
    /// Every branch it has.
    pub branches: &'static [Branch],
    /// Present when the actor is a gateway for client connections.
    pub gateway: Option<&'static crate::gateway::GatewayInfo>,
}

impl ActorInfo {
    /// The route for a wire message type.
    pub fn route(&self, message_type: &str) -> Option<&'static RouteInfo> {
        self.routes.iter().find(|r| r.message_type == message_type)
    }
}

/// One message type an actor handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    /// The wire type.
    pub message_type: &'static str,
    /// Whether only actors may send it.
    pub internal: bool,
    /// The handler method's name.
    pub handler: &'static str,
}

/// An actor: state, persistence and dispatch of one envelope. Implemented by the macros:
/// `#[actor]` writes [`Actor::load`] and [`Actor::save`], `#[route]` writes
/// [`Actor::dispatch`] and the tables.
#[allow(async_fn_in_trait)] // single-threaded by design: Durable Objects run one wasm thread
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor",
    label = "not an `#[actor]` type",
    note = "add `#[duract::actor]` to its declaration"
)]
pub trait Actor: Sized + 'static {
    /// The actor's static description.
    const INFO: &'static ActorInfo;

    /// Builds the instance `id` from its storage (defaults for what storage does not hold),
    /// with the snapshot [`Actor::save`] compares against.
    async fn load(id: &str, storage: &dyn Storage) -> Result<(Self, Saved), Error>;

    /// Adds what the turn changed, compared with `saved`, to `batch` (the turn's commit
    /// writes it with the turn's timers, in one write).
    fn save(&mut self, saved: &Saved, batch: &mut SaveBatch) -> Result<(), Error>;

    /// Handles one envelope addressed to this actor and returns the reply payload.
    async fn dispatch(
        &mut self,
        ctx: &mut Ctx,
        envelope: &Envelope,
    ) -> Result<Box<RawValue>, Error>;
}

/// Actor type `Self` has a route for message `M`, whose handler replies `Reply`; written by
/// `#[route]` from the handler's signature, so [`ActorRef::send`](crate::ActorRef::send)
/// only compiles for messages the target handles and
/// [`ActorRef::ask`](crate::ActorRef::ask) returns the reply's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not handle `{M}`",
    label = "no handler of `{M}` in `{Self}`'s `#[route]` block",
    note = "add `async fn handler(&mut self, ctx: &mut Ctx, msg: {M}) -> Reply` to the `#[route]` impl of `{Self}`"
)]
pub trait Handles<M: crate::Message>: Actor {
    /// What the handler answers on success: `R` for a handler returning `R` or
    /// `Result<R, E>`, `()` for one returning nothing.
    type Reply: crate::Payload;
}
