//! The merge, the renderers and the arguments on small hand-made tables and hit files.

use crate::cli::{parse_args, Format};
use crate::format::{fingerprint, HitFile, Hits, TableActor, TableBranch, TableFile};
use crate::merge::{self, Checklist, OtherActor, Refusal, Status, HOSTS};
use crate::render::{self, Detail};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn branch(id: &str, kind: &str, line: u32, waiver: Option<&str>) -> TableBranch {
    TableBranch {
        id: id.to_owned(),
        kind: kind.to_owned(),
        label: format!("label of {id}"),
        file: "src/a.rs".to_owned(),
        line,
        waiver: waiver.map(str::to_owned),
        waiver_host: None,
    }
}

/// Actor `a`: a route, its decode error, and a match arm with `|` in its pattern.
fn table() -> TableFile {
    TableFile::new(vec![TableActor::new(
        "a",
        "aActor",
        vec![
            branch("a/x", "route", 3, None),
            branch("a/!invalid_payload:x", "decode_error", 3, None),
            branch("a/x/match:m/A|B", "match_arm", 7, None),
        ],
    )])
}

fn hits(host: &str, table: &TableFile, entries: &[(&str, u64, &[&str])]) -> HitFile {
    HitFile {
        format: crate::HITS_FORMAT.to_owned(),
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
    assert_eq!((c.files_of("native"), c.files_of("workerd")), (2, 1));
}

#[test]
fn per_test_attribution_reaches_the_full_markdown_and_json() {
    let t = table();
    let files = vec![
        ("n".to_owned(), hits("native", &t, ALL)),
        ("w".to_owned(), hits("workerd", &t, ALL)),
    ];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(c.passed());
    let md = render::markdown(&c, Detail::Full);
    assert!(
        md.contains("2 hit file(s) merged (native 1, workerd 1)"),
        "{md}"
    );
    assert!(
        md.contains("| ok | `a/x` | label of a/x | src/a.rs:3 | 2 | 2 | t1 |"),
        "{md}"
    );
    assert!(md.contains(
        "| ok | `a/!invalid_payload:x` | label of a/!invalid_payload:x | src/a.rs:3 | 1 | 1 | t2 |"
    ));
    // A `|` in a pattern does not break the table.
    assert!(md.contains("`a/x/match:m/A\\|B`"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&c, Detail::Full)).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["branches"][1]["hits"]["native"]["tests"][0], "t2");
    assert_eq!(json["branches"][0]["hits"]["native"]["count"], 2);
    assert_eq!(json["total"]["native"], 3);
    assert_eq!(json["hit_files"][1]["host"], "workerd");
}

#[test]
fn the_stable_checklist_does_not_change_with_counts_tests_or_hit_files() {
    let t = table();
    let one = vec![
        ("n".to_owned(), hits("native", &t, ALL)),
        ("w".to_owned(), hits("workerd", &t, ALL)),
    ];
    // Another run of the same tests: other counts, other attributions, more hit files.
    let other: &[(&str, u64, &[&str])] = &[
        ("a/x", 90, &["t1", "t3"]),
        ("a/!invalid_payload:x", 4, &["t1"]),
        ("a/x/match:m/A|B", 7, &[]),
    ];
    let two = vec![
        ("/tmp/x/native-1.json".to_owned(), hits("native", &t, other)),
        ("/tmp/x/native-2.json".to_owned(), hits("native", &t, ALL)),
        ("/tmp/x/w-9.json".to_owned(), hits("workerd", &t, other)),
    ];
    let (a, b) = (
        Checklist::merge(&t, &one, &HOSTS),
        Checklist::merge(&t, &two, &HOSTS),
    );
    assert_eq!(
        render::markdown(&a, Detail::Stable),
        render::markdown(&b, Detail::Stable)
    );
    assert_eq!(
        render::json(&a, Detail::Stable),
        render::json(&b, Detail::Stable)
    );
    assert_eq!(
        render::lcov(&a, Detail::Stable),
        render::lcov(&b, Detail::Stable)
    );
    assert_ne!(
        render::markdown(&a, Detail::Full),
        render::markdown(&b, Detail::Full)
    );
    let md = render::markdown(&a, Detail::Stable);
    assert!(
        md.contains("| ok | `a/x` | label of a/x | src/a.rs:3 | hit | hit |\n"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&a, Detail::Stable)).unwrap();
    assert_eq!(
        json["branches"][0]["hits"]["native"],
        serde_json::json!({"hit": true})
    );
    assert!(json.get("hit_files").is_none());
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
    let md = render::markdown(&c, Detail::Stable);
    assert!(md.contains("**FAIL**: 1 branch(es)"));
    assert!(md.contains("| **MISSING** (native) |"));
    assert!(md.contains("src/a.rs:7 | no | hit |"), "{md}");
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
    let md = render::markdown(&c, Detail::Stable);
    assert!(
        md.contains("| waived: unreachable: m is never C | `a/x/match:m/A\\|B`"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&c, Detail::Stable)).unwrap();
    assert_eq!(json["branches"][2]["status"], "waived");
    assert_eq!(json["branches"][2]["waiver"], "unreachable: m is never C");
}

