//! [`Sql`]: a Durable Object's SQLite storage, from [`Ctx::sql`](crate::Ctx::sql).
//!
//! Only the Durable Object host has it, for classes created by a `new_sqlite_classes`
//! migration (what `duract new` and `duract check --fix` write). On the native host
//! `ctx.sql()` is an error saying so, so a handler's code is the same on both hosts and its
//! native tests see that error; test SQL in workerd.
//!
//! Statements run as they are called: the object's implicit transaction stores them and its
//! output gate holds the reply until they are stored, but a turn that fails *after* a write
//! does not undo it. Run writes after every check that can fail, or in
//! [`Ctx::after_commit`](crate::Ctx::after_commit). duract's own state keys (`f/..`, `e/..`)
//! live in the same object's key-value storage and are unaffected by SQL.
//!
//! ```
//! use duract::{actor, message, payload, route, Ctx, Error, SqlValue};
//!
//! #[message]
//! pub struct Count { pub tag: String }
//!
//! #[payload]
//! pub struct Row { pub n: u64 }
//!
//! #[actor]
//! #[derive(Default)]
//! pub struct Tags;
//!
//! #[route]
//! impl Tags {
//!     async fn count(&mut self, ctx: &mut Ctx, msg: Count) -> Result<u64, Error> {
//!         let sql = ctx.sql()?;
//!         sql.execute("CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL)", &[])?;
//!         let rows: Vec<Row> =
//!             sql.query("SELECT count(*) AS n FROM tags WHERE tag = ?", &[SqlValue::from(msg.tag)])?;
//!         Ok(rows.first().map_or(0, |r| r.n))
//!     }
//! }
//!
//! // In workerd this counts; the native host has no SQL storage, and says so.
//! let host = duract::native::Host::new().with::<Tags>();
//! let client = host.client("client:ui").unwrap();
//! let error = client.actor::<Tags>("t").ask(&Count { tag: "a".into() }).unwrap_err();
//! assert!(error.to_string().contains("SQL storage is not on this host"));
//! ```

use crate::error::Error;
use serde::de::DeserializeOwned;

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// `NULL`.
    Null,
    /// An integer (beyond ±2^53 JavaScript loses precision).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}
impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl From<Vec<u8>> for SqlValue {
    fn from(v: Vec<u8>) -> Self {
        SqlValue::Blob(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// Why `ctx.sql()` fails on a host without SQL storage.
pub(crate) fn not_on_this_host() -> Error {
    Error::ActorError {
        reason: "SQL storage is not on this host: it is a Durable Object's, in workerd, for a \
                 class created by a `new_sqlite_classes` migration"
            .into(),
    }
}

/// The SQLite storage of this actor's Durable Object.
pub struct Sql {
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    inner: worker::SqlStorage,
    /// No native value exists: `ctx.sql()` is an error there.
    #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
    never: std::convert::Infallible,
}

#[cfg(any(target_arch = "wasm32", feature = "docs"))]
fn sql_error(query: &str, e: worker::Error) -> Error {
    Error::ActorError {
        reason: format!(
            "SQL `{}` failed: {e}",
            query.chars().take(60).collect::<String>()
        ),
    }
}

impl Sql {
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    pub(crate) fn new(inner: worker::SqlStorage) -> Sql {
        Sql { inner }
    }

    /// Runs `query` with `bindings` for its `?` placeholders and decodes each row (an object
    /// of its columns by name) as `T`.
    pub fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: &[SqlValue],
    ) -> Result<Vec<T>, Error> {
        #[cfg(any(target_arch = "wasm32", feature = "docs"))]
        {
            let cursor = self
                .inner
                .exec(query, worker_values(bindings))
                .map_err(|e| sql_error(query, e))?;
            cursor.to_array().map_err(|e| sql_error(query, e))
        }
        #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
        {
            let _ = (query, bindings);
            match self.never {}
        }
    }

    /// Runs `query` (a write, or a schema statement) with `bindings`: the rows it wrote.
    pub fn execute(&self, query: &str, bindings: &[SqlValue]) -> Result<usize, Error> {
        #[cfg(any(target_arch = "wasm32", feature = "docs"))]
        {
            let cursor = self
                .inner
                .exec(query, worker_values(bindings))
                .map_err(|e| sql_error(query, e))?;
            // The cursor runs lazily: consume it so the statement completes.
            let _ = cursor.raw().count();
            Ok(cursor.rows_written())
        }
        #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
        {
            let _ = (query, bindings);
            match self.never {}
        }
    }

    /// The `worker` crate's handle, for what this one does not offer.
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    pub fn raw(&self) -> &worker::SqlStorage {
        &self.inner
    }
}

#[cfg(any(target_arch = "wasm32", feature = "docs"))]
fn worker_values(bindings: &[SqlValue]) -> Vec<worker::SqlStorageValue> {
    use worker::SqlStorageValue as W;
    bindings
        .iter()
        .map(|v| match v {
            SqlValue::Null => W::Null,
            SqlValue::Integer(n) => W::Integer(*n),
            SqlValue::Real(x) => W::Float(*x),
            SqlValue::Text(s) => W::String(s.clone()),
            SqlValue::Blob(b) => W::Blob(b.clone()),
        })
        .collect()
}
