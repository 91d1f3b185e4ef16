//! Coverage checklists: which declared branches the tests exercised, on each host.
//!
//! Every actor has a static branch table ([`ActorInfo::branches`](crate::ActorInfo::branches)). This module gives:
//!
//! - always: the table as JSON ([`table_json`], what `branches.json` holds) and its
//!   fingerprint ([`table_fingerprint`]);
//! - with the crate feature `checklist` only: the hit recorder (`hit`, `register`,
//!   `test_scope`, `write_hits`, `export_json`, ...). With the feature off the recorder
//!   does not exist, and the generated code contains no recording call at all;
//! - with the crate feature `mutants` only (it implies `checklist`): `mutant`, each branch
//!   broken on purpose when `DURACT_MUTANT` names it, for `duract-checklist mutants`.
//!
//! The files (the branch table, the hit files) and the `duract-checklist` command, which
//! merges the hit files of test runs against `branches.json` and writes the checklist
//! (Markdown, JSON, LCOV), are the crate `duract-checklist` (`checklist/` in the repository);
//! its types are re-exported here. The command reads files only: it does not need this crate.
//!
//! # What records hits
//! - Generated code (checklist builds only) calls `::duract::__private::hit("<branch id>")`
//!   (`hit`) first thing in each branch: a route's arm, its decode error, its handler error,
//!   `unknown_type`, and each handler-body branch. The id is any `&'static str` expression,
//!   constant concatenations included.
//! - The runtime records the gateway branches itself, in [`gateway::admit`](crate::gateway::admit)
//!   and [`gateway::answer`](crate::gateway::answer) (the two halves of
//!   [`gateway::handle_frame`](crate::gateway::handle_frame), which the native host calls; the
//!   Durable Object host calls the halves from its glue): `<kind>/route:<to kind>`,
//!   `<kind>/!<error code>`, `<kind>/!actor_error`, through `hit_in`.
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
//! A hit file names the fingerprint of each actor's table it recorded hits for; the command
//! refuses hit files whose fingerprint of an actor differs from the current table's (stale).

use crate::branch::{Branch, BranchKind};
use crate::info::ActorInfo;
pub use duract_checklist::format::{
    fingerprint, HitFile, Hits, TableActor, TableBranch, TableFile, HITS_FORMAT, TABLE_FORMAT,
};

#[cfg(feature = "mutants")]
pub mod mutant;
#[cfg(feature = "checklist")]
mod record;
#[cfg(feature = "checklist")]
pub use record::*;

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

/// The fingerprint of one actor's branch table ([`fingerprint`] of its ids and kinds).
pub fn table_fingerprint(branches: &[Branch]) -> String {
    fingerprint(branches.iter().map(|b| (b.id, kind_name(b.kind))))
}

/// The branch table of `actors`, in the format of `branches.json`.
pub fn table(actors: &[&ActorInfo]) -> TableFile {
    TableFile::new(
        actors
            .iter()
            .map(|info| {
                let branches = info
                    .branches
                    .iter()
                    .map(|b| TableBranch {
                        id: b.id.to_owned(),
                        kind: kind_name(b.kind).to_owned(),
                        label: b.label.to_owned(),
                        file: b.file.to_owned(),
                        line: b.line,
                        waiver: b.waiver.map(str::to_owned),
                        waiver_host: b.waiver_host.map(str::to_owned),
                    })
                    .collect();
                TableActor::new(info.kind, info.class, branches)
            })
            .collect(),
    )
}

/// The branch tables of `actors` as pretty JSON (a [`TableFile`]), ending in a newline: what
/// a crate checks in as `checklist/branches.json` for the `duract-checklist` command (write
/// it from a test of the crate, which fails when the checked-in file is not the current one).
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
    table(actors).to_json()
}

/// The variable the `duract` command sets, to the file [`export_actors`] writes.
pub const ACTORS_OUT: &str = "DURACT_ACTORS_OUT";

/// How the `duract` command learns a crate's actors (Rust has no reflection): the crate's
/// `tests/actors.rs` (what `duract new` writes) calls this from its test `duract_actors`. When
/// the command runs that test ([`ACTORS_OUT`] names a file), it writes there each actor's kind,
/// class and binding (a gateway's with those of the actors it forwards to) and their branch
/// table ([`table_json`]); otherwise it does nothing.
///
/// ```no_run
/// # use duract::{checklist, ActorInfo};
/// # const ACTORS: &[&ActorInfo] = &[];
/// #[test]
/// fn duract_actors() {
///     checklist::export_actors(ACTORS).unwrap();
/// }
/// ```
pub fn export_actors(actors: &[&ActorInfo]) -> std::io::Result<()> {
    let Some(path) = std::env::var_os(ACTORS_OUT) else {
        return Ok(());
    };
    let actor = |a: &ActorInfo| serde_json::json!({ "kind": a.kind, "class": a.class, "binding": a.binding });
    let listed: Vec<_> = actors
        .iter()
        .map(|a| {
            let mut json = actor(a);
            let forwards = a.gateway.map_or(&[][..], |g| g.forwards);
            json["forwards"] = forwards.iter().map(|f| actor(f.target)).collect();
            json
        })
        .collect();
    let out = serde_json::json!({ "actors": listed, "table": table_json(actors) });
    std::fs::write(path, out.to_string())
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
        waiver_host: None,
    };
    const B: Branch = Branch {
        id: "a/!unknown_type",
        kind: BranchKind::UnknownType,
        label: "none",
        file: "src/a.rs",
        line: 1,
        waiver: None,
        waiver_host: None,
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
        assert_eq!(file, table(&[&INFO]));
    }
}
