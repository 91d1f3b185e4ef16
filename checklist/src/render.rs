//! The checklist as Markdown, JSON and LCOV, stable or in full ([`Detail`]).

use crate::kills::Verdict;
use crate::merge::{ActorSummary, Checklist, HostHits, Row, Status, HOSTS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How many test names a Markdown cell lists before `+N more`.
const TESTS_SHOWN: usize = 3;

/// What the checklist files hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// What the same tests of the same code always give: the table, each branch's status and
    /// whether each host hit it, the actors left out. Files to check in: rerunning the tests
    /// rewrites them identically.
    #[default]
    Stable,
    /// Also what varies from run to run (timing, scheduling, time-budgeted tests): hit counts,
    /// the tests that hit each branch, and the hit files merged.
    Full,
}

impl Detail {
    fn full(self) -> bool {
        self == Detail::Full
    }

    /// What a report says of `hits`: the count in full, else 1 for hit and 0 for not.
    fn value(self, hits: &HostHits) -> u64 {
        if self.full() {
            hits.count
        } else {
            u64::from(hits.hit())
        }
    }
}

/// A Markdown table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Inline code in a table cell (backticks in the text widen the fence).
fn code(text: &str) -> String {
    let fence = if text.contains('`') { "``" } else { "`" };
    format!("{fence}{}{fence}", cell(text))
}

fn status_cell(row: &Row) -> String {
    match &row.status {
        Status::Hit => "ok".to_owned(),
        Status::Waived => format!(
            "waived{}: {}",
            row.branch
                .waiver_host
                .as_ref()
                .map_or(String::new(), |h| format!(" on {h}")),
            cell(row.branch.waiver.as_deref().unwrap_or(""))
        ),
        Status::Missing(hosts) => format!("**MISSING** ({})", hosts.join(", ")),
    }
}

/// A host's cell: the count in full; else `hit` or `no`, or `waived` on a host the branch is
/// waived on (whether a test happened to reach it there varies from run to run).
fn host_cell(row: &Row, host: usize, detail: Detail) -> String {
    let hits = &row.hosts[host];
    match (detail, hits.hit()) {
        (Detail::Full, _) => hits.count.to_string(),
        (Detail::Stable, _) if row.branch.waived_on(HOSTS[host]) => "waived".to_owned(),
        (Detail::Stable, true) => "hit".to_owned(),
        (Detail::Stable, false) => "no".to_owned(),
    }
}

fn tests_cell(row: &Row) -> String {
    let tests: BTreeSet<&str> = row
        .hosts
        .iter()
        .flat_map(|h| h.tests.iter().map(String::as_str))
        .collect();
    let mut shown: Vec<String> = tests.iter().take(TESTS_SHOWN).map(|t| cell(t)).collect();
    if tests.len() > TESTS_SHOWN {
        shown.push(format!("+{} more", tests.len() - TESTS_SHOWN));
    }
    shown.join("; ")
}

fn source(row: &Row) -> String {
    format!("{}:{}", row.branch.file, row.branch.line)
}

fn hit_files(c: &Checklist) -> String {
    let per_host: Vec<String> = HOSTS
        .iter()
        .map(|h| format!("{h} {}", c.files_of(h)))
        .collect();
    format!(
        "{} hit file(s) merged ({})",
        c.files.len(),
        per_host.join(", ")
    )
}

