//! The platform's bindings as the hosts provide them: KV namespaces ([`KvStore`]; in memory
//! on the native host, [`MemoryKv`]) and secrets ([`Secret`]), and a Durable Object's SQL
//! storage ([`Sql`], workerd only). A handler reaches them through
//! [`Ctx::env`](crate::Ctx::env) and [`Ctx::sql`](crate::Ctx::sql), the same code on both hosts.

mod kv;
mod secret;
pub mod sql;

pub use kv::{check_kv_key, KvStore, MemoryKv, MAX_KV_KEY_BYTES};
pub use secret::Secret;
pub use sql::{Sql, SqlValue};
