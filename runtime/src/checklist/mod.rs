//! Coverage checklists: which declared branches the tests exercised, on each host.
//!
//! Every actor has a static branch table ([`ActorInfo::branches`](crate::ActorInfo::branches)). This module gives:
//!
//! - always: the table as JSON ([`table_json`], what `branches.json` holds) and its
//!   fingerprint ([`fingerprint`]), plus the hit-file format ([`HitFile`]);
//! - with the crate feature `checklist` only: the hit recorder (`hit`, `register`,
//!   `test_scope`, `write_hits`, `export_json`, ...). With the feature off the recorder
//!   does not exist, and the generated code contains no recording call at all.
//!
//! The `duract-checklist` command (`runtime/src/bin/duract-checklist/`) merges hit files of
//! test runs against `branches.json` and writes the checklist (Markdown, JSON, LCOV).
//!
//! # What records hits
//! - Generated code (checklist builds only) calls `::duract::__private::hit("<branch id>")`
//!   (`hit`) first thing in each branch: a route's arm, its decode error, its handler error,
//!   `unknown_type`, and each handler-body branch. The id is any `&'static str` expression,
//!   constant concatenations included.
//! - The runtime records the gateway branches itself, in [`gateway::handle_frame`](crate::gateway::handle_frame)
//!   (`<kind>/route:<to kind>`, `<kind>/!<error code>`, `<kind>/!actor_error`), through
//!   `hit_in`.
//! - [`Instance::new`](crate::instance::Instance::new) registers its actor's table
//!   (`register`) on both hosts; a test that dispatches without a host registers itself.
//!
//! Natively each hit is attributed to the test running (libtest names a test's thread after
//! it; `test_scope` overrides), as `<test binary>: <test path>`. With `DURACT_HITS_DIR`
//! set, each test process writes `<dir>/<binary>-<pid>.json` when it exits (use an absolute
//! path: cargo runs each test binary in its package's directory). In wasm the table belongs
//! to the isolate's wasm instance, which in workerd the entry worker and every Durable Object
//! of the worker share: `export_json` / `take_json` hand all of their hits to whoever collects
//! them (the entry's `GET /__duract/hits` in checklist builds).
//!
//! # Fingerprints
//! A hit file names, for each actor kind it saw, the fingerprint of that actor's branch table
//! in the build that recorded it. The fingerprint covers the branch ids and kinds only (sorted,
//! so the order of the table does not matter), not labels, files, lines or waivers: moving a
//! handler or editing a label keeps the branches the same, while adding, removing or renaming
//! a branch (ids of handler-body branches are made from the code of the condition, the pattern
//! or the returned expression) makes every hit file of the old build stale. The command refuses
//! stale hit files instead of merging them.
//!
//! # Hit files
//! ```json
//! {
//!   "format": "duract-hits/1",
//!   "host": "native",
//!   "source": "native-41230",
//!   "tables": { "coordinator": "fnv1a64:5c0d3e2a9b7f1c44" },
//!   "hits": { "coordinator/register_worker": { "count": 12, "tests": ["native: routing::registers"] } }
//! }
//! ```
//! `host` is `native` or `workerd`; `source` says which process or instance wrote it; `tables`
//! holds one fingerprint per actor kind whose table the recorder saw (hosts register each actor
//! type they instantiate); `hits` counts hits per branch id with the tests that made them (empty
//! when unknown).

use crate::actor::ActorInfo;
use crate::branch::{Branch, BranchKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "checklist")]
mod record;
#[cfg(feature = "checklist")]
pub use record::*;

/// The `format` of hit files this version writes and reads.
pub const HITS_FORMAT: &str = "duract-hits/1";
/// The `format` of branch-table files (`branches.json`) this version writes and reads.
pub const TABLE_FORMAT: &str = "duract-branches/1";

/// The name of a branch kind, as in JSON (`route`, `decode_error`, `if_then`, ...).
pub fn kind_name(kind: BranchKind) -> &'static str {
    match kind {
        BranchKind::Route => "route",
        BranchKind::DecodeError => "decode_error",
        BranchKind::UnknownType => "unknown_type",
        BranchKind::HandlerError => "handler_error",
        BranchKind::Forbidden => "forbidden",
        BranchKind::GatewayRoute => "gateway_route",
        BranchKind::GatewayError => "gateway_error",
        BranchKind::IfThen => "if_then",
        BranchKind::IfElse => "if_else",
        BranchKind::MatchArm => "match_arm",
        BranchKind::EarlyReturn => "early_return",
    }
}

/// The fingerprint of a branch table given as `(id, kind name)` pairs: FNV-1a (64 bits) over
/// the pairs sorted by id, written `fnv1a64:<16 hex digits>`. Stable across builds, platforms
/// and Rust versions (it does not use `std`'s hasher).
pub fn fingerprint<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut entries: Vec<(&str, &str)> = entries.into_iter().collect();
    entries.sort_unstable();
    let mut hash = Fnv::new();
    for (id, kind) in entries {
        hash.write(id.as_bytes());
        hash.write(&[0x1f]);
        hash.write(kind.as_bytes());
        hash.write(&[0x1e]);
    }
    format!("fnv1a64:{:016x}", hash.0)
}

/// The fingerprint of one actor's branch table.
pub fn table_fingerprint(branches: &[Branch]) -> String {
    fingerprint(branches.iter().map(|b| (b.id, kind_name(b.kind))))
}

/// FNV-1a, 64 bits.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) const fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A branch-table file (`branches.json`): every actor of a crate with its branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableFile {
    /// [`TABLE_FORMAT`].
    pub format: String,
    /// The fingerprint of all actors' branches together.
    pub table_hash: String,
    /// The actors, in the order given.
    pub actors: Vec<TableActor>,
}

