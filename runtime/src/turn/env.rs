//! [`Env`]: the environment's bindings as a handler reaches them, `ctx.env()`: variables,
//! secrets and KV namespaces on both hosts (the native host's are test doubles given to its
//! builder), and on the Durable Object host the `worker` crate's R2, service and Durable
//! Object namespace bindings (any other through `Env::raw`).
//!
//! Reads go out at once; writes through a [`Kv`] are held until the turn commits, as sends
//! are, and dropped when it fails: a turn's effects happen all together or not at all.
//!
//! ```
//! use duract::native::Host;
//! use duract::{actor, message, route, Ctx, Error, MemoryKv};
//!
//! #[message]
//! pub struct Greet { pub name: String }
//!
//! #[actor]
//! #[derive(Default)]
//! pub struct Greeter;
//!
//! #[route]
//! impl Greeter {
//!     async fn greet(&mut self, ctx: &mut Ctx, msg: Greet) -> Result<String, Error> {
//!         let key = ctx.env().secret("GREETING_KEY")?; // Err when unset
//!         let cache = ctx.env().kv("CACHE")?;
//!         let greeting = cache.get("greeting").await?.unwrap_or_else(|| "Hello".into());
//!         cache.put(&format!("last/{}", key.expose()), &msg.name)?; // written if the turn commits
//!         Ok(format!("{greeting}, {}", msg.name))
//!     }
//! }
//!
//! let cache = MemoryKv::new().with("greeting", "Hi");
//! let host = Host::new()
//!     .with::<Greeter>()
//!     .kv("CACHE", cache.clone())
//!     .secret("GREETING_KEY", "k1");
//! let client = host.client("client:ui").unwrap();
//! let reply = client.actor::<Greeter>("g").ask(&Greet { name: "Ada".into() }).unwrap();
//! assert_eq!(reply, "Hi, Ada");
//! assert_eq!(cache.value("last/k1").as_deref(), Some("Ada"));
//! ```

use crate::context::Ctx;
use crate::error::Error;
use crate::platform::{check_kv_key, KvStore, Secret, Sql};
use std::future::Future;
use std::rc::Rc;
use std::str::FromStr;

/// The environment of a turn, from [`Ctx::env`].
pub struct Env<'c> {
    ctx: &'c Ctx,
}

fn unbound(what: &str, name: &str) -> Error {
    Error::ActorError {
        reason: format!("no {what} is bound as `{name}` in this environment"),
    }
}

impl<'c> Env<'c> {
    /// A configuration variable (`[vars]`; on the native host `Host::var`).
    pub fn var(&self, name: &str) -> Option<String> {
        self.ctx.port().var(name)
    }

    /// A configuration variable parsed as `T`, or `default` when unset or unparsable.
    pub fn var_or<T: FromStr>(&self, name: &str, default: T) -> T {
        self.ctx.var_or(name, default)
    }

    /// The secret `name` (`wrangler secret put`, `.dev.vars`; on the native host
    /// `Host::secret`); an error when it is not set.
    pub fn secret(&self, name: &str) -> Result<Secret, Error> {
        self.var(name)
            .map(Secret::new)
            .ok_or_else(|| unbound("secret", name))
    }

    /// The KV namespace bound as `name` (`[[kv_namespaces]]`; on the native host
    /// `Host::kv`); an error when there is none.
    pub fn kv(&self, name: &str) -> Result<Kv<'c>, Error> {
        let store = self
            .ctx
            .port()
            .kv(name)
            .ok_or_else(|| unbound("KV namespace", name))?;
        Ok(Kv {
            ctx: self.ctx,
            store,
        })
    }
}

