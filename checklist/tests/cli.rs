//! The `duract-checklist` binary on files: the gate's exit status and messages, stale hit files
//! refused, actors of tests only left out, and stable files rewritten identically by another
//! run of the same tests. (The runtime's `tests/checklist_recorder.rs` feeds it hit files the
//! recorder wrote.)

use duract_checklist::{HitFile, Hits, TableActor, TableBranch, TableFile, HITS_FORMAT};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn branch(id: &str, kind: &str, line: u32, waiver: Option<&str>) -> TableBranch {
    TableBranch {
        id: id.to_owned(),
        kind: kind.to_owned(),
        label: id.to_owned(),
        file: "src/shop.rs".to_owned(),
        line,
        waiver: waiver.map(str::to_owned),
        waiver_host: None,
    }
}

fn shop(with_else: bool) -> TableFile {
    let mut branches = vec![
        branch("shop/buy", "route", 10, None),
        branch("shop/buy/if:in_stock", "if_then", 11, None),
        branch("shop/buy/else:in_stock", "if_else", 11, None),
        branch(
            "shop/!unknown_type",
            "unknown_type",
            9,
            Some("no client sends other types"),
        ),
    ];
    if !with_else {
        branches.remove(2);
    }
    TableFile::new(vec![TableActor::new("shop", "ShopActor", branches)])
}