/// One actor of a [`TableFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableActor {
    /// The address kind.
    pub kind: String,
    /// The Durable Object class.
    pub class: String,
    /// [`table_fingerprint`] of its branches.
    pub hash: String,
    /// Its branches, in table order.
    pub branches: Vec<TableBranch>,
}

/// One branch of a [`TableActor`] (owned form of [`Branch`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableBranch {
    /// Stable id, `<kind>/<...>`.
    pub id: String,
    /// [`kind_name`] of its kind.
    pub kind: String,
    /// A human label.
    pub label: String,
    /// The source file of the tokens that declared it.
    pub file: String,
    /// Their line.
    pub line: u32,
    /// Why the branch need not be hit, when the source waives it.
    #[serde(default)]
    pub waiver: Option<String>,
}

impl TableFile {
    /// The table of `actors`.
    pub fn of(actors: &[&ActorInfo]) -> TableFile {
        let actors: Vec<TableActor> = actors
            .iter()
            .map(|info| TableActor {
                kind: info.kind.to_owned(),
                class: info.class.to_owned(),
                hash: table_fingerprint(info.branches),
                branches: info
                    .branches
                    .iter()
                    .map(|b| TableBranch {
                        id: b.id.to_owned(),
                        kind: kind_name(b.kind).to_owned(),
                        label: b.label.to_owned(),
                        file: b.file.to_owned(),
                        line: b.line,
                        waiver: b.waiver.map(str::to_owned),
                    })
                    .collect(),
            })
            .collect();
        TableFile {
            format: TABLE_FORMAT.to_owned(),
            table_hash: fingerprint(
                actors
                    .iter()
                    .flat_map(|a| a.branches.iter())
                    .map(|b| (b.id.as_str(), b.kind.as_str())),
            ),
            actors,
        }
    }
}

/// The branch tables of `actors` as pretty JSON (a [`TableFile`]), ending in a newline: what
/// a crate checks in as `checklist/branches.json` for the `duract-checklist` command.
///
/// ```
/// # use duract::{checklist, ActorInfo};
/// static EMPTY: ActorInfo = ActorInfo {
///     kind: "empty", class: "EmptyActor", binding: "EMPTY_ACTOR",
///     routes: &[], branches: &[], gateway: None,
/// };
/// let json = checklist::table_json(&[&EMPTY]);
/// assert!(json.contains("\"kind\": \"empty\""));
/// ```
pub fn table_json(actors: &[&ActorInfo]) -> String {
    let mut json = serde_json::to_string_pretty(&TableFile::of(actors))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// A hit file: the hits one process (native) or one instance (workerd) recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HitFile {
    /// [`HITS_FORMAT`].
    pub format: String,
    /// `native` or `workerd`.
    pub host: String,
    /// Which process or instance wrote it (informative).
    #[serde(default)]
    pub source: String,
    /// Per actor kind, the fingerprint of its branch table in the build that recorded the hits.
    #[serde(default)]
    pub tables: BTreeMap<String, String>,
    /// Per branch id, its hits.
    #[serde(default)]
    pub hits: BTreeMap<String, Hits>,
}

/// The hits of one branch in a [`HitFile`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hits {
    /// How many times the branch ran.
    pub count: u64,
    /// The tests that made it run (sorted, unique; empty when unknown).
    #[serde(default)]
    pub tests: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Branch = Branch {
        id: "a/x",
        kind: BranchKind::Route,
        label: "X -> A::x",
        file: "src/a.rs",
        line: 3,
        waiver: None,
    };
    const B: Branch = Branch {
        id: "a/!unknown_type",
        kind: BranchKind::UnknownType,
        label: "none",
        file: "src/a.rs",
        line: 1,
        waiver: None,
    };

    #[test]
    fn fingerprint_ignores_order_labels_and_lines() {
        let moved = Branch {
            line: 90,
            label: "other",
            file: "src/b.rs",
            waiver: Some("why"),
            ..A
        };
        assert_eq!(table_fingerprint(&[A, B]), table_fingerprint(&[B, moved]));
    }

    #[test]
    fn fingerprint_changes_with_ids_and_kinds() {
        let base = table_fingerprint(&[A, B]);
        let renamed = Branch { id: "a/y", ..A };
        let rekinded = Branch {
            kind: BranchKind::MatchArm,
            ..A
        };
        assert_ne!(base, table_fingerprint(&[renamed, B]));
        assert_ne!(base, table_fingerprint(&[rekinded, B]));
        assert_ne!(base, table_fingerprint(&[A]));
        // A known value: the hash is stable across builds and platforms.
        assert_eq!(fingerprint([]), "fnv1a64:cbf29ce484222325");
    }

    #[test]
    fn table_json_round_trips_with_its_hashes() {
        static INFO: ActorInfo = ActorInfo {
            kind: "a",
            class: "AActor",
            binding: "A_ACTOR",
            routes: &[],
            branches: &[A, B],
            gateway: None,
        };
        let file: TableFile = serde_json::from_str(&table_json(&[&INFO])).unwrap();
        assert_eq!(file.format, TABLE_FORMAT);
        assert_eq!(file.actors[0].hash, table_fingerprint(&[A, B]));
        assert_eq!(file.table_hash, table_fingerprint(&[A, B]));
        assert_eq!(file.actors[0].branches[1].kind, "unknown_type");
        assert_eq!(file, TableFile::of(&[&INFO]));
    }
}
