//! The model of a `#[route]` block: what the stages after parsing read and fill.

use super::waive::{Waiver, Waivers};
use crate::branch::BranchKind;
use proc_macro2::Span;
use syn::{Ident, Type};

/// The impl block's handlers.
pub struct RouteModel {
    pub krate: syn::Path,
    /// The actor type.
    pub self_ty: Type,
    /// The actor's name, for labels.
    pub actor_name: String,
    /// The `impl` token: where the dispatch's own branches are declared.
    pub impl_span: Span,
    /// `#[waive(unknown_type = "..")]` on the impl block.
    pub unknown_type_waiver: Option<Waiver>,
    pub handlers: Vec<Handler>,
    /// Methods that are neither handlers nor skipped (already reported).
    pub not_handlers: Vec<Ident>,
    /// The method marked `#[route(on_activate)]`, run first in an activation's first turn.
    pub on_activate: Option<OnActivate>,
    /// The function marked `#[route(migrate)]`, run on a store of an older version.
    pub migrate: Option<OnActivate>,
}

/// A hook: `#[route(on_activate)] async fn name(&mut self, ctx: &mut Ctx) [-> Result<(), E>]`,
/// or `#[route(migrate)] async fn name(from: u32, store: &mut Migration<'_>) [-> Result<(), E>]`.
pub struct OnActivate {
    pub name: Ident,
    /// `E`, when it returns a `Result`.
    pub err: Option<Box<Type>>,
}

/// One handler.
pub struct Handler {
    pub name: Ident,
    /// The message type.
    pub message: Type,
    /// The type of the `ctx` argument as written (for spans).
    pub ctx_ty: Type,
    pub output: Output,
    /// The branches inside its body.
    pub body: Vec<BodyBranch>,
    /// `#[waive("reason")]` on the method (all its branches), or
    /// `#[waive(invalid_payload = "..", handler_error = "..")]` (those generated branches).
    pub waivers: Waivers,
}

/// What a handler returns.
pub enum Output {
    /// The reply itself (no return type: `()`).
    Reply(Box<Type>),
    /// `Result<Reply, E>`.
    Fallible {
        ok: Box<Type>,
        err: Box<Type>,
        span: Span,
    },
}

/// One branch found in a body.
pub struct BodyBranch {
    /// The id after `<kind>/<wire type>/`.
    pub suffix: String,
    pub kind: BranchKind,
    pub label: String,
    pub span: Span,
    /// Why tests need not reach it, when waived.
    pub waiver: Option<Waiver>,
}