#[test]
fn a_waived_branch_reads_the_same_whether_or_not_a_test_happened_to_reach_it() {
    let mut t = table();
    t.actors[0].branches[2].waiver = Some("reached only by a race".to_owned());
    let render = |reached: bool| {
        let native = if reached { ALL } else { &ALL[..2] };
        let files = vec![
            ("n".to_owned(), hits("native", &t, native)),
            ("w".to_owned(), hits("workerd", &t, &ALL[..2])),
        ];
        let c = Checklist::merge(&t, &files, &HOSTS);
        assert!(c.passed());
        assert_eq!(c.rows[2].status, Status::Waived, "reached: {reached}");
        (
            render::markdown(&c, Detail::Stable),
            render::json(&c, Detail::Stable),
        )
    };
    let (md, json) = render(true);
    assert_eq!(
        (md.clone(), json),
        render(false),
        "stable output depends on the race"
    );
    assert!(md.contains("| waived | waived |"), "{md}");
    // In full, the incidental hit shows.
    let files = vec![
        ("n".to_owned(), hits("native", &t, ALL)),
        ("w".to_owned(), hits("workerd", &t, &ALL[..2])),
    ];
    let full = render::markdown(&Checklist::merge(&t, &files, &HOSTS), Detail::Full);
    assert!(full.contains("| 1 | 0 |"), "{full}");
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
    let mut format = hits("native", &t, ALL);
    format.format = "duract-hits/0".to_owned();
    assert!(checked(&t, &format)
        .unwrap_err()
        .reason
        .contains("duract-hits/0"));
}

#[test]
fn actors_the_table_does_not_have_are_left_out_and_listed() {
    let t = table();
    // A test-only actor `probe`: registered (with its own table) and hit; and `ghost`, hit
    // without being registered. Neither is in the table: not stale, not merged.
    let mut file = hits(
        "native",
        &t,
        &[
            ("a/x", 1, &["t1"]),
            ("probe/ping", 3, &["t9"]),
            ("ghost/x", 1, &[]),
        ],
    );
    file.tables
        .insert("probe".to_owned(), fingerprint([("probe/ping", "route")]));
    let file = checked(&t, &file).unwrap();
    let c = Checklist::merge(&t, &[("n".to_owned(), file)], &["native"]);
    assert_eq!(
        c.others,
        [
            OtherActor {
                kind: "ghost".to_owned(),
                host: "native".to_owned(),
                count: 1
            },
            OtherActor {
                kind: "probe".to_owned(),
                host: "native".to_owned(),
                count: 3
            },
        ]
    );
    assert!(c.undeclared.is_empty());
    assert_eq!(c.rows.len(), 3);
    let md = render::markdown(&c, Detail::Stable);
    assert!(md.contains("## Actors not in the branch table"), "{md}");
    assert!(md.contains("- `probe` on native\n"), "{md}");
    assert!(render::markdown(&c, Detail::Full).contains("- `probe` on native: 3 hit(s)\n"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&c, Detail::Stable)).unwrap();
    assert_eq!(json["other_actors"][1]["kind"], "probe");
}

#[test]
fn a_hand_edited_table_is_refused() {
    let mut t = table();
    t.actors[0].branches.pop();
    let text = serde_json::to_string(&t).unwrap();
    let refusal = merge::load_table("branches.json", &text).unwrap_err();
    assert!(refusal.reason.contains("edited by hand"), "{refusal}");
    assert!(merge::load_table("b", &table().to_json()).is_ok());
}

