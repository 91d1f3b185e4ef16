//! The recorder and the checklist command end to end: hits recorded by named threads (as
//! libtest runs tests), written as a hit file, merged by the command (`duract_checklist::cli`,
//! run in process: the binary is the `duract-checklist` crate's, tested there on hand-made
//! files) against a table written by `table_json`; the gate's exit status; a stale file
//! refused; the hit file written by the exit hook of a real test process.
#![cfg(feature = "checklist")]

use duract::checklist::{self, HitFile};
use duract::{ActorInfo, Branch, BranchKind};
use std::path::{Path, PathBuf};
use std::process::Command;

const fn branch(
    id: &'static str,
    kind: BranchKind,
    line: u32,
    waiver: Option<&'static str>,
) -> Branch {
    Branch {
        id,
        kind,
        label: id,
        file: "tests/checklist_recorder.rs",
        line,
        waiver,
        waiver_host: None,
    }
}

static SHOP: ActorInfo = ActorInfo {
    kind: "cli_shop",
    class: "CliShopActor",
    binding: "CLI_SHOP_ACTOR",
    routes: &[],
    branches: &[
        branch("cli_shop/buy", BranchKind::Route, 10, None),
        branch("cli_shop/buy/if:in_stock", BranchKind::IfThen, 11, None),
        branch("cli_shop/buy/else:in_stock", BranchKind::IfElse, 11, None),
        branch(
            "cli_shop/!unknown_type",
            BranchKind::UnknownType,
            9,
            Some("no client sends other types"),
        ),
    ],
    gateway: None,
};

/// The same actor in a later build: the `else` was removed.
static SHOP_LATER: ActorInfo = ActorInfo {
    branches: &[
        branch("cli_shop/buy", BranchKind::Route, 10, None),
        branch("cli_shop/buy/if:in_stock", BranchKind::IfThen, 11, None),
        branch(
            "cli_shop/!unknown_type",
            BranchKind::UnknownType,
            9,
            Some("no client sends other types"),
        ),
    ],
    ..SHOP
};

/// An actor of the tests only: registered and hit by this process, not in the crate's table.
static PROBE: ActorInfo = ActorInfo {
    kind: "cli_probe",
    class: "CliProbeActor",
    binding: "CLI_PROBE_ACTOR",
    routes: &[],
    branches: &[branch("cli_probe/ping", BranchKind::Route, 20, None)],
    gateway: None,
};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("checklist_recorder")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a run of the command gives.
struct Run {
    code: u8,
    stderr: String,
}

