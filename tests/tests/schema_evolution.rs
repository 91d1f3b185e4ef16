//! Schema evolution of persisted state across a restart with an old store: renamed fields
//! (`#[persist(renamed_from = "..")]`) and versioned migrations (`#[actor(version = N)]` with
//! a `#[route(migrate)]` hook), committed with the first turn, all of it or none.

use duract::native::Host;
use duract::persist::{Migration, VERSION_KEY};
use duract::{actor, message, payload, route, Ctx, Error, PMap, Storage, WriteBatch};
use std::cell::Cell;

thread_local! {
    /// How many times the migration hook ran on this test's thread.
    static MIGRATIONS: Cell<u32> = const { Cell::new(0) };
}

fn migrations() -> u32 {
    MIGRATIONS.with(Cell::get)
}

/// Version 1's set-up: a nick, a score stored as text, tags.
#[message]
pub struct SetUp {
    pub nick: String,
    pub score: String,
    pub tags: Vec<(String, u32)>,
}

/// Version 1 of the profile, as it was deployed.
#[actor(kind = "profile")]
#[derive(Default)]
pub struct ProfileV1 {
    nick: String,
    score: String,
    #[persist(entries)]
    tags: PMap<String, u32>,
}

#[route]
impl ProfileV1 {
    async fn set_up(&mut self, _ctx: &mut Ctx, msg: SetUp) {
        self.nick = msg.nick;
        self.score = msg.score;
        for (tag, n) in msg.tags {
            self.tags.insert(tag, n);
        }
    }
}

/// `show`: the profile as version 2 reads it.
#[message]
pub struct Show;

/// `bump`: adds one to the score, then fails when `fail` is set (the turn commits nothing).
#[message]
pub struct Bump {
    pub fail: bool,
}

/// The reply to [`Show`].
#[payload]
pub struct Shown {
    pub name: String,
    pub score: u64,
    pub labels: Vec<(String, u32)>,
}

/// Version 2: `nick` is now `name`, `tags` now `labels`, and the score is a number.
#[actor(kind = "profile", version = 2)]
#[derive(Default)]
pub struct ProfileV2 {
    #[persist(renamed_from = "nick")]
    name: String,
    score: u64,
    #[persist(entries, renamed_from = "tags")]
    labels: PMap<String, u32>,
}

#[route]
impl ProfileV2 {
    #[route(migrate)]
    async fn upgrade(from: u32, store: &mut Migration<'_>) -> Result<(), Error> {
        MIGRATIONS.with(|n| n.set(n.get() + 1));
        if from < 2 {
            let text = store.field::<String>("score").await?.unwrap_or_default();
            let score: u64 = text.parse().map_err(|_| Error::ActorError {
                reason: format!("score `{text}` is not a number"),
            })?;
            store.set_field("score", &score)?;
        }
        Ok(())
    }