fn hit_file(host: &str, table: &TableFile, hits: &[(&str, u64, &str)]) -> String {
    let file = HitFile {
        format: HITS_FORMAT.to_owned(),
        host: host.to_owned(),
        source: format!("{host}-{}", std::process::id()),
        tables: table
            .actors
            .iter()
            .map(|a| (a.kind.clone(), a.hash.clone()))
            .collect(),
        hits: hits
            .iter()
            .map(|(id, count, test)| {
                let hits = Hits {
                    count: *count,
                    tests: vec![(*test).to_owned()],
                };
                ((*id).to_owned(), hits)
            })
            .collect(),
    };
    serde_json::to_string_pretty(&file).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("checklist_bin")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn checklist(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_duract-checklist"))
        .args(args)
        .output()
        .unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

const ALL: &[(&str, u64, &str)] = &[
    ("shop/buy", 3, "t: buys"),
    ("shop/buy/if:in_stock", 2, "t: buys"),
    ("shop/buy/else:in_stock", 1, "t: out_of_stock"),
];

#[test]
fn the_gate_fails_on_a_branch_without_a_hit_and_passes_once_hit() {
    let dir = scratch("gate");
    let table = shop(true);
    let path = dir.join("branches.json");
    write(&path, &table.to_json());
    write(
        &dir.join("native/n.json"),
        &hit_file("native", &table, &ALL[..2]),
    );
    write(
        &dir.join("workerd/w.json"),
        &hit_file("workerd", &table, ALL),
    );
    let out = dir.join("out");
    let (native, workerd) = (dir.join("native"), dir.join("workerd"));
    let (code, stdout, stderr) = checklist(&[
        &"--table", &path, &"--hits", &native, &"--hits", &workerd, &"--out", &out,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("not hit on native: shop/buy/else:in_stock (src/shop.rs:11)"),
        "{stderr}"
    );
    assert!(stdout.contains("4 branches; hit on native 2, in workerd 3; waived 1; missing 1"));
    let md = std::fs::read_to_string(out.join("checklist.md")).unwrap();
    assert!(md.contains("| waived: no client sends other types | `shop/!unknown_type`"));
    assert!(
        md.contains("| **MISSING** (native) | `shop/buy/else:in_stock`"),
        "{md}"
    );
    let lcov = std::fs::read_to_string(out.join("lcov.info")).unwrap();
    assert!(
        lcov.contains("SF:src/shop.rs\nBRDA:9,0,0,-\nBRDA:10,1,0,1\n"),
        "{lcov}"
    );

    write(
        &dir.join("native/n2.json"),
        &hit_file("native", &table, ALL),
    );
    let json = dir.join("checklist.json");
    let (code, _, stderr) = checklist(&[
        &"--table", &path, &"--hits", &native, &"--hits", &workerd, &"--json", &json,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["total"]["waived"], 1);

    // Without the workerd files, workerd is still required by default.
    let (code, _, stderr) = checklist(&[&"--table", &path, &"--hits", &native]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no hit file from workerd"), "{stderr}");
    let (code, _, _) = checklist(&[
        &"--table",
        &path,
        &"--hits",
        &native,
        &"--require",
        &"native",
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn stale_hit_files_are_refused_and_nothing_is_written() {
    let dir = scratch("stale");
    let old = shop(true);
    write(&dir.join("hits/n.json"), &hit_file("native", &old, ALL));
    // The current build removed the `else`.
    let path = dir.join("branches.json");
    write(&path, &shop(false).to_json());
    let (out, hits) = (dir.join("out"), dir.join("hits"));
    let (code, _, stderr) = checklist(&[&"--table", &path, &"--hits", &hits, &"--out", &out]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("stale hit file: the branch table of actor `shop` differs"),
        "{stderr}"
    );
    assert!(!out.exists());
    // --skip-stale leaves them out with a warning instead: nothing merged, the gate fails.
    let (code, _, stderr) = checklist(&[
        &"--table",
        &path,
        &"--hits",
        &hits,
        &"--require",
        &"native",
        &"--skip-stale",
    ]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("warning: skipped"), "{stderr}");
}

#[test]
fn an_actor_of_tests_only_is_left_out_with_a_note() {
    let dir = scratch("test-only");
    let table = shop(true);
    let path = dir.join("branches.json");
    write(&path, &table.to_json());
    // The test process also ran an actor `probe` its crate does not export (so not in the table).
    let with_probe = TableFile::new(vec![
        table.actors[0].clone(),
        TableActor::new(
            "probe",
            "ProbeActor",
            vec![branch("probe/ping", "route", 1, None)],
        ),
    ]);
    let mut hits = ALL.to_vec();
    hits.push(("probe/ping", 5, "t: probes"));
    write(
        &dir.join("hits/n.json"),
        &hit_file("native", &with_probe, &hits),
    );
    let (hits, out) = (dir.join("hits"), dir.join("out"));
    let (code, _, stderr) = checklist(&[
        &"--table",
        &path,
        &"--hits",
        &hits,
        &"--require",
        &"native",
        &"--out",
        &out,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("note: actor `probe` (5 hit(s) on native) is not in the branch table"),
        "{stderr}"
    );
    let md = std::fs::read_to_string(out.join("checklist.md")).unwrap();
    assert!(md.contains("## Actors not in the branch table"), "{md}");
}

#[test]
fn another_run_of_the_same_tests_rewrites_the_stable_files_identically() {
    let dir = scratch("stable");
    let table = shop(true);
    let path = dir.join("branches.json");
    write(&path, &table.to_json());
    let run = |name: &str, hits: &[(&str, u64, &str)]| {
        let hits_dir = dir.join(name);
        write(
            &hits_dir.join(format!("{name}-1.json")),
            &hit_file("native", &table, hits),
        );
        write(
            &hits_dir.join(format!("{name}-2.json")),
            &hit_file("workerd", &table, hits),
        );
        let (out, detail) = (dir.join("out"), dir.join(format!("detail-{name}")));
        let (code, _, stderr) = checklist(&[
            &"--table",
            &path,
            &"--hits",
            &hits_dir,
            &"--out",
            &out,
            &"--detail-out",
            &detail,
        ]);
        assert_eq!(code, Some(0), "{stderr}");
        let read = |d: &Path| {
            ["checklist.md", "checklist.json", "lcov.info"]
                .map(|f| std::fs::read_to_string(d.join(f)).unwrap())
        };
        (read(&out), read(&detail))
    };
    let (stable1, full1) = run("one", ALL);
    let more: Vec<(&str, u64, &str)> = ALL
        .iter()
        .map(|&(id, n, _)| (id, n * 7, "t: other"))
        .collect();
    let (stable2, full2) = run("two", &more);
    assert_eq!(stable1, stable2);
    assert_ne!(full1, full2);
    assert!(full2[0].contains("t: other"), "{}", full2[0]);
    assert!(full2[1].contains("\"hit_files\""));
}

#[test]
fn bad_arguments_exit_2_and_help_exits_0() {
    let (code, _, stderr) = checklist(&[&"--hits", &"x"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--table is required"), "{stderr}");
    let (code, stdout, _) = checklist(&[&"--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("usage: duract-checklist"));
    let (code, _, stderr) = checklist(&[&"--table", &"/nonexistent/branches.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read it"), "{stderr}");
}