/// Runs the checklist command on `args`.
fn checklist(args: &[&Path]) -> Run {
    let args = args.iter().map(|a| a.display().to_string());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = duract_checklist::cli::run(args, &mut stdout, &mut stderr);
    Run {
        code,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `f` on a thread named `name`, as libtest runs a test.
fn as_test(name: &str, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// A hit file as another host would have written it, from this process's `cli_shop` hits.
fn as_host(file: &HitFile, host: &str) -> String {
    let mut file = file.clone();
    file.host = host.to_owned();
    file.hits.retain(|id, _| id.starts_with("cli_shop/"));
    file.tables.retain(|kind, _| kind == "cli_shop");
    serde_json::to_string(&file).unwrap()
}

#[test]
fn recorded_hits_merge_attribute_and_gate() {
    let dir = scratch("gate");
    let table = dir.join("branches.json");
    std::fs::write(&table, checklist::table_json(&[&SHOP])).unwrap();
    checklist::register(&SHOP);
    checklist::register(&PROBE);
    as_test("probes", || checklist::hit("cli_probe/ping"));
    as_test("buys_in_stock", || {
        checklist::hit("cli_shop/buy");
        checklist::hit("cli_shop/buy/if:in_stock");
    });
    as_test("buys_twice", || {
        checklist::hit("cli_shop/buy");
        checklist::hit_in("cli_shop", "buy");
    });
    let native = checklist::write_hits_to(&dir.join("native"))
        .unwrap()
        .unwrap();
    let file: HitFile = serde_json::from_str(&std::fs::read_to_string(&native).unwrap()).unwrap();
    assert_eq!(file.host, "native");
    let buy = &file.hits["cli_shop/buy"];
    assert!(buy.count >= 3);
    assert!(
        buy.tests
            .contains(&"checklist_recorder: buys_twice".to_owned()),
        "{:?}",
        buy.tests
    );
    assert!(buy
        .tests
        .contains(&"checklist_recorder: buys_in_stock".to_owned()));

    // The workerd side: the same hits, as an instance export would give them.
    std::fs::create_dir_all(dir.join("workerd")).unwrap();
    std::fs::write(dir.join("workerd/i1.json"), as_host(&file, "workerd")).unwrap();

    // The `else` was hit nowhere: the gate fails and names it; the checklist is written. The
    // test-only actor's hits are left out with a note (its table is not the crate's).
    let (out, detail) = (dir.join("out"), dir.join("detail"));
    let run = checklist(&[
        Path::new("--table"),
        &table,
        Path::new("--hits"),
        &dir.join("native"),
        Path::new("--hits"),
        &dir.join("workerd"),
        Path::new("--out"),
        &out,
        Path::new("--detail-out"),
        &detail,
    ]);
    let stderr = &run.stderr;
    assert_eq!(run.code, 1, "{stderr}");
    assert!(
        stderr.contains("not hit on native, workerd: cli_shop/buy/else:in_stock"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: actor `cli_probe` (1 hit(s) on native) is not in the branch table"),
        "{stderr}"
    );
    let md = std::fs::read_to_string(detail.join("checklist.md")).unwrap();
    assert!(md.contains("checklist_recorder: buys_in_stock"), "{md}");
    let md = std::fs::read_to_string(out.join("checklist.md")).unwrap();
    assert!(!md.contains("checklist_recorder: buys_in_stock"), "{md}");
    assert!(
        md.contains("| waived: no client sends other types | `cli_shop/!unknown_type`"),
        "{md}"
    );
    let lcov = std::fs::read_to_string(out.join("lcov.info")).unwrap();
    assert!(
        lcov.contains("SF:tests/checklist_recorder.rs\nBRDA:9,0,0,-\nBRDA:10,1,0,"),
        "{lcov}"
    );

    // A test reaches the `else`: the gate passes (the waived branch stays unhit).
    as_test("buys_out_of_stock", || {
        checklist::hit("cli_shop/buy/else:in_stock")
    });
    let native = checklist::write_hits_to(&dir.join("native"))
        .unwrap()
        .unwrap();
    let file: HitFile = serde_json::from_str(&std::fs::read_to_string(native).unwrap()).unwrap();
    std::fs::write(dir.join("workerd/i1.json"), as_host(&file, "workerd")).unwrap();
    let json = dir.join("checklist.json");
    let run = checklist(&[
        Path::new("--table"),
        &table,
        Path::new("--hits"),
        &dir.join("native"),
        Path::new("--hits"),
        &dir.join("workerd"),
        Path::new("--json"),
        &json,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["total"]["waived"], 1);

    // Without the workerd files, workerd is still required by default.
    let run = checklist(&[
        Path::new("--table"),
        &table,
        Path::new("--hits"),
        &dir.join("native"),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no hit file from workerd"));
    let run = checklist(&[
        Path::new("--table"),
        &table,
        Path::new("--hits"),
        &dir.join("native"),
        Path::new("--require"),
        Path::new("native"),
    ]);
    assert_eq!(run.code, 0);

    // Against a later build's table, the same hit files are stale: refused, nothing written.
    let later = dir.join("later.json");
    std::fs::write(&later, checklist::table_json(&[&SHOP_LATER])).unwrap();
    let out = dir.join("later-out");
    let run = checklist(&[
        Path::new("--table"),
        &later,
        Path::new("--hits"),
        &dir.join("native"),
        Path::new("--out"),
        &out,
    ]);
    let stderr = &run.stderr;
    assert_eq!(run.code, 2, "{stderr}");
    assert!(
        stderr.contains("stale hit file: the branch table of actor `cli_shop` differs"),
        "{stderr}"
    );
    assert!(!out.exists());
    // --skip-stale leaves them out with a warning instead: nothing merged, the gate fails.
    let run = checklist(&[
        Path::new("--table"),
        &later,
        Path::new("--hits"),
        &dir.join("native"),
        Path::new("--require"),
        Path::new("native"),
        Path::new("--skip-stale"),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("warning: skipped"));
}

/// Run by `the_exit_hook_writes_the_hit_file` in a child process; harmless on its own.
#[test]
fn child_records_a_hit() {
    checklist::register(&SHOP);
    checklist::hit("cli_shop/buy");
}

#[test]
fn the_exit_hook_writes_the_hit_file() {
    let dir = scratch("exit");
    let run = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_records_a_hit", "--quiet"])
        .env(checklist::HITS_DIR_VAR, &dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file: HitFile = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(file.hits["cli_shop/buy"].count, 1);
    assert_eq!(
        file.hits["cli_shop/buy"].tests,
        ["checklist_recorder: child_records_a_hit"]
    );
    assert_eq!(
        file.tables["cli_shop"],
        checklist::table_fingerprint(SHOP.branches)
    );
}