    async fn show(&mut self, _ctx: &mut Ctx, _msg: Show) -> Shown {
        Shown {
            name: self.name.clone(),
            score: self.score,
            labels: self.labels.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    async fn bump(&mut self, _ctx: &mut Ctx, msg: Bump) -> Result<u64, Error> {
        self.score += 1;
        if msg.fail {
            return Err(Error::handler("refused", "bump refused"));
        }
        Ok(self.score)
    }
}

const ADDRESS: &str = "profile:p1";

/// A host that ran version 1 and wrote a profile; then version 2 is deployed and every
/// instance restarts (storage stays).
fn upgraded_host() -> Host {
    let host = Host::new().with::<ProfileV1>();
    let client = host.client("client:ui").unwrap();
    let set_up = SetUp {
        nick: "ada".into(),
        score: "41".into(),
        tags: vec![("admin".into(), 1), ("dev".into(), 2)],
    };
    client.actor::<ProfileV1>("p1").ask(&set_up).unwrap();
    let stored = host.storage(ADDRESS).unwrap();
    assert_eq!(stored.get("f/nick"), Some(r#""ada""#));
    assert_eq!(stored.get("f/score"), Some(r#""41""#));
    assert_eq!(stored.get(VERSION_KEY), None, "version 1 stores no version");
    host.register::<ProfileV2>(); // the same kind: the new build
    host.restart_all();
    host
}

fn keys(host: &Host) -> Vec<String> {
    host.storage(ADDRESS)
        .unwrap()
        .entries()
        .keys()
        .cloned()
        .collect()
}

fn show(host: &Host) -> Shown {
    let client = host.client("client:ui").unwrap();
    client.actor::<ProfileV2>("p1").ask(&Show).unwrap()
}

fn bump(host: &Host, fail: bool) -> Result<u64, Error> {
    let client = host.client("client:ui").unwrap();
    client.actor::<ProfileV2>("p1").ask(&Bump { fail })
}

#[test]
fn an_old_store_is_migrated_and_its_renamed_keys_moved_by_the_first_turn() {
    let host = upgraded_host();
    let before = migrations();
    let shown = show(&host); // a read-only turn: it still commits the migration
    assert_eq!(shown.name, "ada");
    assert_eq!(shown.score, 41);
    assert_eq!(
        shown.labels,
        [("admin".to_owned(), 1), ("dev".to_owned(), 2)]
    );
    assert_eq!(migrations(), before + 1);
    assert_eq!(
        keys(&host),
        [
            VERSION_KEY,
            r#"e/labels/"admin""#,
            r#"e/labels/"dev""#,
            "f/name",
            "f/score"
        ]
    );
    let stored = host.storage(ADDRESS).unwrap();
    assert_eq!(stored.get(VERSION_KEY), Some("2"));
    assert_eq!(stored.get("f/score"), Some("41"), "a number now");
    assert_eq!(stored.get("f/name"), Some(r#""ada""#));

    // Another restart reads version 2 as it is: no second migration.
    host.restart_all();
    assert_eq!(bump(&host, false).unwrap(), 42);
    assert_eq!(show(&host).name, "ada");
    assert_eq!(migrations(), before + 1);
    assert_eq!(host.storage(ADDRESS).unwrap().get("f/score"), Some("42"));
}

#[test]
fn a_failed_first_turn_commits_no_part_of_the_migration() {
    let host = upgraded_host();
    let old = host.storage(ADDRESS).unwrap().entries().clone();
    let before = migrations();
    let error = bump(&host, true).unwrap_err();
    assert_eq!(error.code(), "refused");
    assert_eq!(
        host.storage(ADDRESS).unwrap().entries(),
        &old,
        "the old store is untouched"
    );
    // The failed turn changed the state, so it is dropped: the next turn migrates again.
    assert_eq!(bump(&host, false).unwrap(), 42);
    assert_eq!(migrations(), before + 2);
    assert_eq!(host.storage(ADDRESS).unwrap().get(VERSION_KEY), Some("2"));
    assert_eq!(host.storage(ADDRESS).unwrap().get("f/nick"), None);
}

#[test]
fn a_new_versioned_instance_writes_its_version_with_its_first_state() {
    let host = Host::new().with::<ProfileV2>();
    let before = migrations();
    assert_eq!(show(&host).score, 0);
    assert!(keys(&host).is_empty(), "a read leaves no storage behind");
    assert_eq!(bump(&host, false).unwrap(), 1);
    assert_eq!(keys(&host), [VERSION_KEY, "f/score"]);
    assert_eq!(migrations(), before, "nothing to migrate");
}

fn seed(host: &Host, puts: &[(&str, &str)]) {
    let mut batch = WriteBatch::default();
    for (key, value) in puts {
        batch.put((*key).to_owned(), (*value).to_owned());
    }
    let storage = host.storage_of(ADDRESS).unwrap();
    duract::block_on(storage.write(batch)).unwrap();
}

#[test]
fn a_store_of_a_newer_version_is_refused_and_left_alone() {
    let host = Host::new().with::<ProfileV2>();
    seed(&host, &[(VERSION_KEY, "3"), ("f/score", "7")]);
    let error = bump(&host, false).unwrap_err();
    assert_eq!(error.code(), "actor_error");
    assert!(error.to_string().contains("version 3"), "{error}");
    assert_eq!(keys(&host), [VERSION_KEY, "f/score"]);
}

#[test]
fn when_both_names_are_stored_the_new_one_wins_and_the_old_is_deleted() {
    let host = Host::new().with::<ProfileV2>();
    seed(
        &host,
        &[
            (VERSION_KEY, "2"),
            ("f/name", r#""new""#),
            ("f/nick", r#""stale""#),
        ],
    );
    assert_eq!(show(&host).name, "new");
    assert_eq!(keys(&host), [VERSION_KEY, "f/name"]);
}

/// A ledger line: its amount (indexed by nothing but insertion order).
#[payload]
pub struct Line(u32);

impl duract::Indexed for Line {
    type Index = ();
    fn index(&self) -> impl IntoIterator<Item = ()> {
        [()]
    }
}

/// `fill`: adds `n` lines.
#[message]
pub struct Fill {
    pub n: u32,
}

/// `count`: how many lines, and the amount of the first.
#[message]
pub struct Count;

/// Version 1 of a ledger: long enough that its table keeps its row count.
#[actor(kind = "ledger")]
#[derive(Default)]
pub struct LedgerV1 {
    #[persist(entries)]
    lines: duract::Table<u32, Line>,
}

#[route]
impl LedgerV1 {
    async fn fill(&mut self, _ctx: &mut Ctx, msg: Fill) {
        for i in 0..msg.n {
            self.lines.insert(i, Line(i * 10));
        }
    }
}

/// Version 2: `lines` renamed `entries`.
#[actor(kind = "ledger")]
#[derive(Default)]
pub struct LedgerV2 {
    #[persist(entries, renamed_from = "lines")]
    entries: duract::Table<u32, Line>,
}

#[route]
impl LedgerV2 {
    async fn count(&mut self, _ctx: &mut Ctx, _msg: Count) -> (usize, Option<u32>) {
        let first = self.entries.first(&()).map(|row| row.value().0);
        (self.entries.len(), first)
    }
}

#[test]
fn a_renamed_long_table_moves_its_rows_and_its_count() {
    let n = duract::collections::COUNTED_FROM as u32 + 6;
    let host = Host::new().with::<LedgerV1>();
    let client = host.client("client:ui").unwrap();
    client.actor::<LedgerV1>("l1").ask(&Fill { n }).unwrap();
    let stored = host.storage("ledger:l1").unwrap();
    assert_eq!(stored.get("m/lines"), Some(n.to_string().as_str()));
    host.register::<LedgerV2>();
    host.restart_all();
    let count = || client.actor::<LedgerV2>("l1").ask(&Count).unwrap();
    assert_eq!(count(), (n as usize, Some(0)));
    let stored = host.storage("ledger:l1").unwrap();
    let old: Vec<_> = (stored.entries().keys())
        .filter(|k| k.starts_with("e/lines/") || *k == "m/lines")
        .cloned()
        .collect();
    assert!(old.is_empty(), "the old rows and count are gone: {old:?}");
    assert_eq!(stored.get("m/entries"), Some(n.to_string().as_str()));
    // Restarted again, the moved table leaves its rows in storage until first used.
    host.restart_all();
    host.fail_next_reads("ledger:l1", u64::MAX).unwrap();
    let failed = client.actor::<LedgerV2>("l1").ask(&Count);
    assert!(
        failed.is_err(),
        "the first row needs a read, which fails: {failed:?}"
    );
    host.clear_faults("ledger:l1").unwrap();
    assert_eq!(count(), (n as usize, Some(0)));
}