/// The checklist as Markdown: a summary per actor, then one table per actor with a row per
/// branch.
pub fn markdown(c: &Checklist, detail: Detail) -> String {
    let mut out = String::new();
    let missing = c.missing().count();
    let survived = c.survivors().count();
    let verdict = match (missing, survived) {
        (0, 0) => "**PASS**".to_owned(),
        (_, 0) => format!("**FAIL**: {missing} branch(es) not hit and not waived"),
        (0, _) => format!("**FAIL**: {survived} mutant(s) survived, of branches not waived"),
        _ => format!(
            "**FAIL**: {missing} branch(es) not hit and not waived, {survived} mutant(s) survived"
        ),
    };
    let required = if c.required.is_empty() {
        "none".to_owned()
    } else {
        c.required.join(", ")
    };
    let files = if detail.full() {
        format!("; {}", hit_files(c))
    } else {
        String::new()
    };
    let _ = writeln!(out, "# Branch checklist\n");
    let _ = writeln!(
        out,
        "Branch table `{}`; hosts required: {required}{files}; result: {verdict}.\n",
        c.table_hash,
    );
    summary_table(&mut out, c);
    branch_tables(&mut out, c, detail);
    if !c.undeclared.is_empty() {
        let _ = writeln!(
            out,
            "\n## Hits of undeclared branches\n\nThese ids were hit but are not in the branch table (the table is incomplete):\n"
        );
        for u in &c.undeclared {
            let count = if detail.full() {
                format!(": {} hit(s)", u.count)
            } else {
                String::new()
            };
            let _ = writeln!(out, "- {} on {}{count}", code(&u.id), u.host);
        }
    }
    if !c.others.is_empty() {
        let _ = writeln!(
            out,
            "\n## Actors not in the branch table\n\nThe hit files saw these actors, which the branch table does not have (actors of tests only, or removed since); their hits are left out:\n"
        );
        for o in &c.others {
            let count = if detail.full() {
                format!(": {} hit(s)", o.count)
            } else {
                String::new()
            };
            let _ = writeln!(out, "- {} on {}{count}", code(&o.kind), o.host);
        }
    }
    out
}

fn summary_table(out: &mut String, c: &Checklist) {
    let kills = c.kills.is_some();
    let (killed, survived) = if kills {
        (" killed |", " survived |")
    } else {
        ("", "")
    };
    let _ = writeln!(
        out,
        "| actor | branches | hit on native | hit in workerd |{killed} waived | missing |{survived}"
    );
    let columns = if kills { 7 } else { 5 };
    let _ = writeln!(out, "|---|{}", "---:|".repeat(columns));
    let mut summaries = c.per_actor();
    summaries.push(c.total());
    for s in &summaries {
        let actor = (s.kind != "total").then_some(s.kind.as_str());
        let (killed, survived) = c.kill_counts(actor);
        let (killed, survived) = if kills {
            (format!(" {killed} |"), format!(" {survived} |"))
        } else {
            (String::new(), String::new())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |{killed} {} | {} |{survived}",
            cell(&s.kind),
            s.branches,
            s.hit[0],
            s.hit[1],
            s.waived,
            s.missing
        );
    }
}

/// The mutant column of a branch: `killed`, `**SURVIVED**` (failing the gate), `survived`
/// (waived), `waived` or `-` (not run: no native test hits it); in full, with the tests that
/// killed it or hit it without noticing.
fn mutant_cell(row: &Row, verdict: &Verdict, detail: Detail) -> String {
    let tests = |tests: &[String]| {
        let mut shown: Vec<String> = tests.iter().take(TESTS_SHOWN).map(|t| cell(t)).collect();
        if tests.len() > TESTS_SHOWN {
            shown.push(format!("+{} more", tests.len() - TESTS_SHOWN));
        }
        shown.join("; ")
    };
    match (verdict, detail) {
        (Verdict::Killed(by), Detail::Full) => format!("killed by {}", tests(by)),
        (Verdict::Killed(_), Detail::Stable) => "killed".to_owned(),
        (Verdict::Survived(hit_by), _) => {
            let word = if row.branch.waiver.is_some() {
                "survived"
            } else {
                "**SURVIVED**"
            };
            format!("{word}: not noticed by {}", tests(hit_by))
        }
        (Verdict::Waived, _) => "waived".to_owned(),
        (Verdict::NotRun, _) => "-".to_owned(),
    }
}

