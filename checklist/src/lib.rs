//! # duract-checklist
//!
//! Branch checklists of [duract](https://github.com/duract/duract) actors: which declared
//! branches the tests exercised, on the native host and in workerd. This crate holds the files
//! and the command; it does not depend on the runtime:
//!
//! - [`format`](mod@format): the branch table (`branches.json`, [`TableFile`]) a crate checks in, the hit
//!   files ([`HitFile`]) test runs write, and the fingerprint that ties the two;
//! - [`merge`]: reading and checking them, merging the hits over the table, the gate;
//! - [`render`]: the checklist as Markdown, JSON and LCOV;
//! - [`kills`]: the kill matrix (which tests fail when each branch is broken) and its gate;
//! - [`mutants`]: `duract-checklist mutants`, the runner that makes the kill matrix;
//! - [`cli`]: the `duract-checklist` command.
//!
//! The runtime (`duract`, feature `checklist`) records the hits and writes the hit files;
//! `duract::checklist::table_json` writes a crate's table.
//!
//! # The command
//! ```text
//! duract-checklist --table checklist/branches.json --hits DIR_OR_FILE [--hits ...]
//!                  [--require native,workerd | native | workerd | none]
//!                  [--out DIR] [--detail-out DIR] [--markdown FILE] [--json FILE] [--lcov FILE]
//!                  [--skip-stale] [--kills KILLS.json]
//! duract-checklist mutants --help
//! ```
//! - `--table`: the branch table, as `duract::checklist::table_json` writes it.
//! - `--hits`: a hit file, or a directory whose `*.json` files are all hit files (repeatable).
//! - `--require`: the hosts on which every branch must be hit unless waived (default both).
//! - `--out DIR`: writes `DIR/checklist.md`, `DIR/checklist.json` and `DIR/lcov.info`, stable
//!   ([`Detail::Stable`](render::Detail::Stable)): each branch's status and whether each host
//!   hit it, so the same tests of the same code rewrite them identically (files to check in).
//! - `--detail-out DIR`: the same three files in full ([`Detail::Full`](render::Detail::Full)):
//!   hit counts, the tests that hit each branch and the hit files merged, all of which vary
//!   from run to run.
//! - `--markdown`, `--json`, `--lcov FILE`: one stable file each.
//! - `--skip-stale`: leaves out stale hit files with a warning instead of refusing the run.
//! - `--kills`: the kill matrix of `duract-checklist mutants` ([`kills`]): shown beside the
//!   hits, and a surviving mutant of a branch without a waiver fails the gate.
//!
//! Exit status: 0 when every branch is hit on every required host or waived; 1 when some
//! branch is not (the checklist is still written, the branches are listed on stderr); 2 when
//! an input is refused (unreadable, not a table or hit file, or a stale hit file), nothing
//! written.
//!
//! # Fingerprints and stale hit files
//! A hit file names, for each actor kind it saw, the fingerprint of that actor's branch table
//! in the build that recorded it. The fingerprint ([`fingerprint`]) covers the branch ids and
//! kinds only (sorted, so the order of the table does not matter), not labels, files, lines or
//! waivers: moving a handler or editing a label keeps the branches the same, while adding,
//! removing or renaming a branch (ids of handler-body branches are made from the code of the
//! condition, the pattern or the returned expression) makes every hit file of the old build
//! stale for that actor. The command refuses stale hit files instead of merging them.
//!
//! Actors the table does not have (an actor defined in a test only, or one removed since the
//! hits were recorded) are not stale: their hits cannot count for any branch of the table, so
//! the command leaves them out and lists them (stderr, and the checklist's "Actors not in the
//! branch table").
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
#![warn(missing_docs)]

pub mod cli;
mod command;
pub mod format;
pub mod kills;
pub mod merge;
pub mod mutants;
pub mod render;

pub use format::{
    branches_fingerprint, fingerprint, Fnv, HitFile, Hits, TableActor, TableBranch, TableFile,
    HITS_FORMAT, TABLE_FORMAT,
};

#[cfg(test)]
mod tests;