#[cfg(any(target_arch = "wasm32", feature = "docs"))]
impl Env<'_> {
    fn worker_env(&self) -> Result<&worker::Env, Error> {
        self.ctx
            .port()
            .worker_env()
            .ok_or_else(|| Error::ActorError {
                reason: "the worker's bindings are only on the Durable Object host".into(),
            })
    }

    fn binding<T>(
        &self,
        what: &str,
        name: &str,
        get: impl FnOnce(&worker::Env) -> worker::Result<T>,
    ) -> Result<T, Error> {
        get(self.worker_env()?).map_err(|_| unbound(what, name))
    }

    /// The R2 bucket bound as `name` (`[[r2_buckets]]`). Its writes are not held for the
    /// turn: make them in [`Ctx::after_commit`] to keep the turn's all-or-nothing rule.
    pub fn r2(&self, name: &str) -> Result<worker::Bucket, Error> {
        self.binding("R2 bucket", name, |env| env.bucket(name))
    }

    /// The service (another worker) bound as `name` (`[[services]]`).
    pub fn service(&self, name: &str) -> Result<worker::Fetcher, Error> {
        self.binding("service", name, |env| env.service(name))
    }

    /// The Durable Object namespace bound as `name`, for classes that are not duract actors
    /// (reach actors with [`Ctx::actor`]).
    pub fn durable_object(&self, name: &str) -> Result<worker::ObjectNamespace, Error> {
        self.binding("Durable Object namespace", name, |env| {
            env.durable_object(name)
        })
    }

    /// The whole environment, for any other binding: a D1 database, say, with the `worker`
    /// crate's `d1` feature on in your crate (`ctx.env().raw()?.d1("DB")`); make its writes
    /// in [`Ctx::after_commit`] as for [`Env::r2`].
    pub fn raw(&self) -> Result<&worker::Env, Error> {
        self.worker_env()
    }
}

/// A KV namespace, from [`Env::kv`]: reads go out at once, writes when the turn commits.
pub struct Kv<'c> {
    ctx: &'c Ctx,
    store: Rc<dyn KvStore>,
}

impl Kv<'_> {
    /// The value of `key`, `None` when absent. A write of this same turn is not seen: it is
    /// made when the turn commits.
    pub fn get(&self, key: &str) -> impl Future<Output = Result<Option<String>, Error>> + 'static {
        self.store.get(key)
    }

    /// The keys starting with `prefix`, in key order, at most `limit` (Workers KV lists at
    /// most 1,000 at a time).
    pub fn list(
        &self,
        prefix: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, Error>> + 'static {
        self.store.list(prefix, limit.min(1000))
    }

    /// Sets `key` to `value` once the turn commits (never if it fails). A key Workers KV
    /// refuses is an error now.
    pub fn put(&self, key: &str, value: &str) -> Result<(), Error> {
        check_kv_key(key)?;
        let (store, key, value) = (self.store.clone(), key.to_owned(), value.to_owned());
        self.ctx.after_commit(async move {
            let written = store.put(&key, value).await;
            report(&key, written);
        });
        Ok(())
    }

    /// Removes `key` once the turn commits (never if it fails).
    pub fn delete(&self, key: &str) -> Result<(), Error> {
        check_kv_key(key)?;
        let (store, key) = (self.store.clone(), key.to_owned());
        self.ctx.after_commit(async move {
            let deleted = store.delete(&key).await;
            report(&key, deleted);
        });
        Ok(())
    }
}

/// A KV write runs after the commit and nothing waits on it: a failure is logged.
fn report(key: &str, written: Result<(), Error>) {
    if let Err(e) = written {
        log_failure(&format!("duract: KV write of `{key}` failed: {e}"));
    }
}

fn log_failure(text: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_warn!("{text}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{text}");
}

impl Ctx {
    /// The environment's bindings: variables, secrets, KV namespaces (and on the Durable
    /// Object host R2 buckets, services, Durable Object namespaces); see [`Env`].
    pub fn env(&self) -> Env<'_> {
        Env { ctx: self }
    }

    /// This actor's SQLite storage ([`Sql`]): a Durable Object's whose class a
    /// `new_sqlite_classes` migration created. An error on the native host, and on a
    /// Durable Object without SQL storage.
    pub fn sql(&self) -> Result<Sql<'_>, Error> {
        #[cfg(any(target_arch = "wasm32", feature = "docs"))]
        if let Some(sql) = self.port().sql() {
            return Ok(Sql::new(sql, self.held_sql()));
        }
        Err(crate::platform::sql::not_on_this_host())
    }
}
