//! The platform from a handler on the native host: variables, secrets and KV namespaces
//! through `ctx.env()` (the host's in-memory doubles), KV writes held until the turn commits,
//! and SQL storage refused with a clear error (it is workerd's only).

use duract::native::Host;
use duract::{actor, message, payload, route, Ctx, Error, MemoryKv, SqlValue};

/// `remember`: stores `value` under `key` in the KV namespace `CACHE`, then fails when `fail`.
#[message]
pub struct Remember {
    pub key: String,
    pub value: String,
    pub fail: bool,
}

/// `recall`: what `CACHE` holds under `key`, and the keys under `prefix`.
#[message]
pub struct Recall {
    pub key: String,
    pub prefix: String,
}

/// The reply to [`Recall`].
#[payload]
pub struct Recalled {
    pub value: Option<String>,
    pub keys: Vec<String>,
}

/// `forget`: deletes `key` from `CACHE`.
#[message]
pub struct Forget {
    pub key: String,
}

/// `sign`: the secret `API_KEY`'s length and the variable `REGION`, or the error of reading
/// the binding named `binding`.
#[message]
pub struct Sign {
    pub binding: Option<String>,
}

/// `count_rows`: a query through `ctx.sql()`.
#[message]
pub struct CountRows;

/// A row of the `count_rows` query.
#[payload]
pub struct Row {
    pub n: u64,
}

#[actor]
#[derive(Default)]
pub struct Cache {
    /// Stored state, so a failed turn also has a state change to drop.
    writes: u32,
}

#[route]
impl Cache {
    async fn remember(&mut self, ctx: &mut Ctx, msg: Remember) -> Result<u32, Error> {
        let cache = ctx.env().kv("CACHE")?;
        cache.put(&msg.key, &msg.value)?;
        // A write of this turn is not visible to it: it is made when the turn commits.
        if cache.get(&msg.key).await?.as_deref() == Some(msg.value.as_str()) {
            return Err(Error::handler(
                "seen_early",
                "the write was visible before commit",
            ));
        }
        self.writes += 1;
        if msg.fail {
            return Err(Error::handler("refused", "remember refused"));
        }
        Ok(self.writes)
    }

    async fn recall(&mut self, ctx: &mut Ctx, msg: Recall) -> Result<Recalled, Error> {
        let cache = ctx.env().kv("CACHE")?;
        Ok(Recalled {
            value: cache.get(&msg.key).await?,
            keys: cache.list(&msg.prefix, 10).await?,
        })
    }

    async fn forget(&mut self, ctx: &mut Ctx, msg: Forget) -> Result<(), Error> {
        ctx.env().kv("CACHE")?.delete(&msg.key)
    }

    async fn sign(&mut self, ctx: &mut Ctx, msg: Sign) -> Result<String, Error> {
        if let Some(name) = msg.binding {
            ctx.env().kv(&name)?;
            ctx.env().secret(&name)?;
        }
        let secret = ctx.env().secret("API_KEY")?;
        let region = ctx.env().var("REGION").unwrap_or_default();
        Ok(format!("{} {region} {secret:?}", secret.expose().len()))
    }

    async fn count_rows(&mut self, ctx: &mut Ctx, _msg: CountRows) -> Result<u64, Error> {
        let rows: Vec<Row> = ctx.sql()?.query(
            "SELECT count(*) AS n FROM t WHERE k = ?",
            &[SqlValue::from("a")],
        )?;
        Ok(rows.first().map_or(0, |r| r.n))
    }
}

fn host(kv: &MemoryKv) -> Host {
    Host::new()
        .with::<Cache>()
        .kv("CACHE", kv.clone())
        .secret("API_KEY", "s3cret")
        .var("REGION", "eu")
}

fn remember(host: &Host, key: &str, fail: bool) -> Result<u32, Error> {
    let msg = Remember {
        key: key.into(),
        value: format!("v-{key}"),
        fail,
    };
    host.client("client:ui")
        .unwrap()
        .actor::<Cache>("c")
        .ask(&msg)
}

fn ask<M: duract::Message>(
    host: &Host,
    msg: &M,
) -> Result<<Cache as duract::Handles<M>>::Reply, Error>
where
    Cache: duract::Handles<M>,
{
    host.client("client:ui")
        .unwrap()
        .actor::<Cache>("c")
        .ask(msg)
}

#[test]
fn a_kv_write_is_made_once_its_turn_commits() {
    let kv = MemoryKv::new().with("user/ada", "seeded");
    let host = host(&kv);
    assert_eq!(remember(&host, "user/bob", false).unwrap(), 1);
    assert_eq!(kv.value("user/bob").as_deref(), Some("v-user/bob"));
    let recalled = ask(
        &host,
        &Recall {
            key: "user/ada".into(),
            prefix: "user/".into(),
        },
    )
    .unwrap();
    assert_eq!(recalled.value.as_deref(), Some("seeded"));
    assert_eq!(recalled.keys, ["user/ada", "user/bob"]);
    ask(
        &host,
        &Forget {
            key: "user/ada".into(),
        },
    )
    .unwrap();
    assert_eq!(kv.value("user/ada"), None);
}

#[test]
fn a_failed_turn_writes_nothing_to_kv() {
    let kv = MemoryKv::new();
    let host = host(&kv);
    assert_eq!(remember(&host, "k", true).unwrap_err().code(), "refused");
    assert!(kv.snapshot().is_empty(), "{:?}", kv.snapshot());
    assert_eq!(
        host.storage("cache:c").unwrap().get("f/writes"),
        None,
        "nor to storage"
    );
    // The next turn starts from the stored state and its write goes through.
    assert_eq!(remember(&host, "k", false).unwrap(), 1);
    assert_eq!(kv.value("k").as_deref(), Some("v-k"));
}

#[test]
fn a_key_kv_refuses_is_an_error_when_put() {
    let kv = MemoryKv::new();
    let host = host(&kv);
    let error = remember(&host, &"k".repeat(513), false).unwrap_err();
    assert_eq!(error.code(), "actor_error");
    assert!(error.to_string().contains("over 512"), "{error}");
    assert!(kv.snapshot().is_empty());
}

#[test]
fn secrets_and_variables_come_from_the_host_and_secrets_do_not_print() {
    let host = host(&MemoryKv::new());
    let signed = ask(&host, &Sign { binding: None }).unwrap();
    assert_eq!(signed, "6 eu Secret(..)");
}

#[test]
fn an_unbound_name_is_an_error_naming_it() {
    let host = host(&MemoryKv::new());
    let error = ask(
        &host,
        &Sign {
            binding: Some("SESSIONS".into()),
        },
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no KV namespace is bound as `SESSIONS`"),
        "{error}"
    );
    // A variable is not a KV namespace, nor a KV namespace a secret.
    let error = ask(
        &host,
        &Sign {
            binding: Some("REGION".into()),
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("`REGION`"), "{error}");
    let bare = Host::new().with::<Cache>();
    let error = ask(&bare, &Sign { binding: None }).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no secret is bound as `API_KEY`"),
        "{error}"
    );
}

#[test]
fn sql_storage_is_refused_on_the_native_host() {
    let host = host(&MemoryKv::new());
    let error = ask(&host, &CountRows).unwrap_err();
    assert_eq!(error.code(), "actor_error");
    assert!(
        error
            .to_string()
            .contains("SQL storage is not on this host"),
        "{error}"
    );
}