#[test]
fn undeclared_hits_are_reported_not_merged() {
    let t = table();
    let files = vec![("n".to_owned(), hits("native", &t, &[("a/ghost", 4, &[])]))];
    let c = Checklist::merge(&t, &files, &["native"]);
    assert_eq!(c.undeclared.len(), 1);
    assert_eq!(c.undeclared[0].count, 4);
    assert!(render::markdown(&c, Detail::Full).contains("`a/ghost` on native: 4 hit(s)"));
    assert!(render::markdown(&c, Detail::Stable).contains("- `a/ghost` on native\n"));
}

#[test]
fn lcov_has_branch_records_per_host_and_file() {
    let t = table();
    let files = vec![("n".to_owned(), hits("native", &t, &ALL[..1]))];
    let c = Checklist::merge(&t, &files, &HOSTS);
    let lcov = render::lcov(&c, Detail::Full);
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
    // Stable: 1 for a branch hit, the line's branches hit as its count.
    let stable = render::lcov(&c, Detail::Stable);
    assert!(
        stable.contains("BRDA:3,0,0,1\nBRDA:3,0,1,0\nBRDA:7,1,0,-\n"),
        "{stable}"
    );
    assert!(stable.contains("DA:3,1\nDA:7,0\n"));
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
        "--detail-out",
        "d",
        "--lcov",
        "x.info",
    ])
    .unwrap();
    assert_eq!(o.table, PathBuf::from("t.json"));
    assert_eq!(o.hits.len(), 2);
    assert_eq!(o.required, Some(vec!["workerd"]));
    let outputs: Vec<(PathBuf, Format, Detail)> = o
        .outputs
        .iter()
        .map(|o| (o.path.clone(), o.format, o.detail))
        .collect();
    assert_eq!(outputs.len(), 7);
    assert!(outputs.contains(&("o/lcov.info".into(), Format::Lcov, Detail::Stable)));
    assert!(outputs.contains(&("d/checklist.md".into(), Format::Markdown, Detail::Full)));
    assert!(outputs.contains(&("x.info".into(), Format::Lcov, Detail::Stable)));
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
    assert_eq!(args(&["--help"]).unwrap_err(), "");
}

#[test]
fn a_waiver_for_one_host_holds_on_that_host_only() {
    let mut t = table();
    let arm = &mut t.actors[0].branches[2];
    arm.waiver = Some("workerd cannot be made to".to_owned());
    arm.waiver_host = Some("workerd".to_owned());
    let on = |host: &str, hit: &[(&str, u64, &[&str])]| (host.to_owned(), hits(host, &t, hit));
    // Hit natively, not in workerd: the waiver covers workerd.
    let files = vec![on("native", ALL), on("workerd", &ALL[..2])];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(c.passed());
    assert_eq!(c.rows[2].status, Status::Waived);
    let md = render::markdown(&c, Detail::Stable);
    assert!(
        md.contains("| waived on workerd: workerd cannot be made to |"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&c, Detail::Stable)).unwrap();
    assert_eq!(json["branches"][2]["waiver_host"], "workerd");
    assert!(json["branches"][1].get("waiver_host").is_none());
    // Hit nowhere: native is still missing, and only native.
    let files = vec![on("native", &ALL[..2]), on("workerd", &ALL[..2])];
    let c = Checklist::merge(&t, &files, &HOSTS);
    assert!(!c.passed());
    assert_eq!(c.rows[2].status, Status::Missing(vec!["native"]));
    // Only workerd required: waived.
    assert!(Checklist::merge(&t, &files, &["workerd"]).passed());
}

#[test]
fn a_table_without_host_waivers_writes_no_waiver_host() {
    let json = table().to_json();
    assert!(!json.contains("waiver_host"), "{json}");
    let mut t = table();
    t.actors[0].branches[0].waiver = Some("why".to_owned());
    t.actors[0].branches[0].waiver_host = Some("native".to_owned());
    let back: TableFile = serde_json::from_str(&t.to_json()).unwrap();
    assert_eq!(
        back.actors[0].branches[0].waiver_host.as_deref(),
        Some("native")
    );
}
