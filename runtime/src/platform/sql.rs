//! [`Sql`]: a Durable Object's SQLite storage, from [`Ctx::sql`](crate::Ctx::sql).
//!
//! Only the Durable Object host has it, for classes created by a `new_sqlite_classes`
//! migration (what `duract new` and `duract check --fix` write). On the native host
//! `ctx.sql()` is an error saying so, so a handler's code is the same on both hosts and its
//! native tests see that error; test SQL in workerd.
//!
//! Writes keep the turn's rule, all or nothing: [`Sql::execute`] holds a statement until the
//! turn commits, then the turn's statements run in one transaction (`transactionSync`) just
//! before the state's write, issued with it; a turn that fails runs none of them, and a
//! statement that fails fails the turn with nothing written. So a turn does not read its own
//! SQL writes. [`Sql::query`] reads at once; [`Sql::define`] runs a schema statement at once
//! (`CREATE TABLE IF NOT EXISTS ..`: idempotent, so a failed turn need not undo it). duract's
//! own state keys (`f/..`, `e/..`) live in the same object's key-value storage.
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
//!         sql.define("CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL)")?;
//!         sql.execute("INSERT INTO tags (tag) VALUES (?)", &[SqlValue::from(msg.tag.clone())]);
//!         // The insert runs when the turn commits: this counts the earlier turns' tags.
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
use std::cell::RefCell;

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

/// A SQL write a turn holds until it commits ([`Sql::execute`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlWrite {
    /// The statement.
    pub query: String,
    /// The values of its `?` placeholders.
    pub bindings: Vec<SqlValue>,
}

/// The SQLite storage of this actor's Durable Object, for one turn.
pub struct Sql<'c> {
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    inner: worker::SqlStorage,
    /// The turn's held writes.
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    held: &'c RefCell<Vec<SqlWrite>>,
    #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
    _held: std::marker::PhantomData<&'c RefCell<Vec<SqlWrite>>>,
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

impl<'c> Sql<'c> {
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    pub(crate) fn new(inner: worker::SqlStorage, held: &'c RefCell<Vec<SqlWrite>>) -> Sql<'c> {
        Sql { inner, held }
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

    /// Holds the write `query` with `bindings` until the turn commits; then the turn's writes
    /// run in one transaction, all or none, with the state's write (see the module's docs).
    pub fn execute(&self, query: &str, bindings: &[SqlValue]) {
        #[cfg(any(target_arch = "wasm32", feature = "docs"))]
        self.held.borrow_mut().push(SqlWrite {
            query: query.to_owned(),
            bindings: bindings.to_vec(),
        });
        #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
        {
            let _ = (query, bindings);
            match self.never {}
        }
    }

    /// Runs the schema statement `query` at once (`CREATE TABLE IF NOT EXISTS ..`,
    /// `CREATE INDEX IF NOT EXISTS ..`): idempotent statements that a failed turn need not
    /// undo, and that a turn's reads and writes may need.
    pub fn define(&self, query: &str) -> Result<(), Error> {
        #[cfg(any(target_arch = "wasm32", feature = "docs"))]
        {
            let cursor = (self.inner)
                .exec(query, None)
                .map_err(|e| sql_error(query, e))?;
            // The cursor runs lazily: consume it so the statement completes.
            let _ = cursor.raw().count();
            Ok(())
        }
        #[cfg(not(any(target_arch = "wasm32", feature = "docs")))]
        {
            let _ = query;
            match self.never {}
        }
    }

    /// Runs the turn's `writes` in one transaction on `storage` (`transactionSync`): all or
    /// none; the first that fails is the error.
    #[cfg(any(target_arch = "wasm32", feature = "docs"))]
    pub(crate) fn commit(
        storage: &wasm_bindgen::JsValue,
        sql: worker::SqlStorage,
        writes: Vec<SqlWrite>,
    ) -> Result<(), Error> {
        use wasm_bindgen::{JsCast, JsValue};
        let failure = std::rc::Rc::new(std::cell::RefCell::new(None));
        let failed = failure.clone();
        let run = wasm_bindgen::closure::Closure::once(move || -> Result<JsValue, JsValue> {
            for w in &writes {
                let ran = sql.exec(&w.query, worker_values(&w.bindings)).map(|c| {
                    let _ = c.raw().count();
                });
                if let Err(e) = ran {
                    *failed.borrow_mut() = Some(sql_error(&w.query, e));
                    return Err(JsValue::from_str("duract: SQL write failed")); // rolls back
                }
            }
            Ok(JsValue::UNDEFINED)
        });
        let call = js_sys::Reflect::get(storage, &JsValue::from_str("transactionSync"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(not_on_this_host)?;
        match call.call1(storage, run.as_ref()) {
            Ok(_) => Ok(()),
            Err(e) => Err(failure.take().unwrap_or_else(|| Error::ActorError {
                reason: format!("SQL transaction failed: {e:?}"),
            })),
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
