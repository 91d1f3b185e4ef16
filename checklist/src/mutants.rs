//! `duract-checklist mutants`: the runner of the kill matrix ([`crate::kills`]).
//!
//! ```text
//! duract-checklist mutants --table checklist/branches.json --hits DIR [--hits ...]
//!                          --kills FILE [--jobs N] [--timeout SECONDS] [--env KEY=VALUE ...]
//!                          [--only BRANCH_ID ...] -- <cargo test arguments>
//! ```
//! 1. builds the test binaries once: `cargo test --no-run <cargo test arguments>`, which must
//!    turn on the feature `duract/mutants` (e.g. `-p my-crate --features duract/mutants`);
//! 2. reads which native tests hit each branch from the hit files (`--hits`, written by the same
//!    tests with the recorder), and runs those tests once without a mutant: a test that fails
//!    then would kill every mutant, so the runner refuses to go on;
//! 3. for each branch that is not waived and that native tests hit, runs exactly those tests
//!    (`<binary> --exact <test> ...`, no cargo) with `DURACT_MUTANT=<branch id>`, `--jobs` at
//!    a time (default: the cores), a process over `--timeout` seconds (default 120) killed and
//!    its unfinished tests counted as failed;
//! 4. writes the matrix (`--kills`): per branch the tests that failed (killed it) and those that
//!    passed (hit it without noticing). `--env` sets variables for the test processes (e.g. a
//!    fixed number of seeds, so that the matrix is the same from run to run).
//!
//! Exit status: 0 when the matrix is written (survivors are for the gate: the checklist
//! command's `--kills`), 2 when an input is refused, the build fails or a test fails without a
//! mutant.

use crate::format::TableFile;
use crate::kills::{KillFile, Mutant, Outcome};
use crate::merge::{self, Refusal, HOSTS};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The subcommand's usage.
pub const USAGE: &str = "usage: duract-checklist mutants --table BRANCHES.json --hits FILE_OR_DIR [--hits ...] --kills FILE
                                [--jobs N] [--timeout SECONDS] [--env KEY=VALUE ...] [--only BRANCH_ID ...]
                                -- <cargo test arguments, with --features duract/mutants>";

/// The variable a test process reads its mutant from (`duract::checklist::mutant`).
pub const MUTANT_VAR: &str = "DURACT_MUTANT";

/// The parsed arguments.
#[derive(Debug, Default)]
pub struct Options {
    /// `--table`.
    pub table: PathBuf,
    /// `--hits`.
    pub hits: Vec<PathBuf>,
    /// `--kills`: where the matrix goes.
    pub kills: PathBuf,
    /// `--jobs`: test processes at a time.
    pub jobs: usize,
    /// `--timeout`: per test process.
    pub timeout: Duration,
    /// `--env`: for the test processes.
    pub env: Vec<(String, String)>,
    /// `--only`: these branches only (all when empty).
    pub only: Vec<String>,
    /// After `--`: for `cargo test --no-run`.
    pub cargo: Vec<String>,
}

/// Parses the subcommand's arguments. `Err("")` asks for the usage.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeout: Duration::from_secs(120),
        ..Options::default()
    };
    let (mut table, mut kills) = (None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            o.cargo = args.by_ref().collect();
            break;
        }
        if arg == "-h" || arg == "--help" {
            return Err(String::new());
        }
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{key} needs a value"))
        };
        match key.as_str() {
            "--table" => table = Some(value()?.into()),
            "--hits" => o.hits.push(value()?.into()),
            "--kills" => kills = Some(value()?.into()),
            "--jobs" => {
                o.jobs = value()?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--jobs takes a number over 0")?;
            }
            "--timeout" => {
                let seconds: u64 = value()?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--timeout takes a number of seconds over 0")?;
                o.timeout = Duration::from_secs(seconds);
            }
            "--env" => {
                let pair = value()?;
                let (k, v) = pair.split_once('=').ok_or("--env takes KEY=VALUE")?;
                o.env.push((k.to_owned(), v.to_owned()));
            }
            "--only" => o.only.push(value()?),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    o.table = table.ok_or("--table is required")?;
    o.kills = kills.ok_or("--kills is required")?;
    if o.hits.is_empty() {
        return Err("--hits is required: the hit files say which tests hit each branch".into());
    }
    if o.cargo.is_empty() {
        return Err(
            "the cargo test arguments are required after `--` (with --features duract/mutants)"
                .into(),
        );
    }
    Ok(o)
}

