//! The checklist as Markdown, JSON and LCOV.

use crate::merge::{Checklist, Row, Status, HOSTS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How many test names a Markdown cell lists before `+N more`.
const TESTS_SHOWN: usize = 3;

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
            "waived: {}",
            cell(row.branch.waiver.as_deref().unwrap_or(""))
        ),
        Status::Missing(hosts) => format!("**MISSING** ({})", hosts.join(", ")),
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

/// The checklist as Markdown: a summary per actor, then one table per actor with a row per
/// branch.
pub fn markdown(c: &Checklist) -> String {
    let mut out = String::new();
    let missing = c.missing().count();
    let verdict = if missing == 0 {
        "**PASS**".to_owned()
    } else {
        format!("**FAIL**: {missing} branch(es) not hit and not waived")
    };
    let required = if c.required.is_empty() {
        "none".to_owned()
    } else {
        c.required.join(", ")
    };
    let _ = writeln!(out, "# Branch checklist\n");
    let _ = writeln!(
        out,
        "Branch table `{}`; hosts required: {required}; {} hit file(s) merged; result: {verdict}.\n",
        c.table_hash,
        c.files.len()
    );
    let _ = writeln!(
        out,
        "| actor | branches | hit on native | hit in workerd | waived | missing |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let mut summaries = c.per_actor();
    summaries.push(c.total());
    for s in &summaries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&s.kind),
            s.branches,
            s.hit[0],
            s.hit[1],
            s.waived,
            s.missing
        );
    }
    let mut actor = None;
    for row in &c.rows {
        if actor != Some(&row.actor) {
            actor = Some(&row.actor);
            let _ = writeln!(out, "\n## {}\n", cell(&row.actor));
            let _ = writeln!(
                out,
                "| status | id | label | source | native | workerd | tests |"
            );
            let _ = writeln!(out, "|---|---|---|---|---:|---:|---|");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            status_cell(row),
            code(&row.branch.id),
            cell(&row.branch.label),
            cell(&source(row)),
            row.hosts[0].count,
            row.hosts[1].count,
            tests_cell(row)
        );
    }
    if !c.undeclared.is_empty() {
        let _ = writeln!(
            out,
            "\n## Hits of undeclared branches\n\nThese ids were hit but are not in the branch table (the table is incomplete):\n"
        );
        for u in &c.undeclared {
            let _ = writeln!(out, "- {} on {}: {} hit(s)", code(&u.id), u.host, u.count);
        }
    }
    out
}

/// The checklist as JSON (every test name, unlike the Markdown).
pub fn json(c: &Checklist) -> String {
    let summary = |s: &crate::merge::ActorSummary| {
        json!({
            "kind": s.kind,
            "branches": s.branches,
            "native": s.hit[0],
            "workerd": s.hit[1],
            "waived": s.waived,
            "missing": s.missing,
        })
    };
    let branches: Vec<Value> = c
        .rows
        .iter()
        .map(|row| {
            let mut hosts = serde_json::Map::new();
            for (i, h) in HOSTS.iter().enumerate() {
                hosts.insert(
                    (*h).to_owned(),
                    json!({ "count": row.hosts[i].count, "tests": row.hosts[i].tests }),
                );
            }
            let (status, missing_on) = match &row.status {
                Status::Hit => ("hit", Vec::new()),
                Status::Waived => ("waived", Vec::new()),
                Status::Missing(h) => ("missing", h.clone()),
            };
            json!({
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
            })
        })
        .collect();
    let value = json!({
        "format": "duract-checklist/1",
        "table_hash": c.table_hash,
        "required": c.required,
        "passed": c.passed(),
        "total": summary(&c.total()),
        "actors": c.per_actor().iter().map(summary).collect::<Vec<_>>(),
        "branches": branches,
        "undeclared": c.undeclared.iter().map(|u| json!({"id": u.id, "host": u.host, "count": u.count})).collect::<Vec<_>>(),
        "hit_files": c.files.iter().map(|(p, h, s)| json!({"path": p, "host": h, "source": s})).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The checklist as LCOV: per host a test name (`TN:native`, `TN:workerd`), per source file
/// its branches as `BRDA:<line>,<block>,<branch>,<taken>` (one block per line; `-` when no
/// branch of the line ran on that host), `BRF`/`BRH`, and `DA` lines (the hits of the
/// line's branches) so viewers place them.
pub fn lcov(c: &Checklist) -> String {
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
        for (file, lines) in &by_file {
            let _ = writeln!(out, "TN:{host}");
            let _ = writeln!(out, "SF:{file}");
            let (mut found, mut hit) = (0, 0);
            for (block, (line, rows)) in lines.iter().enumerate() {
                let line_hits: u64 = rows.iter().map(|r| r.hosts[host_index].count).sum();
                for (branch, row) in rows.iter().enumerate() {
                    let count = row.hosts[host_index].count;
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
                let line_hits: u64 = rows.iter().map(|r| r.hosts[host_index].count).sum();
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
