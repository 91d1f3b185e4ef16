//! The platform worker's actor on the native host: the same handlers as in workerd, with the
//! host's KV double and secret; SQL is workerd's only, so `save` is refused here with a clear
//! error and the summary has no note count.

use duract::native::Host;
use duract::{Error, MemoryKv};
use duract_platform_worker::{FailAfterKv, GetSummary, Notes, Save, SeedVersion1, StoredKeys};

fn host(kv: &MemoryKv) -> Host {
    Host::new()
        .with::<Notes>()
        .kv("CACHE", kv.clone())
        .secret("API_KEY", "k3y")
        .var("REGION", "eu")
}

#[test]
fn the_summary_reads_kv_the_secret_and_a_variable() {
    let kv = MemoryKv::new().with("last", "seeded");
    let host = host(&kv);
    let client = host.client("client:ui").unwrap();
    let notes = client.actor::<Notes>("n1");
    let summary = notes.ask(&GetSummary).unwrap();
    assert_eq!(summary.last.as_deref(), Some("seeded"));
    assert_eq!((summary.key_len, summary.region.as_str()), (3, "eu"));
    assert_eq!(summary.notes, None, "no SQL on the native host");
    let error: Error = notes
        .ask(&Save {
            title: "t".into(),
            author: "ada".into(),
        })
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("SQL storage is not on this host"),
        "{error}"
    );
    assert_eq!(notes.ask(&FailAfterKv).unwrap_err().code(), "refused");
    assert_eq!(kv.value("last").as_deref(), Some("seeded"));
}

#[test]
fn a_version_1_store_is_migrated_after_a_restart() {
    let host = host(&MemoryKv::new());
    let client = host.client("client:ui").unwrap();
    let notes = client.actor::<Notes>("n1");
    notes
        .ask(&SeedVersion1 {
            author: "grace".into(),
            saves_text: "41".into(),
        })
        .unwrap();
    host.restart_all();
    let summary = notes.ask(&GetSummary).unwrap();
    assert_eq!((summary.author.as_str(), summary.saves), ("grace", 41));
    let keys = notes.ask(&StoredKeys).unwrap();
    assert_eq!(keys, ["__duract/version", "f/author", "f/saves"]);
}