/// A test binary cargo built: where it is and where cargo would run it.
#[derive(Debug, Clone)]
pub struct Binary {
    /// The executable.
    pub path: PathBuf,
    /// Its package's directory (cargo runs tests there).
    pub dir: PathBuf,
}

/// The executable's name without cargo's `-<16 hex digits>`: what hit files name tests by.
pub fn binary_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    }
}

/// Builds the test binaries (`cargo test --no-run --message-format=json <args>`): by name.
fn build(
    cargo_args: &[String],
    stderr: &mut dyn Write,
) -> Result<BTreeMap<String, Binary>, Refusal> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let _ = writeln!(
        stderr,
        "mutants: cargo test --no-run {}",
        cargo_args.join(" ")
    );
    let output = Command::new(&cargo)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(cargo_args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| merge::refuse("cargo", format!("cannot run it ({e})")))?;
    if !output.status.success() {
        return Err(merge::refuse("cargo test --no-run", "the build failed"));
    }
    let mut binaries = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(exe), Some(manifest)) = (
            message["executable"].as_str(),
            message["manifest_path"].as_str(),
        ) else {
            continue;
        };
        if message["profile"]["test"] != true {
            continue;
        }
        let path = PathBuf::from(exe);
        let dir = Path::new(manifest)
            .parent()
            .unwrap_or(Path::new("."))
            .to_owned();
        binaries.insert(binary_name(&path), Binary { path, dir });
    }
    Ok(binaries)
}

/// Per branch id, the native tests that hit it (`<binary>: <test path>`).
fn tests_per_branch(
    o: &Options,
    table: &TableFile,
) -> Result<BTreeMap<String, BTreeSet<String>>, Refusal> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in crate::cli::hit_paths(&o.hits)? {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| merge::refuse(&name, format!("cannot read it ({e})")))?;
        let file = merge::load_hits(&name, &text, table)?;
        if file.host != HOSTS[0] {
            continue;
        }
        for (id, hits) in file.hits {
            out.entry(id).or_default().extend(hits.tests);
        }
    }
    Ok(out)
}

/// One test process: a branch's mutant (none for the baseline) on some tests of one binary.
struct Job {
    mutant: Option<String>,
    binary: String,
    tests: Vec<String>,
}

/// What one test process said: the tests that passed and those that did not.
#[derive(Debug, Default)]
struct Ran {
    passed: Vec<String>,
    failed: Vec<String>,
}

/// Runs `job`: the named tests exactly, with its mutant on.
fn run_job(job: &Job, binary: &Binary, o: &Options) -> Ran {
    let mut command = Command::new(&binary.path);
    command
        .args(["--exact", "--color", "never"])
        .args(&job.tests)
        .current_dir(&binary.dir)
        .env_remove("DURACT_HITS_DIR")
        .env_remove(MUTANT_VAR)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in &o.env {
        command.env(k, v);
    }
    if let Some(mutant) = &job.mutant {
        command.env(MUTANT_VAR, mutant);
    }
    let mut ran = Ran::default();
    let Ok(mut child) = command.spawn() else {
        ran.failed = job
            .tests
            .iter()
            .map(|t| format!("{t} (did not start)"))
            .collect();
        return ran;
    };
    // The output is read on a thread, so a chatty test cannot block on a full pipe.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let start = Instant::now();
    let timed_out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if start.elapsed() > o.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break false,
        }
    };
    let text = reader.join().unwrap_or_default();
    let passed: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
        .collect();
    for test in &job.tests {
        if passed.contains(test.as_str()) {
            ran.passed.push(test.clone());
        } else if timed_out {
            ran.failed.push(format!("{test} (timeout)"));
        } else {
            ran.failed.push(test.clone());
        }
    }
    ran
}

