//! The command on small hand-made tables and hit files.

use super::*;
use duract::checklist::{fingerprint, HitFile, Hits, TableActor, TableBranch, TableFile};
use std::collections::BTreeMap;

fn branch(id: &str, kind: &str, line: u32, waiver: Option<&str>) -> TableBranch {
    TableBranch {
        id: id.to_owned(),
        kind: kind.to_owned(),
        label: format!("label of {id}"),
        file: "src/a.rs".to_owned(),
        line,
        waiver: waiver.map(str::to_owned),
    }
}

fn actor(kind: &str, branches: Vec<TableBranch>) -> TableActor {
    TableActor {
        kind: kind.to_owned(),
        class: format!("{kind}Actor"),
        hash: fingerprint(branches.iter().map(|b| (b.id.as_str(), b.kind.as_str()))),
        branches,
    }
}

/// Actor `a`: a route, its decode error, and a match arm with `|` in its pattern.
fn table() -> TableFile {
    let actors = vec![actor(
        "a",
        vec![
            branch("a/x", "route", 3, None),
            branch("a/!invalid_payload:x", "decode_error", 3, None),
            branch("a/x/match:m/A|B", "match_arm", 7, None),
        ],
    )];
    TableFile {
        format: duract::checklist::TABLE_FORMAT.to_owned(),
        table_hash: fingerprint(
            actors
                .iter()
                .flat_map(|a| &a.branches)
                .map(|b| (b.id.as_str(), b.kind.as_str())),
        ),
        actors,
    }
}

