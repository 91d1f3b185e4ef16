//! The platform from a handler, in one actor: variables, a secret and a KV namespace through
//! `ctx.env()`, SQL through `ctx.sql()`, and a schema evolved from version 1 (a renamed field,
//! a field whose type changed). The same code runs on the native host (tests/native.rs, where
//! SQL is refused) and in workerd (scripts/platform-check).

use duract::persist::Migration;
use duract::{actor, message, payload, route, Ctx, Error, ListOptions, SqlValue, WriteBatch};

/// `save`: a note into SQL, its title into KV (`last`), and who wrote it.
#[message]
pub struct Save {
    pub title: String,
    pub author: String,
}

/// `fail_after_kv`: stages a KV write, then fails: nothing is written.
#[message]
pub struct FailAfterKv;

/// `bad_sql`: changes the state and holds a SQL write that fails at the commit: the turn
/// fails with nothing written.
#[message]
pub struct BadSql;

/// `summary`: what the actor, SQL, KV and the environment hold.
#[message]
pub struct GetSummary;

/// The reply to [`GetSummary`].
#[payload]
pub struct Summary {
    pub author: String,
    pub saves: u64,
    /// The notes SQL holds; `None` where SQL is not (the native host).
    pub notes: Option<u64>,
    pub last: Option<String>,
    pub key_len: usize,
    pub region: String,
}

/// `seed_version_1`: overwrites the stored state with what version 1 of this actor wrote
/// (`author_name`, and `saves` as text), bypassing the turn: for the migration test only.
#[message(type = "seed_version_1")]
pub struct SeedVersion1 {
    pub author: String,
    pub saves_text: String,
}

/// `stored_keys`: the keys of the actor's storage.
#[message]
pub struct StoredKeys;

/// A row of `SELECT count(*) AS n`.
#[payload]
pub struct Count {
    pub n: u64,
}

/// Notes: version 2 renamed `author_name` to `author` and stores `saves` as a number.
#[actor(version = 2)]
#[derive(Default)]
pub struct Notes {
    #[persist(renamed_from = "author_name")]
    author: String,
    saves: u64,
}

#[route]
impl Notes {
    #[route(migrate)]
    async fn upgrade(from: u32, store: &mut Migration<'_>) -> Result<(), Error> {
        if from < 2 {
            let text = store.field::<String>("saves").await?.unwrap_or_default();
            store.set_field("saves", &text.trim().parse::<u64>().unwrap_or(0))?;
        }
        Ok(())
    }

    async fn save(&mut self, ctx: &mut Ctx, msg: Save) -> Result<u64, Error> {
        let sql = ctx.sql()?;
        sql.define("CREATE TABLE IF NOT EXISTS notes (title TEXT NOT NULL)")?;
        sql.execute(
            "INSERT INTO notes (title) VALUES (?)",
            &[SqlValue::from(msg.title.as_str())],
        );
        ctx.env().kv("CACHE")?.put("last", &msg.title)?;
        self.author = msg.author;
        self.saves += 1;
        Ok(self.saves)
    }

    async fn fail_after_kv(&mut self, ctx: &mut Ctx, _msg: FailAfterKv) -> Result<(), Error> {
        ctx.env().kv("CACHE")?.put("last", "never")?;
        if let Ok(sql) = ctx.sql() {
            // Held for the commit, so never run: the summary still counts two notes.
            sql.execute("INSERT INTO notes (title) VALUES ('never')", &[]);
        }
        self.saves += 100;
        Err(Error::handler("refused", "fails after a KV write"))
    }

    async fn bad_sql(&mut self, ctx: &mut Ctx, _msg: BadSql) -> Result<(), Error> {
        self.saves += 1000;
        let sql = ctx.sql()?;
        sql.execute("INSERT INTO notes (title) VALUES ('first of two')", &[]);
        sql.execute("INSERT INTO no_such_table (x) VALUES (1)", &[]);
        Ok(())
    }

    async fn get_summary(&mut self, ctx: &mut Ctx, _msg: GetSummary) -> Result<Summary, Error> {
        let notes = match ctx.sql() {
            Ok(sql) => {
                sql.define("CREATE TABLE IF NOT EXISTS notes (title TEXT NOT NULL)")?;
                let rows: Vec<Count> = sql.query("SELECT count(*) AS n FROM notes", &[])?;
                Some(rows.first().map_or(0, |c| c.n))
            }
            Err(_) => None,
        };
        Ok(Summary {
            author: self.author.clone(),
            saves: self.saves,
            notes,
            last: ctx.env().kv("CACHE")?.get("last").await?,
            key_len: ctx.env().secret("API_KEY")?.expose().len(),
            region: ctx.env().var("REGION").unwrap_or_default(),
        })
    }

    async fn seed_version_1(&mut self, ctx: &mut Ctx, msg: SeedVersion1) -> Result<(), Error> {
        let mut old = WriteBatch::default();
        old.put("f/author_name".into(), format!("{:?}", msg.author));
        old.put("f/saves".into(), format!("{:?}", msg.saves_text));
        old.delete("f/author".into());
        old.delete(duract::persist::VERSION_KEY.into());
        ctx.port().storage().write(old).await?;
        Ok(())
    }

    async fn stored_keys(&mut self, ctx: &mut Ctx, _msg: StoredKeys) -> Result<Vec<String>, Error> {
        let rows = ctx.port().storage().list(&ListOptions::default()).await?;
        Ok(rows.into_iter().map(|(k, _)| k).collect())
    }
}

/// The gateway.
#[actor(kind = "session", gateway(forward(notes = Notes)))]
pub struct Session;

/// The worker's entry point.
#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        duract::durable::gateway_entry::<crate::Session>(req, &env).await
    }
}