/// Runs `jobs` on `o.jobs` threads, calling `done` on this thread as each ends (in the
/// order they end).
fn run_all(
    jobs: Vec<Job>,
    binaries: &BTreeMap<String, Binary>,
    o: &Options,
    done: &mut dyn FnMut(&Job, Ran),
) {
    let queue = Mutex::new(jobs.into_iter());
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..o.jobs {
            let send = send.clone();
            let queue = &queue;
            scope.spawn(move || loop {
                let next = queue.lock().map(|mut q| q.next());
                let Ok(Some(job)) = next else { break };
                let ran = match binaries.get(&job.binary) {
                    Some(binary) => run_job(&job, binary, o),
                    None => Ran {
                        passed: Vec::new(),
                        failed: (job.tests.iter())
                            .map(|t| format!("{t} (no binary)"))
                            .collect(),
                    },
                };
                if send.send((job, ran)).is_err() {
                    break;
                }
            });
        }
        drop(send);
        for (job, ran) in receive {
            done(&job, ran);
        }
    });
}

/// Splits `tests` (`<binary>: <path>`) by binary.
fn by_binary<'a>(tests: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for test in tests {
        if let Some((binary, path)) = test.split_once(": ") {
            out.entry(binary.to_owned())
                .or_default()
                .push(path.to_owned());
        }
    }
    out
}

