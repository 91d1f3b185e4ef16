//! Actors: the trait `#[actor]` and `#[route]` implement, `Handles` (which messages an actor
//! takes and what it replies), and [`ActorRef`], the handle a handler sends and asks with.

use crate::address::Address;
use crate::context::Ctx;
use crate::envelope::Envelope;
use crate::error::Error;
pub use crate::info::{ActorInfo, RouteInfo};
use crate::message::Message;
use crate::persist::{Migration, SaveBatch, Saved};
use crate::principal::Principal;
use crate::storage::Storage;
use serde_json::value::RawValue;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

/// What an address names: an actor (state and turns) or a gateway (a router for client
/// sockets, with no state and no turns of its own). `#[actor]` implements it; hosts register
/// and run types by it (`Host::with::<T>()`, the Durable Object class).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor or a gateway",
    label = "not an `#[actor]` type",
    note = "add `#[duract::actor]` (or `#[duract::actor(gateway(..))]`) to its declaration"
)]
pub trait Target: Sized + 'static {
    /// Its static description (a gateway's has its routing table).
    const INFO: &'static ActorInfo;

    /// The turns of an instance on `port`: an actor's [`Instance`](crate::instance::Instance),
    /// none for a gateway. Written by `#[actor]`.
    #[doc(hidden)]
    fn __turns(port: std::rc::Rc<dyn crate::Port>) -> Option<std::rc::Rc<dyn crate::turn::Turns>>;
}

/// A gateway: client sockets connect to it and it forwards their frames by its routing table
/// (`#[actor(gateway(..))]`); actors push messages to its sockets through it. It is no
/// [`Actor`]: it has no state and no turns.
pub trait Gateway: Target {}

/// An actor: state, persistence and dispatch of one envelope. Implemented by the macros:
/// `#[actor]` writes [`Actor::load`] and [`Actor::save`], `#[route]` writes
/// [`Actor::dispatch`] and the tables.
#[allow(async_fn_in_trait)] // single-threaded by design: Durable Objects run one wasm thread
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor",
    label = "not an `#[actor]` type",
    note = "add `#[duract::actor]` to its declaration"
)]
pub trait Actor: Target {
    /// The version of the stored state's schema (`#[actor(version = N)]`; 1 by default). An
    /// activation that finds a store of an older version runs [`Actor::migrate`] first.
    const VERSION: u32 = 1;

    /// Rewrites a store of version `from` (older than [`Actor::VERSION`]; a store written
    /// before the actor declared a version is version 1) into the current schema, through
    /// `store`, before the state loads; its writes commit with the activation's first
    /// committed turn (see [`crate::storage::migrate`]). `#[route(migrate)]` on an associated
    /// function writes it.
    async fn migrate(from: u32, store: &mut Migration<'_>) -> Result<(), Error> {
        let _ = (from, store);
        Ok(())
    }

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

    /// Runs first in the first turn of each activation (after the state loaded), as part of
    /// that turn: what it changes, sends or sets commits with it, and if it fails the turn
    /// fails (and it runs again in the next). `#[route(on_activate)]` on a method writes it.
    async fn on_activate(&mut self, ctx: &mut Ctx) -> Result<(), Error> {
        let _ = ctx;
        Ok(())
    }
}

/// Actor type `Self` has a route for message `M`, whose handler replies `Reply`; written by
/// `#[route]` from the handler's signature, so [`ActorRef::send`](crate::ActorRef::send)
/// only compiles for messages the target handles and
/// [`ActorRef::ask`](crate::ActorRef::ask) returns the reply's type.
///
/// `M` is always a [`Message`], but the trait does not say so: a handler
/// taking a type without `#[message]` is then reported once, at the type, not a second time at
/// this impl.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not handle `{M}`",
    label = "no handler of `{M}` in `{Self}`'s `#[route]` block",
    note = "add `async fn handler(&mut self, ctx: &mut Ctx, msg: {M}) -> Reply` to the `#[route]` impl of `{Self}`"
)]
pub trait Handles<M>: Target {
    /// What the handler answers on success: `R` for a handler returning `R` or
    /// `Result<R, E>`, `()` for one returning nothing.
    type Reply: crate::Payload;
}

