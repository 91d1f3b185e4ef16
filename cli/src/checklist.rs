//! `duract checklist [<dir>] [--e2e COMMAND] [--var KEY=VALUE]... [--require HOSTS]
//! [--hits DIR]... [--table FILE] [--out DIR] [--detail-out DIR] [--skip-stale] [--mutants]`:
//! the crate's branch checklist and its gate.
//!
//! 1. the branch table, `checklist/branches.json`, rewritten from the code: from the crate's
//!    list of actors (`tests/actors.rs`, see [`actors`](crate::actors)), else by the test that
//!    mentions `DURACT_WRITE_TABLE` (the README's `tests/checklist_table.rs`), run with it set;
//! 2. the crate's tests with the hit recorder (`--features duract/checklist`), each test binary
//!    writing its hit file into `<target>/duract-hits/<package>/native`;
//! 3. with `--mutants`, the tests are built with `duract/mutants` instead (which implies the
//!    recorder) and `duract-checklist mutants` (in-process) runs each branch's mutant on the
//!    tests that hit it, into `<target>/duract-mutants/<package>/kills.json`; the gate then also
//!    fails on a surviving mutant of a branch without a waiver;
//! 4. the gate of `duract-checklist` (in-process): the hits merged over the table, the checklist
//!    written stable to `checklist/` (`checklist.md`, `checklist.json`, `lcov.info`) and in full
//!    to `<target>/duract-checklist/<package>/`, exit 1 when a branch has no hit on a required
//!    host (default: native) and no waiver.
//!
//! `--e2e COMMAND` collects workerd's hits too: after the native tests, the crate is built with
//! the recorder (`duract build --checklist`), served with fresh storage (`--var`s applied), the
//! shell command run in the crate's folder with the URL in `DURACT_URL` (as `duract dev --run`),
//! and the hits workerd recorded fetched (`GET /__duract/hits`) into
//! `<target>/duract-hits/<package>/workerd` before it stops; the gate then requires both hosts
//! unless `--require` says otherwise. `--hits` adds hit files recorded elsewhere. Exit status:
//! the gate's (0, 1, 2 for a refused input), 3 when the tests or the e2e command fail.

use crate::actors;
use crate::args::Args;
use crate::project::{show, Project};
use crate::{build, dev, say, Failure, Result};
use std::path::{Path, PathBuf};

/// The cargo feature that turns the recorder on.
const FEATURE: &str = "duract/checklist";
/// The cargo feature that turns the recorder and the mutants on (`--mutants`).
const MUTANTS: &str = "duract/mutants";

pub fn run(args: Vec<String>) -> Result<u8> {
    let args = Args::parse(
        "checklist",
        args,
        &["skip-stale", "mutants"],
        &[
            "require",
            "hits",
            "table",
            "out",
            "detail-out",
            "e2e",
            "var",
        ],
        1,
    )?;
    let project = Project::open(&args.dir())?;
    let paths = Paths::new(&args, &project);

    let mutants = args.flag("mutants");
    let feature = if mutants { MUTANTS } else { FEATURE };
    write_table(&project, &paths.table, feature)?;
    let hits = run_recorded_tests(&project, feature)?;
    let kills = mutants
        .then(|| run_mutants(&project, &paths.table, &hits))
        .transpose()?;

    let gate = gate_args(&args, &project, &paths, kills.as_deref(), &hits)?;
    let code = duract_checklist::cli::run(
        gate,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    say_verdict(code, &paths);
    Ok(code)
}

/// Where the checklist reads its table and writes its stable and detailed outputs.
struct Paths {
    /// The branch table (`--table`, default `checklist/branches.json`).
    table: PathBuf,
    /// The stable checklist's folder (`--out`, default `checklist/`).
    out: PathBuf,
    /// The full checklist's folder (`--detail-out`, default under the target folder).
    detail: PathBuf,
}

impl Paths {
    /// The options given, else the defaults for `project`.
    fn new(args: &Args, project: &Project) -> Paths {
        let path =
            |option: &str, default: PathBuf| args.option(option).map_or(default, PathBuf::from);
        Paths {
            table: path("table", project.dir.join("checklist").join("branches.json")),
            out: path("out", project.dir.join("checklist")),
            detail: path(
                "detail-out",
                project
                    .target_dir
                    .join("duract-checklist")
                    .join(&project.name),
            ),
        }
    }
}

/// Runs the crate's tests with `feature` (the recorder, or the mutants): the folder of their
/// native hit files. Failing tests end the run with status 3.
fn run_recorded_tests(project: &Project, feature: &str) -> Result<PathBuf> {
    let hits = fresh_hits_dir(project, "native")?;
    say(
        "checklist",
        format!("the tests with the hit recorder -> {}", show(&hits)),
    );
    let status = project
        .cargo("test")
        .args(["--features", feature])
        .env("DURACT_HITS_DIR", &hits)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(Failure {
            message: "the tests failed: no checklist".to_owned(),
            code: 3,
        });
    }
    Ok(hits)
}

