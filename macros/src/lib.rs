//! Procedural macros of duract: `#[message]`, `#[payload]`, `#[actor]`, `#[route]`.
//!
//! Use them through the `duract` crate, which re-exports them (their documentation is here,
//! and shows on the re-exports). Each macro is a pipeline of small stages: parse the
//! arguments and the item into a model, check the rules, expand. Every mistake is a compile
//! error at the offending tokens, all reported together, and the item is still emitted.
//! Generated code names everything absolutely (`::duract::...`, `::core::...`, or the path
//! given by `crate = "..."`), so it compiles under `#![no_implicit_prelude]` and with the
//! runtime crate renamed.

mod actor;
mod args;
mod branch;
mod case;
mod errors;
mod message;
mod route;
#[cfg(test)]
mod snapshot;
mod span;

use proc_macro::TokenStream;

/// Declares a message: a payload type with a wire type name. What it is answered with is the
/// return type of its handler (`#[route]`), declared there once.
///
/// ```ignore
/// #[message]                                 // type = "register_worker" (snake_case of the name)
/// pub struct RegisterWorker { pub worker_id: Option<String> }   // wire field: workerId
///
/// #[message(type = "process_task", internal)]
/// pub struct ProcessTask { pub task_id: String }
/// ```
///
/// Arguments (all optional):
/// - `type = "..."`: the wire type (default: the snake_case of the type's name);
/// - `internal`: only actors may send it; a gateway answers `forbidden` to clients;
/// - `crate = "path"`: the path of the runtime crate when it is renamed (default `::duract`).
///
/// Adds `Serialize` and `Deserialize` (through duract's re-export of serde: no serde line in
/// your `Cargo.toml`) with `#[serde(rename_all = "camelCase")]` unless the type already sets
/// `rename_all` (enums also get `rename_all_fields = "camelCase"`). A struct without fields
/// (`X`, `X {}`, `X()`) ignores its payload (`null`, absent, `{}`, anything). Implements
/// `Message`.
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    message::expand(message::Which::Message, args.into(), item.into()).into()
}

/// Serde glue only, for replies and nested types: `Serialize`, `Deserialize` and
/// `rename_all = "camelCase"`, as `#[message]` adds them. Takes `crate = "path"`.
#[proc_macro_attribute]
pub fn payload(args: TokenStream, item: TokenStream) -> TokenStream {
    message::expand(message::Which::Payload, args.into(), item.into()).into()
}

#[doc = include_str!("actor_doc.md")]
///
/// # Expansion
///
/// For the actor and handlers in `macros/tests/expand/coordinator.rs` (this text is the
/// snapshot test's checked-in output, normalized token text):
///
/// ```text
#[doc = include_str!("../tests/expand/coordinator.expanded.rs")]
/// ```
#[proc_macro_attribute]
pub fn actor(args: TokenStream, item: TokenStream) -> TokenStream {
    actor::expand(args.into(), item.into()).into()
}

/// Routes messages to handlers: on an actor's inherent `impl` block.
///
/// ```ignore
/// #[route]
/// impl Coordinator {
///     async fn register_worker(&mut self, ctx: &mut Ctx, msg: RegisterWorker) -> Result<Registered, Error> { .. }
///     async fn get_status(&mut self, ctx: &mut Ctx, msg: GetStatus) -> Status { .. }
///     #[route(skip)]
///     fn helper(&self) -> usize { .. }   // not a handler
/// }
/// ```
///
/// `#[route(on_activate)] async fn warm(&mut self, ctx: &mut Ctx)` (returning nothing or
/// `Result<(), E>`) marks the activation hook: it runs first in the first turn of each
/// activation, after the state loaded, and commits (or fails) with that turn.
///
/// `#[route(migrate)] async fn upgrade(from: u32, store: &mut Migration<'_>)` (returning
/// nothing or `Result<(), E>`; no `self`: it runs before the state loads) rewrites a store of
/// version `from` into the version the actor declares (`#[actor(version = N)]`); see
/// `duract::storage::migrate`.
///
/// Every method is a handler unless marked `#[route(skip)]`. A handler is
/// `async fn name(&mut self, ctx: &mut Ctx, msg: M) -> R` where `M` is a `#[message]` and `R`
/// is the reply (a `#[payload]` type, or any serde type), or `Result<R, E>` with
/// `E: IntoWireError` (recognised by the last path segment `Result` with two type arguments;
/// no return type means `()`).
///
/// Generates `impl Handles<M> for Actor { type Reply = R; }` per handler (so
/// `ctx.actor::<Actor>(id).ask(&msg)` returns `R`), and the dispatch: the payload is decoded
/// only in the arm matching the envelope's `type` (`invalid_payload` with serde's reason when
/// it does not decode), a type no handler takes is `unknown_type`, a handler's `Err(e)` is
/// `e.into_wire_error()`, and the reply is serialized. Two handlers taking messages with the
/// same wire type are a compile error (a const assertion compares `M::TYPE`s), as is one
/// message type taken twice. Takes `crate = "path"`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(args.into(), item.into()).into()
}
