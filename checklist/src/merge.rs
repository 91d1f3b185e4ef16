//! Reading the branch table and the hit files, refusing stale ones, merging, and the gate.

use crate::format::{
    actor_of, branches_fingerprint, HitFile, TableBranch, TableFile, HITS_FORMAT, TABLE_FORMAT,
};
pub use crate::format::{refuse, Refusal};
use crate::kills::{KillFile, Verdict, MUTANTS_HOST};
use std::collections::{BTreeMap, BTreeSet};

/// The hosts a hit file can come from, in report order.
pub const HOSTS: [&str; 2] = ["native", "workerd"];

fn stale(path: &str, reason: String) -> Refusal {
    Refusal {
        stale: true,
        ..refuse(path, reason)
    }
}

/// Parses and checks `branches.json`: its format and that its hashes are its branches'.
pub fn load_table(path: &str, text: &str) -> Result<TableFile, Refusal> {
    let table: TableFile = serde_json::from_str(text)
        .map_err(|e| refuse(path, format!("not a branch table ({e})")))?;
    if table.format != TABLE_FORMAT {
        return Err(refuse(
            path,
            format!(
                "branch table format `{}`, this command reads `{TABLE_FORMAT}`",
                table.format
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for actor in &table.actors {
        let hash = branches_fingerprint(&actor.branches);
        if hash != actor.hash {
            return Err(refuse(
                path,
                format!(
                    "the hash of actor `{}` ({}) is not the hash of its branches ({hash}): the file was edited by hand; regenerate it",
                    actor.kind, actor.hash
                ),
            ));
        }
        for b in &actor.branches {
            if !seen.insert(b.id.as_str()) {
                return Err(refuse(path, format!("branch id `{}` appears twice", b.id)));
            }
        }
    }
    Ok(table)
}

/// Parses a hit file and checks it against the table: refused when it is not a hit file, names
/// an unknown host, or was recorded against a table of one of the table's actors that differs
/// from the current one (stale). Hits of actors the table does not have (test-only actors, or
/// actors removed since) are not checked: [`Checklist::merge`] leaves them out and lists them.
pub fn load_hits(path: &str, text: &str, table: &TableFile) -> Result<HitFile, Refusal> {
    let hits: HitFile =
        serde_json::from_str(text).map_err(|e| refuse(path, format!("not a hit file ({e})")))?;
    if hits.format != HITS_FORMAT {
        return Err(refuse(
            path,
            format!(
                "hit file format `{}`, this command reads `{HITS_FORMAT}`",
                hits.format
            ),
        ));
    }
    if !HOSTS.contains(&hits.host.as_str()) {
        return Err(refuse(
            path,
            format!("unknown host `{}` (expected native or workerd)", hits.host),
        ));
    }
    for (kind, hash) in &hits.tables {
        let Some(actor) = table.actors.iter().find(|a| &a.kind == kind) else {
            continue;
        };
        if &actor.hash != hash {
            return Err(stale(
                path,
                format!(
                    "stale hit file: the branch table of actor `{kind}` differs from the current one (recorded {hash}, current {}): branches were added, removed or renamed since it was written; rerun the tests that wrote it (or regenerate the table)",
                    actor.hash
                ),
            ));
        }
    }
    for id in hits.hits.keys() {
        let kind = actor_of(id);
        let in_table = table.actors.iter().any(|a| a.kind == kind);
        if in_table && !hits.tables.contains_key(kind) {
            return Err(refuse(
                path,
                format!(
                    "hits of actor `{kind}` (e.g. `{id}`) without the fingerprint of its table, so they cannot be checked against the current one: hosts register each actor they create; a test that dispatches without a host calls `duract::checklist::register(A::INFO)`"
                ),
            ));
        }
    }
    Ok(hits)
}

/// The hits of one branch on one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostHits {
    /// How many times it ran.
    pub count: u64,
    /// The tests that made it run.
    pub tests: BTreeSet<String>,
}

impl HostHits {
    /// Whether it ran at all.
    pub fn hit(&self) -> bool {
        self.count > 0
    }
}

/// Whether a branch passes the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Hit on every required host.
    Hit,
    /// Not hit on some required host, but waived in the source.
    Waived,
    /// Not hit on these required hosts, and not waived.
    Missing(Vec<&'static str>),
}

/// One row of the checklist.
#[derive(Debug, Clone)]
pub struct Row {
    /// The actor's kind.
    pub actor: String,
    /// The branch, as in the table.
    pub branch: TableBranch,
    /// Per host, in [`HOSTS`] order.
    pub hosts: [HostHits; 2],
    /// Its verdict.
    pub status: Status,
}

/// A hit on an id the table does not declare, of an actor the table has (the table of a build
/// is incomplete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    /// The branch id.
    pub id: String,
    /// The host that hit it.
    pub host: String,
    /// How many times.
    pub count: u64,
}

/// An actor the hit files saw on a host that the branch table does not have (a test-only actor,
/// or one removed since the hits were recorded): its hits are left out of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherActor {
    /// Its kind.
    pub kind: String,
    /// The host.
    pub host: String,
    /// Its hits there (0 when it was only registered).
    pub count: u64,
}

/// A hit file merged: `(path, host, source)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Where it was read from.
    pub path: String,
    /// Its host.
    pub host: String,
    /// Which process or instance wrote it.
    pub source: String,
}