/// The whole subcommand; `Err` is a refusal.
pub fn mutants(o: &Options, stderr: &mut dyn Write) -> Result<KillFile, Refusal> {
    let table_name = o.table.display().to_string();
    let text = std::fs::read_to_string(&o.table)
        .map_err(|e| merge::refuse(&table_name, format!("cannot read it ({e})")))?;
    let table = merge::load_table(&table_name, &text)?;
    let tests = tests_per_branch(o, &table)?;
    let binaries = build(&o.cargo, stderr)?;
    let start = Instant::now();

    // The baseline: every test that hits a branch, once, without a mutant.
    let all: BTreeSet<&String> = tests.values().flatten().collect();
    let baseline: Vec<Job> = by_binary(all)
        .into_iter()
        .map(|(binary, tests)| Job {
            mutant: None,
            binary,
            tests,
        })
        .collect();
    let mut failing = Vec::new();
    run_all(baseline, &binaries, o, &mut |job, ran| {
        failing.extend(ran.failed.iter().map(|t| format!("{}: {t}", job.binary)));
    });
    if !failing.is_empty() {
        return Err(merge::refuse(
            "the tests",
            format!(
                "these fail without a mutant, so they would kill every one: {}",
                failing.join(", ")
            ),
        ));
    }
    let _ = writeln!(
        stderr,
        "mutants: baseline passed in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let branches: Vec<_> = table
        .actors
        .iter()
        .flat_map(|a| &a.branches)
        .filter(|b| !b.waived_on(crate::kills::MUTANTS_HOST))
        .filter(|b| o.only.is_empty() || o.only.contains(&b.id))
        .filter(|b| tests.get(&b.id).is_some_and(|t| !t.is_empty()))
        .collect();
    let mut jobs = Vec::new();
    for branch in &branches {
        for (binary, names) in by_binary(&tests[&branch.id]) {
            jobs.push(Job {
                mutant: Some(branch.id.clone()),
                binary,
                tests: names,
            });
        }
    }
    let mut pending: BTreeMap<String, usize> = BTreeMap::new();
    for job in &jobs {
        *pending
            .entry(job.mutant.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let mut kills = KillFile::new(&table.table_hash);
    let (total, mut finished, mut survived) = (branches.len(), 0, 0);
    let _ = writeln!(
        stderr,
        "mutants: {total} branches, {} test processes, {} at a time",
        jobs.len(),
        o.jobs
    );
    let mut results: BTreeMap<String, Mutant> = BTreeMap::new();
    run_all(jobs, &binaries, o, &mut |job, ran| {
        let id = job.mutant.clone().unwrap_or_default();
        let name = |t: &String| format!("{}: {t}", job.binary);
        let entry = results.entry(id.clone()).or_default();
        entry.killed_by.extend(ran.failed.iter().map(name));
        entry.survived.extend(ran.passed.iter().map(name));
        let left = pending.get_mut(&id).map(|n| {
            *n -= 1;
            *n
        });
        if left == Some(0) {
            finished += 1;
            entry.killed_by.sort();
            entry.survived.sort();
            entry.outcome = if entry.killed_by.is_empty() {
                survived += 1;
                Outcome::Survived
            } else {
                Outcome::Killed
            };
            let verdict = match entry.outcome {
                Outcome::Killed => "killed",
                Outcome::Survived => "SURVIVED",
            };
            let _ = writeln!(
                stderr,
                "mutants: [{finished}/{total}] {:.1} s, {survived} survived: {verdict} {id}",
                start.elapsed().as_secs_f64()
            );
        }
    });
    kills.mutants = results;
    let _ = writeln!(
        stderr,
        "mutants: {total} mutants in {:.1} s: {} killed, {survived} survived",
        start.elapsed().as_secs_f64(),
        total - survived
    );
    Ok(kills)
}

/// The subcommand: `args` after `mutants`. Returns the exit status.
pub fn run(
    args: impl IntoIterator<Item = String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            let _ = writeln!(stdout, "{USAGE}");
            return crate::cli::PASSED;
        }
        Err(e) => {
            let _ = writeln!(stderr, "duract-checklist mutants: {e}\n{USAGE}");
            return crate::cli::REFUSED;
        }
    };
    let written = mutants(&options, stderr).and_then(|kills| {
        crate::cli::write(&options.kills, &kills.to_json())?;
        Ok(kills)
    });
    match written {
        Ok(kills) => {
            let _ = writeln!(
                stdout,
                "duract-checklist mutants: {} mutants; matrix in {}",
                kills.mutants.len(),
                options.kills.display()
            );
            crate::cli::PASSED
        }
        Err(refusal) => {
            let _ = writeln!(stderr, "duract-checklist mutants: refused {refusal}");
            crate::cli::REFUSED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_split_by_binary_and_hashes_are_stripped() {
        let tests = [
            "native: a::b".to_owned(),
            "native: c".to_owned(),
            "lib: d".to_owned(),
        ];
        let split = by_binary(&tests);
        assert_eq!(split["native"], ["a::b", "c"]);
        assert_eq!(split["lib"], ["d"]);
        assert_eq!(
            binary_name(Path::new("/t/deps/native-0123456789abcdef")),
            "native"
        );
        assert_eq!(binary_name(Path::new("/t/deps/my-tests")), "my-tests");
    }

    #[test]
    fn arguments_parse_and_missing_ones_are_errors() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let o = parse_args(args(
            "--table t.json --hits h --kills k.json --jobs 3 --timeout 9 --env A=1 --only x/y -- -p c --features duract/mutants",
        ))
        .unwrap();
        assert_eq!((o.jobs, o.timeout.as_secs()), (3, 9));
        assert_eq!(o.env, [("A".to_owned(), "1".to_owned())]);
        assert_eq!(o.only, ["x/y"]);
        assert_eq!(o.cargo, args("-p c --features duract/mutants"));
        assert!(parse_args(args("--table t --hits h --kills k")).is_err());
        assert!(parse_args(args("--table t --kills k -- -p c")).is_err());
        assert!(parse_args(args("--table t --hits h --kills k --jobs 0 -- x")).is_err());
    }
}