fn branch_tables(out: &mut String, c: &Checklist, detail: Detail) {
    let mut actor = None;
    for row in &c.rows {
        if actor != Some(&row.actor) {
            actor = Some(&row.actor);
            let _ = writeln!(out, "\n## {}\n", cell(&row.actor));
            let mutant = if c.kills.is_some() { " mutant |" } else { "" };
            let mutant_rule = if c.kills.is_some() { "---|" } else { "" };
            if detail.full() {
                let _ = writeln!(
                    out,
                    "| status | id | label | source | native | workerd |{mutant} tests |"
                );
                let _ = writeln!(out, "|---|---|---|---|---:|---:|{mutant_rule}---|");
            } else {
                let _ = writeln!(
                    out,
                    "| status | id | label | source | native | workerd |{mutant}"
                );
                let _ = writeln!(out, "|---|---|---|---|---|---|{mutant_rule}");
            }
        }
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            status_cell(row),
            code(&row.branch.id),
            cell(&row.branch.label),
            cell(&source(row)),
            host_cell(row, 0, detail),
            host_cell(row, 1, detail),
        );
        if let Some(verdict) = c.verdict(row) {
            let _ = write!(out, " {} |", mutant_cell(row, &verdict, detail));
        }
        if detail.full() {
            let _ = write!(out, " {} |", tests_cell(row));
        }
        out.push('\n');
    }
}

