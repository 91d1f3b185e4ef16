//! What `#[actor]` generates from.

use proc_macro2::Span;
use syn::{Ident, LitStr, Type};

/// One actor type.
pub struct ActorModel {
    pub krate: syn::Path,
    pub ident: Ident,
    /// The address kind, with the span to report it at.
    pub kind: LitStr,
    /// The Durable Object class name.
    pub class: LitStr,
    /// The Durable Object binding name.
    pub binding: LitStr,
    /// The struct's fields (empty for a unit struct).
    pub fields: Vec<FieldModel>,
    pub gateway: Option<GatewayModel>,
    /// `version = N`: the stored schema's version (with the literal, for spans).
    pub version: Option<(u32, syn::LitInt)>,
}

/// How a field is persisted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Persist {
    /// One key, `f/<field>`, rewritten when its JSON changes.
    Plain,
    /// One key per entry, `e/<field>/<entry>` (`#[persist(entries)]`).
    Entries,
    /// Not stored (`#[persist(skip)]`).
    Skip,
}

/// One field of the actor struct.
pub struct FieldModel {
    pub ident: Ident,
    pub ty: Type,
    pub persist: Persist,
    /// `#[persist(renamed_from = "old")]`: the name it was stored under before.
    pub renamed_from: Option<LitStr>,
}

/// The routing table of `#[actor(gateway(...))]`.
pub struct GatewayModel {
    /// The `gateway` key, where the gateway's own branches are declared.
    pub span: Span,
    /// `kind = ActorType`.
    pub forwards: Vec<Forward>,
    /// `"client:x" = [MessageTypes]`.
    pub replies: Vec<Reply>,
    /// `default = "client:ui"`.
    pub default_reply_to: LitStr,
}

/// Frames to `kind:*` go to actor type `target`.
pub struct Forward {
    pub kind: LitStr,
    pub target: Type,
}

/// Replies to requests of type `message` go to `to`.
pub struct Reply {
    pub to: LitStr,
    pub message: Type,
}
