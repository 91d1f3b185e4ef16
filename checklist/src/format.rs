//! The files: the branch table (`branches.json`, [`TableFile`]) and the hit files of test runs
//! ([`HitFile`]), with the fingerprint that ties hits to the table they were recorded against.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The `format` of hit files this version writes and reads.
pub const HITS_FORMAT: &str = "duract-hits/1";
/// The `format` of branch-table files (`branches.json`) this version writes and reads.
pub const TABLE_FORMAT: &str = "duract-branches/1";

/// Why an input was refused: nothing is written then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file it is about.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
    /// A hit file recorded against another branch table (`--skip-stale` leaves it out).
    pub stale: bool,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for Refusal {}

/// Refuses the file at `path` for `reason`.
pub fn refuse(path: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        path: path.to_owned(),
        reason: reason.into(),
        stale: false,
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
    format!("fnv1a64:{:016x}", hash.finish())
}

/// The fingerprint of `branches` ([`fingerprint`] of their ids and kinds).
pub fn branches_fingerprint(branches: &[TableBranch]) -> String {
    fingerprint(branches.iter().map(|b| (b.id.as_str(), b.kind.as_str())))
}

/// FNV-1a, 64 bits: the hash of [`fingerprint`] (the recorder also hashes its keys with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv(u64);

impl Fnv {
    /// The offset basis.
    pub const fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Hashes `bytes` in.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub const fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv::new()
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
    /// [`branches_fingerprint`] of its branches.
    pub hash: String,
    /// Its branches, in table order.
    pub branches: Vec<TableBranch>,
}

/// One branch of a [`TableActor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableBranch {
    /// Stable id, `<kind>/<...>`.
    pub id: String,
    /// The name of its kind (`route`, `decode_error`, `if_then`, ...).
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
    /// The one host the waiver holds on (`native`, `workerd`); absent: every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver_host: Option<String>,
}

impl TableBranch {
    /// Whether the source waives the branch on `host`.
    pub fn waived_on(&self, host: &str) -> bool {
        self.waiver.is_some() && self.waiver_host.as_deref().is_none_or(|h| h == host)
    }
}

impl TableActor {
    /// The actor `kind` (Durable Object class `class`) with `branches`, and their fingerprint.
    pub fn new(
        kind: impl Into<String>,
        class: impl Into<String>,
        branches: Vec<TableBranch>,
    ) -> Self {
        TableActor {
            kind: kind.into(),
            class: class.into(),
            hash: branches_fingerprint(&branches),
            branches,
        }
    }
}

impl TableFile {
    /// The table of `actors`, with the fingerprint of all their branches.
    pub fn new(actors: Vec<TableActor>) -> TableFile {
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

    /// The table as pretty JSON ending in a newline: the text of `branches.json`.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        json.push('\n');
        json
    }
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

/// The actor kind a branch id belongs to: the text before its first `/`.
pub fn actor_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(id: &str, kind: &str, line: u32) -> TableBranch {
        TableBranch {
            id: id.to_owned(),
            kind: kind.to_owned(),
            label: "label".to_owned(),
            file: "src/a.rs".to_owned(),
            line,
            waiver: None,
            waiver_host: None,
        }
    }

    #[test]
    fn fingerprint_ignores_order_labels_and_lines() {
        let a = branch("a/x", "route", 3);
        let b = branch("a/!unknown_type", "unknown_type", 1);
        let moved = TableBranch {
            line: 90,
            label: "other".to_owned(),
            file: "src/b.rs".to_owned(),
            waiver: Some("why".to_owned()),
            ..a.clone()
        };
        assert_eq!(
            branches_fingerprint(&[a, b.clone()]),
            branches_fingerprint(&[b, moved])
        );
    }

    #[test]
    fn fingerprint_changes_with_ids_and_kinds() {
        let base = fingerprint([("a/x", "route"), ("a/!unknown_type", "unknown_type")]);
        assert_ne!(
            base,
            fingerprint([("a/y", "route"), ("a/!unknown_type", "unknown_type")])
        );
        assert_ne!(
            base,
            fingerprint([("a/x", "match_arm"), ("a/!unknown_type", "unknown_type")])
        );
        assert_ne!(base, fingerprint([("a/x", "route")]));
        // A known value: the hash is stable across builds and platforms.
        assert_eq!(fingerprint([]), "fnv1a64:cbf29ce484222325");
    }

    #[test]
    fn a_table_round_trips_through_its_json() {
        let table = TableFile::new(vec![TableActor::new(
            "a",
            "AActor",
            vec![branch("a/x", "route", 3)],
        )]);
        assert_eq!(table.format, TABLE_FORMAT);
        assert_eq!(table.table_hash, table.actors[0].hash);
        let json = table.to_json();
        assert!(json.ends_with("}\n"));
        assert_eq!(serde_json::from_str::<TableFile>(&json).unwrap(), table);
    }

    #[test]
    fn ids_name_their_actor() {
        assert_eq!(actor_of("coordinator/assign_task/if:x"), "coordinator");
        assert_eq!(actor_of("bare"), "bare");
    }
}