/// The checklist as JSON (in full: every test name, unlike the Markdown).
pub fn json(c: &Checklist, detail: Detail) -> String {
    let mut value = json!({
        "format": "duract-checklist/2",
        "detail": if detail.full() { "full" } else { "stable" },
        "table_hash": c.table_hash,
        "required": c.required,
        "passed": c.passed(),
        "total": summary_json(&c.total()),
        "actors": c.per_actor().iter().map(summary_json).collect::<Vec<_>>(),
        "branches": c.rows.iter().map(|row| branch_json(c, row, detail)).collect::<Vec<_>>(),
        "undeclared": c.undeclared.iter()
            .map(|u| with_count(json!({"id": u.id, "host": u.host}), u.count, detail))
            .collect::<Vec<_>>(),
        "other_actors": c.others.iter()
            .map(|o| with_count(json!({"kind": o.kind, "host": o.host}), o.count, detail))
            .collect::<Vec<_>>(),
    });
    if c.kills.is_some() {
        add_kill_counts(&mut value, c);
    }
    if detail.full() {
        value["hit_files"] = c
            .files
            .iter()
            .map(|f| json!({"path": f.path, "host": f.host, "source": f.source}))
            .collect();
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// An actor's (or the total's) counts in JSON.
fn summary_json(s: &ActorSummary) -> Value {
    json!({
        "kind": s.kind,
        "branches": s.branches,
        "native": s.hit[0],
        "workerd": s.hit[1],
        "waived": s.waived,
        "missing": s.missing,
    })
}

/// `v` with its hit count, in full.
fn with_count(mut v: Value, count: u64, detail: Detail) -> Value {
    if detail.full() {
        v["count"] = json!(count);
    }
    v
}

/// One branch in JSON: the table's fields, its hits per host, its status and its mutant.
fn branch_json(c: &Checklist, row: &Row, detail: Detail) -> Value {
    let hosts: serde_json::Map<String, Value> = HOSTS
        .iter()
        .zip(&row.hosts)
        .map(|(name, h)| ((*name).to_owned(), host_json(row, name, h, detail)))
        .collect();
    let (status, missing_on) = match &row.status {
        Status::Hit => ("hit", Vec::new()),
        Status::Waived => ("waived", Vec::new()),
        Status::Missing(h) => ("missing", h.clone()),
    };
    let mut branch = json!({
        "id": row.branch.id,
        "actor": row.actor,
        "kind": row.branch.kind,
        "label": row.branch.label,
        "file": row.branch.file,
        "line": row.branch.line,
        "waiver": row.branch.waiver,
        "hits": hosts,
        "status": status,
        "missing_on": missing_on,
    });
    if let Some(host) = &row.branch.waiver_host {
        branch["waiver_host"] = host.as_str().into();
    }
    if let Some(verdict) = c.verdict(row) {
        branch["mutant"] = mutant_json(&verdict, detail);
    }
    branch
}

/// A branch's hits on host `name` in JSON: in full the count and the tests; stable, whether
/// it was hit, or only that it is waived there.
fn host_json(row: &Row, name: &str, h: &HostHits, detail: Detail) -> Value {
    if detail.full() {
        json!({ "hit": h.hit(), "count": h.count, "tests": h.tests })
    } else if row.branch.waived_on(name) {
        json!({ "waived": true }) // a hit there varies from run to run
    } else {
        json!({ "hit": h.hit() })
    }
}

/// Adds the mutants killed and survived to the checklist's JSON `value`: in all, and per actor.
fn add_kill_counts(value: &mut Value, c: &Checklist) {
    let (killed, survived) = c.kill_counts(None);
    value["mutants"] = json!({ "killed": killed, "survived": survived });
    for (i, s) in c.per_actor().iter().enumerate() {
        let (killed, survived) = c.kill_counts(Some(&s.kind));
        value["actors"][i]["killed"] = json!(killed);
        value["actors"][i]["survived"] = json!(survived);
    }
}

/// A branch's mutant in JSON: its outcome, and in full the tests (stable: the tests that hit
/// a survivor without noticing, which the user needs to fix it).
fn mutant_json(verdict: &Verdict, detail: Detail) -> Value {
    match verdict {
        Verdict::Killed(by) if detail.full() => json!({ "outcome": "killed", "killed_by": by }),
        Verdict::Killed(_) => json!({ "outcome": "killed" }),
        Verdict::Survived(hit_by) => json!({ "outcome": "survived", "not_noticed_by": hit_by }),
        Verdict::Waived => json!({ "outcome": "waived" }),
        Verdict::NotRun => json!({ "outcome": "not_run" }),
    }
}

/// The checklist as LCOV: per host a test name (`TN:native`, `TN:workerd`), per source file
/// its branches as `BRDA:<line>,<block>,<branch>,<taken>` (one block per line; `-` when no
/// branch of the line ran on that host), `BRF`/`BRH`, and `DA` lines so viewers place them.
/// `taken` and `DA` are hit counts in full; stable, `taken` is 1 for a branch hit and `DA`
/// the number of the line's branches hit.
pub fn lcov(c: &Checklist, detail: Detail) -> String {
    let mut by_file: BTreeMap<&str, BTreeMap<u32, Vec<&Row>>> = BTreeMap::new();
    for row in &c.rows {
        by_file
            .entry(row.branch.file.as_str())
            .or_default()
            .entry(row.branch.line)
            .or_default()
            .push(row);
    }
    let mut out = String::new();
    for (host_index, host) in HOSTS.iter().enumerate() {
        let value = |row: &&Row| detail.value(&row.hosts[host_index]);
        for (file, lines) in &by_file {
            let _ = writeln!(out, "TN:{host}");
            let _ = writeln!(out, "SF:{file}");
            let (mut found, mut hit) = (0, 0);
            for (block, (line, rows)) in lines.iter().enumerate() {
                let line_hits: u64 = rows.iter().map(value).sum();
                for (branch, row) in rows.iter().enumerate() {
                    let count = value(row);
                    let taken = if line_hits == 0 {
                        "-".to_owned()
                    } else {
                        count.to_string()
                    };
                    let _ = writeln!(out, "BRDA:{line},{block},{branch},{taken}");
                    found += 1;
                    if count > 0 {
                        hit += 1;
                    }
                }
            }
            let _ = writeln!(out, "BRF:{found}");
            let _ = writeln!(out, "BRH:{hit}");
            let mut lines_hit = 0;
            for (line, rows) in lines {
                let line_hits: u64 = rows.iter().map(value).sum();
                if line_hits > 0 {
                    lines_hit += 1;
                }
                let _ = writeln!(out, "DA:{line},{line_hits}");
            }
            let _ = writeln!(out, "LF:{}", lines.len());
            let _ = writeln!(out, "LH:{lines_hit}");
            let _ = writeln!(out, "end_of_record");
        }
    }
    out
}
