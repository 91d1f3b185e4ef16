//! # duract
//!
//! Actors for Cloudflare Durable Objects, in Rust. Annotate your types and get the wire
//! protocol, dispatch, per-field persistence and a table of every branch of every actor:
//!
//! - [`#[message]`](macro@message) on a payload type: its wire type name, its reply type, serde glue;
//! - [`#[actor]`](macro@actor) on a struct: its kind and address (`kind:id`), its persisted
//!   state, its Durable Object class, or a gateway's routing table;
//! - [`#[route]`](macro@route) on its `impl` block: which wire type goes to which handler.
//!
//! The same generated code runs in workerd (the Durable Object adapter, wasm32 only) and on
//! the native in-process host for fast deterministic tests.
#![warn(missing_docs)]

// The layers, bottom up (each module depends only on the ones listed before it); see the
// README's architecture section.
mod api; // actors, handles and refs, gateways
mod block_on;
pub mod checklist; // the branch-hit recorder
#[cfg(any(target_arch = "wasm32", feature = "docs"))]
pub mod durable; // the Durable Object host (wasm32)
pub mod future;
mod info; // static descriptions: ActorInfo, RouteInfo, GatewayInfo, branches
pub mod instance; // Instance: how a turn runs, over the user API and a Port
pub mod later; // messages an actor sends itself for later, held in memory by the host
#[cfg(not(target_arch = "wasm32"))]
pub mod native; // the native host (tests)
pub mod platform; // bindings: KV, secrets
mod port; // what a host provides
#[cfg(feature = "schema")]
pub mod schema; // JSON Schema and TypeScript of an API
pub mod storage; // storage, persist, collections
mod support; // what generated code calls (`__private`)
pub mod turn; // timers, the context of a turn, the gate
mod wire; // address, envelope, error, message, principal, limit, upgrade, surrogates

// The public module paths, whatever layer they live in.
use api::actor;
pub use api::gateway;
pub use info::branch;
pub use storage::{collections, persist};
use turn::context;
pub use turn::timer;
use wire::{address, error, limit, message, principal, surrogates};
pub use wire::{envelope, upgrade};

pub use actor::{Actor, ActorRef, Gateway, Handles, Target};
pub use address::{Address, AddressError};
pub use block_on::block_on;
pub use branch::{Branch, BranchKind};
pub use collections::{Indexed, Table};
pub use context::Ctx;
pub use envelope::{DecodeError, Envelope};
pub use error::{Error, ErrorPayload, IntoWireError};
pub use info::{ActorInfo, Forward, GatewayInfo, ReplyRoute, RouteInfo};
pub use limit::{
    check_id, is_valid_session_name, Limit, ASK_TIMEOUT_MS, MAX_FRAME_BYTES, MAX_ID_BYTES,
    MAX_INFLIGHT, MAX_SESSION_NAME_BYTES,
};
pub use message::{Message, Payload};
pub use persist::{EntryField, PMap, PQueue, PSet};
pub use platform::{MemoryKv, Secret, Sql, SqlValue};
pub use port::Port;
pub use principal::{scoped_name, Principal};
pub use storage::{ListOptions, MemoryStorage, Storage, StorageError, WriteBatch};
pub use turn::env::{Env, Kv};

pub use duract_macros::{actor, message, payload, route};

/// What generated code uses. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::actor::Unsendable;
    pub use crate::branch::{Branch, BranchKind};
    #[cfg(feature = "mutants")]
    pub use crate::checklist::mutant::{
        abort_active as mutant_abort_active, catch as mutant_catch, check as mutant_check,
        error as mutant_error, mutant_if, mutant_on, null_payload,
    };
    #[cfg(feature = "checklist")]
    pub use crate::checklist::{hit, hit_in};
    pub use crate::gateway::Delivered;
    pub use crate::info::{ActorInfo, Forward, GatewayInfo, ReplyRoute, RouteInfo};
    pub use crate::instance::{Instance, Turns};
    pub use crate::persist::{SaveBatch, Saved, ENTRIES_PREFIX, FIELD_PREFIX};
    #[cfg(feature = "schema")]
    pub use crate::schema::{subschema, RouteSchema, RouteSchemas};
    pub use crate::storage::Storage;
    pub use crate::support::*;
    #[cfg(feature = "schema")]
    pub use schemars;
    pub use serde;
    pub use serde_json;
    pub use serde_json::value::RawValue;
}
