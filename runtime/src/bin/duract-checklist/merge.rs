//! Reading the branch table and the hit files, refusing stale ones, merging, and the gate.

use duract::checklist::{fingerprint, HitFile, TableBranch, TableFile, HITS_FORMAT, TABLE_FORMAT};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The hosts a hit file can come from, in report order.
pub const HOSTS: [&str; 2] = ["native", "workerd"];

/// Why an input was refused: nothing is written then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file it is about.
    pub path: String,
    pub reason: String,
    /// A hit file recorded against another branch table (`--skip-stale` leaves it out).
    pub stale: bool,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

pub fn refuse(path: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        path: path.to_owned(),
        reason: reason.into(),
        stale: false,
    }
}

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
        let hash = fingerprint(
            actor
                .branches
                .iter()
                .map(|b| (b.id.as_str(), b.kind.as_str())),
        );
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
/// an unknown host, or was recorded against a table that differs from the current one.
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
            return Err(stale(
                path,
                format!(
                    "stale hit file: it was recorded by a build with an actor `{kind}`, which the current branch table does not have; rerun the tests that wrote it (or regenerate the table)"
                ),
            ));
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
        let kind = id.split('/').next().unwrap_or(id);
        if !hits.tables.contains_key(kind) {
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
    pub count: u64,
    pub tests: BTreeSet<String>,
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
    pub actor: String,
    pub branch: TableBranch,
    /// Per host, in [`HOSTS`] order.
    pub hosts: [HostHits; 2],
    pub status: Status,
}

/// A hit on an id the table does not declare (the table of a build is incomplete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    pub id: String,
    pub host: String,
    pub count: u64,
}

/// The merged checklist.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub table_hash: String,
    pub required: Vec<&'static str>,
    pub rows: Vec<Row>,
    pub undeclared: Vec<Undeclared>,
    /// (path, host, source) of each merged hit file.
    pub files: Vec<(String, String, String)>,
}

impl Checklist {
    /// Merges `hits` (already checked by [`load_hits`]) over `table`.
    pub fn merge(
        table: &TableFile,
        hits: &[(String, HitFile)],
        required: &[&'static str],
    ) -> Checklist {
        let mut merged: BTreeMap<&str, [HostHits; 2]> = BTreeMap::new();
        let mut undeclared: BTreeMap<(String, String), u64> = BTreeMap::new();
        let declared: BTreeSet<&str> = table
            .actors
            .iter()
            .flat_map(|a| a.branches.iter().map(|b| b.id.as_str()))
            .collect();
        for (_, file) in hits {
            let host = HOSTS.iter().position(|h| *h == file.host).unwrap_or(0);
            for (id, h) in &file.hits {
                let Some(id) = declared.get(id.as_str()) else {
                    *undeclared
                        .entry((id.clone(), file.host.clone()))
                        .or_default() += h.count;
                    continue;
                };
                let slot = &mut merged.entry(id).or_default()[host];
                slot.count = slot.count.saturating_add(h.count);
                slot.tests.extend(h.tests.iter().cloned());
            }
        }
        let rows = table
            .actors
            .iter()
            .flat_map(|a| a.branches.iter().map(move |b| (a, b)))
            .map(|(actor, branch)| {
                let hosts = merged.remove(branch.id.as_str()).unwrap_or_default();
                let missing: Vec<&'static str> = required
                    .iter()
                    .copied()
                    .filter(|h| {
                        let i = HOSTS.iter().position(|x| x == h).unwrap_or(0);
                        hosts[i].count == 0
                    })
                    .collect();
                let status = if missing.is_empty() {
                    Status::Hit
                } else if branch.waiver.is_some() {
                    Status::Waived
                } else {
                    Status::Missing(missing)
                };
                Row {
                    actor: actor.kind.clone(),
                    branch: branch.clone(),
                    hosts,
                    status,
                }
            })
            .collect();
        Checklist {
            table_hash: table.table_hash.clone(),
            required: required.to_vec(),
            rows,
            undeclared: undeclared
                .into_iter()
                .map(|((id, host), count)| Undeclared { id, host, count })
                .collect(),
            files: hits
                .iter()
                .map(|(p, f)| (p.clone(), f.host.clone(), f.source.clone()))
                .collect(),
        }
    }

    /// The rows that fail the gate.
    pub fn missing(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, Status::Missing(_)))
    }

    /// Whether every branch is hit on every required host or waived.
    pub fn passed(&self) -> bool {
        self.missing().next().is_none()
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

/// Counts of one actor's branches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorSummary {
    pub kind: String,
    pub branches: usize,
    /// Branches hit, per host in [`HOSTS`] order.
    pub hit: [usize; 2],
    pub waived: usize,
    pub missing: usize,
}

impl ActorSummary {
    fn add(&mut self, row: &Row) {
        self.branches += 1;
        for (i, h) in row.hosts.iter().enumerate() {
            if h.count > 0 {
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