/// The merged checklist.
#[derive(Debug, Clone)]
pub struct Checklist {
    /// The fingerprint of the table merged against.
    pub table_hash: String,
    /// The hosts every branch must be hit on unless waived.
    pub required: Vec<&'static str>,
    /// One per branch of the table, in table order.
    pub rows: Vec<Row>,
    /// Hits of ids the table does not declare.
    pub undeclared: Vec<Undeclared>,
    /// Actors the hit files saw that the table does not have (their hits are left out).
    pub others: Vec<OtherActor>,
    /// The hit files merged.
    pub files: Vec<Merged>,
    /// The kill matrix (`--kills`), when given: see [`crate::kills`].
    pub kills: Option<KillFile>,
}

impl Checklist {
    /// Merges `hits` (already checked by [`load_hits`]) over `table`.
    pub fn merge(
        table: &TableFile,
        hits: &[(String, HitFile)],
        required: &[&'static str],
    ) -> Checklist {
        let mut tally = Tally::new(table);
        for (_, file) in hits {
            tally.add(file);
        }
        Checklist {
            table_hash: table.table_hash.clone(),
            required: required.to_vec(),
            rows: tally.rows(required),
            undeclared: tally.undeclared(),
            others: tally.others(),
            files: hits
                .iter()
                .map(|(path, f)| Merged {
                    path: path.clone(),
                    host: f.host.clone(),
                    source: f.source.clone(),
                })
                .collect(),
            kills: None,
        }
    }

    /// The rows that fail the gate.
    pub fn missing(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, Status::Missing(_)))
    }

    /// Whether every branch is hit on every required host or waived, and no mutant of a
    /// branch that is not waived survived.
    pub fn passed(&self) -> bool {
        self.missing().next().is_none() && self.survivors().next().is_none()
    }

    /// How many hit files of `host` were merged.
    pub fn files_of(&self, host: &str) -> usize {
        self.files.iter().filter(|f| f.host == host).count()
    }

    /// Per actor kind (table order): (branches, hit per host, waived, missing).
    pub fn per_actor(&self) -> Vec<ActorSummary> {
        let mut out: Vec<ActorSummary> = Vec::new();
        for row in &self.rows {
            if out.last().is_none_or(|s| s.kind != row.actor) {
                out.push(ActorSummary {
                    kind: row.actor.clone(),
                    ..ActorSummary::default()
                });
            }
            if let Some(s) = out.last_mut() {
                s.add(row);
            }
        }
        out
    }

    /// All actors together.
    pub fn total(&self) -> ActorSummary {
        let mut total = ActorSummary {
            kind: "total".to_owned(),
            ..ActorSummary::default()
        };
        for row in &self.rows {
            total.add(row);
        }
        total
    }
}

/// The hits of the hit files sorted out against a table: per declared branch and host, the
/// hits of ids it does not declare, and those of actors it does not have.
struct Tally<'t> {
    table: &'t TableFile,
    /// Every branch id the table declares.
    declared: BTreeSet<&'t str>,
    /// Per declared branch id, its hits per host ([`HOSTS`] order).
    merged: BTreeMap<&'t str, [HostHits; 2]>,
    /// Per `(id, host)` not declared by an actor of the table, the hits.
    undeclared: BTreeMap<(String, String), u64>,
    /// Per `(kind, host)` of an actor the table does not have, the hits.
    others: BTreeMap<(String, String), u64>,
}