/// A type no one can send: every [`Actor`] handles two of them (`N` = 0 and 1), so no actor has
/// a single `Handles` impl. With one, rustc would infer the `M` of
/// `ctx.actor::<A>(..).send(&msg)` from that impl and report a message `A` does not handle as
/// "expected `&Handled`, found `&Sent`"; with several, it takes `M` from the argument and says
/// "`A` does not handle `Sent`".
#[doc(hidden)]
pub enum Unsendable<const N: u8> {}

#[diagnostic::do_not_recommend]
impl<A: Actor> Handles<Unsendable<0>> for A {
    type Reply = ();
}

#[diagnostic::do_not_recommend]
impl<A: Actor> Handles<Unsendable<1>> for A {
    type Reply = ();
}

impl Ctx {
    /// The actor of type `A` with instance id `id`, to [`send`](ActorRef::send) or
    /// [`ask`](ActorRef::ask): `ctx.actor::<Worker>("w1").send(&ProcessTask { .. })`.
    pub fn actor<A: Target>(&self, id: &str) -> ActorRef<'_, A> {
        let to = Address::new(A::INFO.kind, id).map_err(|e| Error::InvalidAddress {
            to: format!("{}:{id} ({e})", A::INFO.kind),
        });
        ActorRef {
            ctx: self,
            to,
            principal: None,
            actor: PhantomData,
        }
    }
}

/// An actor of type `A` to message, from [`Ctx::actor`]. Only messages `A` handles compile.
pub struct ActorRef<'c, A: Target> {
    ctx: &'c Ctx,
    /// The target's address, built once (or why `kind:id` is not one).
    to: Result<Address, Error>,
    /// The principal the envelopes carry instead of the turn's ([`ActorRef::for_principal`]).
    principal: Option<Option<Arc<Principal>>>,
    actor: PhantomData<A>,
}

impl<A: Target> ActorRef<'_, A> {
    /// The target's address, `kind:id`.
    pub fn address(&self) -> Result<Address, Error> {
        self.to.clone()
    }

    /// Sends on behalf of `principal` instead of the principal whose request caused this turn:
    /// it picks the target's instance (its tenant's; for a session, the principal's own). A
    /// room that pushes to its members' sessions keeps each member's `ctx.principal()` from
    /// when they joined and pushes with it.
    pub fn for_principal(mut self, principal: Option<&Principal>) -> Self {
        self.principal = Some(principal.cloned().map(Arc::new));
        self
    }

    /// The request envelope of `msg` to the target.
    fn envelope<M: Message>(&self, msg: &M) -> Result<Envelope, Error> {
        let to = self.to.as_ref().map_err(Clone::clone)?;
        let mut envelope = self.ctx.envelope(to, msg)?;
        if let Some(principal) = &self.principal {
            envelope.principal = principal.clone();
        }
        Ok(envelope)
    }

    /// Sends `msg` without waiting: it leaves when the turn's writes are stored, and is
    /// delivered in the background (Durable Objects' `wait_until`), reply dropped. Never
    /// blocks, so it is safe in any direction.
    pub fn send<M: Message>(&self, msg: &M) -> Result<(), Error>
    where
        A: Handles<M>,
    {
        let envelope = self.envelope(msg)?;
        self.ctx.queue_send(A::INFO, envelope);
        Ok(())
    }

    /// Sends `msg` and waits for the reply.
    ///
    /// Turns of one instance never overlap, so an ask that (directly or not) waits on the
    /// asking instance cannot be served: it ends in a `timeout` error, not a hang. Use
    /// [`ActorRef::send`] for calls that may come back.
    pub fn ask<M: Message>(
        &self,
        msg: &M,
    ) -> impl Future<Output = Result<<A as Handles<M>>::Reply, Error>> + 'static
    where
        A: Handles<M>,
    {
        let request = self.envelope(msg);
        let port = self.ctx.port().clone();
        async move {
            let reply = port.ask(A::INFO, request?).await?;
            let payload = reply.into_result()?;
            serde_json::from_str(payload.get()).map_err(|e| Error::ActorError {
                reason: format!("reply to {} does not decode: {e}", M::TYPE),
            })
        }
    }
}