fn hits(host: &str, table: &TableFile, entries: &[(&str, u64, &[&str])]) -> HitFile {
    HitFile {
        format: duract::checklist::HITS_FORMAT.to_owned(),
        host: host.to_owned(),
        source: "test".to_owned(),
        tables: table
            .actors
            .iter()
            .map(|a| (a.kind.clone(), a.hash.clone()))
            .collect(),
        hits: entries
            .iter()
            .map(|(id, count, tests)| {
                (
                    (*id).to_owned(),
                    Hits {
                        count: *count,
                        tests: tests.iter().map(|t| (*t).to_owned()).collect(),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn checked(table: &TableFile, file: &HitFile) -> Result<HitFile, Refusal> {
    let text = serde_json::to_string(file).unwrap();
    merge::load_hits("hits.json", &text, table)
}

const ALL: &[(&str, u64, &[&str])] = &[
    ("a/x", 2, &["t1"]),
    ("a/!invalid_payload:x", 1, &["t2"]),
    ("a/x/match:m/A|B", 1, &["t1"]),
];

#[test]
fn files_of_both_hosts_merge_counts_and_tests() {
    let t = table();
    let n1 = hits("native", &t, &[("a/x", 2, &["bin: t1"])]);
    let n2 = hits("native", &t, &[("a/x", 3, &["bin: t2", "bin: t1"])]);
    let w = hits("workerd", &t, ALL);
    let files: Vec<(String, HitFile)> = [n1, n2, w]
        .iter()
        .map(|f| ("f".to_owned(), checked(&t, f).unwrap()))
        .collect();
    let c = Checklist::merge(&t, &files, &HOSTS);
    let x = &c.rows[0];
    assert_eq!(x.branch.id, "a/x");
    assert_eq!(x.hosts[0].count, 5);
    assert_eq!(
        x.hosts[0].tests.iter().collect::<Vec<_>>(),
        ["bin: t1", "bin: t2"]
    );
    assert_eq!(x.hosts[1].count, 2);
    assert_eq!(x.status, Status::Hit);
    // Only `a/x` was hit natively: the other two miss on native.
    assert_eq!(c.missing().count(), 2);
    assert_eq!(c.rows[1].status, Status::Missing(vec!["native"]));
    let total = c.total();
    assert_eq!((total.branches, total.hit, total.missing), (3, [1, 3], 2));
}

#[test]
fn per_test_attribution_reaches_the_markdown_and_json() {
    let t = table();
    let files = vec![
        ("n".to_owned(), hits("native", &t, ALL)),
        ("w".to_owned(), hits("workerd", &t, ALL)),
    ];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(c.passed());
    let md = render::markdown(&c);
    assert!(
        md.contains("| ok | `a/x` | label of a/x | src/a.rs:3 | 2 | 2 | t1 |"),
        "{md}"
    );
    assert!(md.contains(
        "| ok | `a/!invalid_payload:x` | label of a/!invalid_payload:x | src/a.rs:3 | 1 | 1 | t2 |"
    ));
    // A `|` in a pattern does not break the table.
    assert!(md.contains("`a/x/match:m/A\\|B`"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&c)).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["branches"][1]["hits"]["native"]["tests"][0], "t2");
    assert_eq!(json["total"]["native"], 3);
}

#[test]
fn an_untested_branch_fails_the_gate() {
    let t = table();
    let partial = &ALL[..2];
    let files = vec![
        ("n".to_owned(), hits("native", &t, partial)),
        ("w".to_owned(), hits("workerd", &t, ALL)),
    ];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(!c.passed());
    let missing: Vec<&str> = c.missing().map(|r| r.branch.id.as_str()).collect();
    assert_eq!(missing, ["a/x/match:m/A|B"]);
    assert!(render::markdown(&c).contains("**FAIL**: 1 branch(es)"));
    assert!(render::markdown(&c).contains("| **MISSING** (native) |"));
    // Requiring only workerd passes; requiring nothing passes.
    assert!(Checklist::merge(&t, &files, &["workerd"]).passed());
    assert!(Checklist::merge(&t, &files, &[]).passed());
}

#[test]
fn a_waiver_passes_the_gate_and_shows_its_reason() {
    let mut t = table();
    t.actors[0].branches[2].waiver = Some("unreachable: m is never C".to_owned());
    let files = vec![
        ("n".to_owned(), hits("native", &t, &ALL[..2])),
        ("w".to_owned(), hits("workerd", &t, &ALL[..2])),
    ];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(c.passed());
    assert_eq!(c.rows[2].status, Status::Waived);
    let md = render::markdown(&c);
    assert!(
        md.contains("| waived: unreachable: m is never C | `a/x/match:m/A\\|B`"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&c)).unwrap();
    assert_eq!(json["branches"][2]["status"], "waived");
    assert_eq!(json["branches"][2]["waiver"], "unreachable: m is never C");
}

#[test]
fn stale_hit_files_are_refused() {
    let t = table();
    // Recorded by a build where `a` had one more branch.
    let mut old = hits("native", &t, ALL);
    old.tables
        .insert("a".to_owned(), fingerprint([("a/x", "route")]));
    let refusal = checked(&t, &old).unwrap_err();
    assert!(refusal.stale);
    assert!(
        refusal.reason.contains("branch table of actor `a` differs"),
        "{refusal}"
    );
    // An actor the current table no longer has.
    let mut gone = hits("native", &t, ALL);
    gone.tables.insert("b".to_owned(), fingerprint([]));
    assert!(checked(&t, &gone).unwrap_err().reason.contains("actor `b`"));
    // Hits without the fingerprint of their actor's table cannot be checked.
    let mut unregistered = hits("native", &t, ALL);
    unregistered.tables.clear();
    let refusal = checked(&t, &unregistered).unwrap_err();
    assert!(!refusal.stale);
    assert!(refusal.reason.contains("duract::checklist::register"));
    // Not a hit file, another format, another host.
    assert!(merge::load_hits("x", "{}", &t).is_err());
    let mut other = hits("native", &t, ALL);
    other.host = "browser".to_owned();
    assert!(checked(&t, &other).unwrap_err().reason.contains("browser"));
}

#[test]
fn a_hand_edited_table_is_refused() {
    let mut t = table();
    t.actors[0].branches.pop();
    let text = serde_json::to_string(&t).unwrap();
    let refusal = merge::load_table("branches.json", &text).unwrap_err();
    assert!(refusal.reason.contains("edited by hand"), "{refusal}");
    assert!(merge::load_table("b", &serde_json::to_string(&table()).unwrap()).is_ok());
}

#[test]
fn undeclared_hits_are_reported_not_merged() {
    let t = table();
    let files = vec![("n".to_owned(), hits("native", &t, &[("a/ghost", 4, &[])]))];
    let c = Checklist::merge(&t, &files, &["native"]);
    assert_eq!(c.undeclared.len(), 1);
    assert_eq!(c.undeclared[0].count, 4);
    assert!(render::markdown(&c).contains("`a/ghost` on native: 4 hit(s)"));
}

#[test]
fn lcov_has_branch_records_per_host_and_file() {
    let t = table();
    let files = vec![("n".to_owned(), hits("native", &t, &ALL[..1]))];
    let lcov = render::lcov(&Checklist::merge(&t, &files, &HOSTS));
    let native = lcov.split("end_of_record").next().unwrap();
    assert!(native.starts_with("TN:native\nSF:src/a.rs\n"));
    // Line 3: `a/x` hit twice, its decode error not; line 7: nothing ran.
    assert!(
        native.contains("BRDA:3,0,0,2\nBRDA:3,0,1,0\nBRDA:7,1,0,-\n"),
        "{native}"
    );
    assert!(native.contains("BRF:3\nBRH:1\n"));
    assert!(native.contains("DA:3,2\nDA:7,0\nLF:2\nLH:1\n"));
    assert!(lcov.contains("TN:workerd\nSF:src/a.rs\n"));
    assert!(lcov.contains("BRF:3\nBRH:0\n"));
}

#[test]
fn arguments_parse_and_bad_ones_are_errors() {
    let args = |a: &[&str]| parse_args(a.iter().map(|s| (*s).to_owned()));
    let o = args(&[
        "--table",
        "t.json",
        "--hits=h",
        "--hits",
        "g",
        "--require",
        "workerd",
        "--out",
        "o",
    ])
    .unwrap();
    assert_eq!(o.hits.len(), 2);
    assert_eq!(o.required, Some(vec!["workerd"]));
    assert_eq!(o.lcov, Some(PathBuf::from("o/lcov.info")));
    assert_eq!(
        args(&["--table", "t", "--require", "none"])
            .unwrap()
            .required,
        Some(vec![])
    );
    assert!(args(&["--hits", "h"]).unwrap_err().contains("--table"));
    assert!(args(&["--table"]).unwrap_err().contains("needs a value"));
    assert!(args(&["--table", "t", "--require", "edge"])
        .unwrap_err()
        .contains("edge"));
    assert!(args(&["--table", "t", "--frobnicate"]).is_err());
}