/// The gate's command line; with `--e2e`, runs the e2e command first for workerd's hits.
fn gate_args(
    args: &Args,
    project: &Project,
    paths: &Paths,
    kills: Option<&Path>,
    hits: &Path,
) -> Result<Vec<String>> {
    let mut gate: Vec<String> = vec!["--table".into(), paths.table.display().to_string()];
    if let Some(kills) = kills {
        gate.extend(["--kills".into(), kills.display().to_string()]);
    }
    gate.extend(["--hits".into(), hits.display().to_string()]);
    let e2e = args.option("e2e");
    if let Some(command) = e2e {
        let workerd = workerd_hits(project, command, args.options("var"))?;
        gate.extend(["--hits".into(), workerd.display().to_string()]);
    }
    for extra in args.options("hits") {
        gate.extend(["--hits".into(), extra.clone()]);
    }
    gate.extend([
        "--require".into(),
        args.option("require")
            .unwrap_or(if e2e.is_some() {
                "native,workerd"
            } else {
                "native"
            })
            .to_owned(),
        "--out".into(),
        paths.out.display().to_string(),
        "--detail-out".into(),
        paths.detail.display().to_string(),
    ]);
    if args.flag("skip-stale") {
        gate.push("--skip-stale".into());
    }
    Ok(gate)
}

/// Says what the gate's status `code` means and where the checklist is.
fn say_verdict(code: u8, paths: &Paths) {
    let checklist = show(&paths.out.join("checklist.md"));
    match code {
        duract_checklist::cli::PASSED => say(
            "checklist",
            format!(
                "gate passed: every branch hit or waived ({checklist}; counts and tests: {})",
                show(&paths.detail.join("checklist.md"))
            ),
        ),
        duract_checklist::cli::FAILED => say(
            "checklist",
            format!(
                "gate failed: branches without a hit or a waiver, or surviving mutants (listed above; {checklist})"
            ),
        ),
        _ => say(
            "checklist",
            format!("the gate refused its input (status {code})"),
        ),
    }
}

/// The empty folder for `host`'s hit files (an earlier run's would be merged).
fn fresh_hits_dir(project: &Project, host: &str) -> Result<PathBuf> {
    let dir = (project.target_dir.join("duract-hits"))
        .join(&project.name)
        .join(host);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Builds the crate with the recorder, serves it, runs the e2e `command` against it and
/// collects workerd's hits: the folder of the hit file.
fn workerd_hits(project: &Project, command: &str, vars: &[String]) -> Result<PathBuf> {
    let dir = fresh_hits_dir(project, "workerd")?;
    let out = build::build(project, true)?;
    let persist = dev::Scratch::new(None);
    let serve = dev::Serve {
        persist: persist.path.clone(),
        port: "0",
        host: "127.0.0.1",
        vars,
        stop_on_stdin_end: true,
        hits: Some((dir.join("e2e.json"), format!("e2e: {command}"))),
    };
    say(
        "checklist",
        format!("the e2e command in workerd -> {}", show(&dir)),
    );
    let code = dev::run_against(dev::launcher(project, &out, &serve)?, command, &project.dir)?;
    if code != 0 {
        return Err(Failure {
            message: format!("the e2e command failed (status {code}): no checklist"),
            code: 3,
        });
    }
    Ok(dir)
}

/// Runs `duract-checklist mutants` on the tests that wrote `hits`: the kill matrix's path.
fn run_mutants(project: &Project, table: &Path, hits: &Path) -> Result<PathBuf> {
    let kills = (project.target_dir.join("duract-mutants"))
        .join(&project.name)
        .join("kills.json");
    say(
        "checklist",
        format!(
            "each branch's mutant on the tests that hit it -> {}",
            show(&kills)
        ),
    );
    let args: Vec<String> = vec![
        "--table".into(),
        table.display().to_string(),
        "--hits".into(),
        hits.display().to_string(),
        "--kills".into(),
        kills.display().to_string(),
        "--".into(),
        "--manifest-path".into(),
        project.manifest.display().to_string(),
        "--features".into(),
        MUTANTS.into(),
    ];
    let code = duract_checklist::mutants::run(
        args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    if code != duract_checklist::cli::PASSED {
        return Err(Failure {
            message: "the mutants did not run (listed above): no checklist".to_owned(),
            code: 3,
        });
    }
    Ok(kills)
}

/// Rewrites the branch table from the code, building the tests with `feature`.
fn write_table(project: &Project, table: &Path, feature: &str) -> Result<()> {
    if actors::listing_test(project).is_some() {
        let listed = actors::learn_with(project, "checklist", &["--features", feature])?;
        let Some(text) = listed.table else {
            return Err(Failure::new(format!(
                "the crate's test `{}` wrote no branch table (`\"table\": duract::checklist::table_json(ACTORS)`, see `duract new`'s tests/actors.rs)",
                actors::TEST
            )));
        };
        if std::fs::read_to_string(table).ok().as_deref() == Some(text.as_str()) {
            say("checklist", format!("{} is current", show(table)));
        } else {
            if let Some(parent) = table.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(table, text).map_err(|e| format!("{}: {e}", table.display()))?;
            say(
                "checklist",
                format!("wrote the branch table {}", show(table)),
            );
        }
        return Ok(());
    }
    if let Some((test, source)) = project.test_with("DURACT_WRITE_TABLE") {
        say(
            "checklist",
            format!(
                "the branch table: {} with DURACT_WRITE_TABLE=1",
                show(&source)
            ),
        );
        let status = project
            .cargo("test")
            .args(["--quiet", "--features", feature, "--test", &test])
            .env("DURACT_WRITE_TABLE", "1")
            .env_remove("DURACT_HITS_DIR")
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(Failure::new(format!(
                "writing the branch table failed ({status})"
            )));
        }
        if !table.is_file() {
            return Err(Failure::new(format!(
                "{} did not write {}",
                show(&source),
                show(table)
            )));
        }
        return Ok(());
    }
    Err(Failure::new(actors::missing_list_help(project)))
}