impl<'t> Tally<'t> {
    /// Nothing tallied yet against `table`.
    fn new(table: &'t TableFile) -> Tally<'t> {
        let declared = table
            .actors
            .iter()
            .flat_map(|a| a.branches.iter().map(|b| b.id.as_str()))
            .collect();
        Tally {
            table,
            declared,
            merged: BTreeMap::new(),
            undeclared: BTreeMap::new(),
            others: BTreeMap::new(),
        }
    }

    /// Adds the hits of one file.
    fn add(&mut self, file: &HitFile) {
        let host = HOSTS.iter().position(|h| *h == file.host).unwrap_or(0);
        let table = self.table;
        let known = |kind: &str| table.actors.iter().any(|a| a.kind == kind);
        for kind in file.tables.keys().filter(|k| !known(k)) {
            self.others
                .entry((kind.clone(), file.host.clone()))
                .or_default();
        }
        for (id, h) in &file.hits {
            let kind = actor_of(id);
            if !known(kind) {
                *self
                    .others
                    .entry((kind.to_owned(), file.host.clone()))
                    .or_default() += h.count;
                continue;
            }
            let Some(&id) = self.declared.get(id.as_str()) else {
                *self
                    .undeclared
                    .entry((id.clone(), file.host.clone()))
                    .or_default() += h.count;
                continue;
            };
            let slot = &mut self.merged.entry(id).or_default()[host];
            slot.count = slot.count.saturating_add(h.count);
            slot.tests.extend(h.tests.iter().cloned());
        }
    }

    /// One row per branch of the table, in table order, with the hits tallied (taken out).
    fn rows(&mut self, required: &[&'static str]) -> Vec<Row> {
        let table = self.table;
        table
            .actors
            .iter()
            .flat_map(|a| a.branches.iter().map(move |b| (a, b)))
            .map(|(actor, branch)| {
                let hosts = self.merged.remove(branch.id.as_str()).unwrap_or_default();
                Row {
                    actor: actor.kind.clone(),
                    status: status(branch, &hosts, required),
                    branch: branch.clone(),
                    hosts,
                }
            })
            .collect()
    }

    /// The hits of ids the table does not declare, by id and host.
    fn undeclared(&self) -> Vec<Undeclared> {
        (self.undeclared.iter())
            .map(|((id, host), count)| Undeclared {
                id: id.clone(),
                host: host.clone(),
                count: *count,
            })
            .collect()
    }

    /// The actors the table does not have, by kind and host.
    fn others(&self) -> Vec<OtherActor> {
        (self.others.iter())
            .map(|((kind, host), count)| OtherActor {
                kind: kind.clone(),
                host: host.clone(),
                count: *count,
            })
            .collect()
    }
}

fn status(branch: &TableBranch, hosts: &[HostHits; 2], required: &[&'static str]) -> Status {
    let hit_on = |h: &str| hosts[HOSTS.iter().position(|x| *x == h).unwrap_or(0)].hit();
    let unwaived: Vec<&'static str> = required
        .iter()
        .copied()
        .filter(|h| !hit_on(h) && !branch.waived_on(h))
        .collect();
    if !unwaived.is_empty() {
        Status::Missing(unwaived)
    } else if required.iter().any(|h| branch.waived_on(h)) {
        // Waived whether or not a test happened to reach it: tests need not, so a hit there
        // depends on timing, and the checklist must read the same from run to run.
        Status::Waived
    } else {
        Status::Hit
    }
}

/// Counts of one actor's branches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorSummary {
    /// The actor's kind (`total` for all).
    pub kind: String,
    /// Its branches.
    pub branches: usize,
    /// Branches hit, per host in [`HOSTS`] order, not counting a host the branch is waived on
    /// (a hit there is incidental: it varies from run to run).
    pub hit: [usize; 2],
    /// Branches waived on a required host (and hit on the others).
    pub waived: usize,
    /// Branches failing the gate.
    pub missing: usize,
}

impl ActorSummary {
    fn add(&mut self, row: &Row) {
        self.branches += 1;
        for (i, h) in row.hosts.iter().enumerate() {
            if h.hit() && !row.branch.waived_on(HOSTS[i]) {
                self.hit[i] += 1;
            }
        }
        match row.status {
            Status::Hit => {}
            Status::Waived => self.waived += 1,
            Status::Missing(_) => self.missing += 1,
        }
    }
}

/// The kill matrix seen from the checklist (see [`crate::kills`]).
impl Checklist {
    /// The verdict on `row`'s mutant, when the checklist has a kill matrix.
    pub fn verdict(&self, row: &Row) -> Option<Verdict> {
        self.kills.as_ref().map(|k| k.verdict(&row.branch))
    }

    /// The rows whose mutant survived and that are not waived: they fail the gate.
    pub fn survivors(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| self.kills.as_ref().is_some_and(|k| k.fails(&r.branch)))
    }

    /// Of the rows of `actor` (all with `None`): mutants killed, and mutants that survived
    /// without a waiver.
    pub fn kill_counts(&self, actor: Option<&str>) -> (usize, usize) {
        let rows = self
            .rows
            .iter()
            .filter(|r| actor.is_none_or(|a| a == r.actor));
        let (mut killed, mut survived) = (0, 0);
        for row in rows {
            match self.verdict(row) {
                Some(Verdict::Killed(_)) => killed += 1,
                Some(Verdict::Survived(_)) if !row.branch.waived_on(MUTANTS_HOST) => survived += 1,
                _ => {}
            }
        }
        (killed, survived)
    }
}
