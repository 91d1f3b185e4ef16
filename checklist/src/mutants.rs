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

use crate::format::{TableBranch, TableFile};
use crate::kills::{KillFile, Mutant, Outcome};
use crate::merge::{self, Refusal, HOSTS};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::thread::JoinHandle;
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
        let (key, inline) = crate::command::key_and_value(&arg);
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
            "--jobs" => o.jobs = over_zero(&value()?, "--jobs takes a number over 0")?,
            "--timeout" => {
                let error = "--timeout takes a number of seconds over 0";
                o.timeout = Duration::from_secs(over_zero(&value()?, error)?);
            }
            "--env" => o.env.push(env_pair(&value()?)?),
            "--only" => o.only.push(value()?),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    o.table = table.ok_or("--table is required")?;
    o.kills = kills.ok_or("--kills is required")?;
    check_inputs(&o)?;
    Ok(o)
}

/// `text` as a number over 0; `error` when it is not one.
fn over_zero<N: std::str::FromStr + PartialOrd + From<u8>>(
    text: &str,
    error: &str,
) -> Result<N, String> {
    (text.parse().ok())
        .filter(|n| *n > N::from(0))
        .ok_or_else(|| error.to_owned())
}

/// `--env`'s `KEY=VALUE`.
fn env_pair(text: &str) -> Result<(String, String), String> {
    let (k, v) = text.split_once('=').ok_or("--env takes KEY=VALUE")?;
    Ok((k.to_owned(), v.to_owned()))
}

/// Refuses options without hit files or without cargo test arguments.
fn check_inputs(o: &Options) -> Result<(), String> {
    if o.hits.is_empty() {
        return Err("--hits is required: the hit files say which tests hit each branch".into());
    }
    if o.cargo.is_empty() {
        return Err(
            "the cargo test arguments are required after `--` (with --features duract/mutants)"
                .into(),
        );
    }
    Ok(())
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
    for path in crate::command::hit_paths(&o.hits)? {
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
    let Ok(mut child) = test_command(job, binary, o).spawn() else {
        return Ran {
            passed: Vec::new(),
            failed: (job.tests.iter())
                .map(|t| format!("{t} (did not start)"))
                .collect(),
        };
    };
    // The output is read on a thread, so a chatty test cannot block on a full pipe.
    let reader = read_on_thread(child.stdout.take());
    let timed_out = wait_or_kill(&mut child, o.timeout);
    let text = reader.join().unwrap_or_default();
    ran_from_output(job, &text, timed_out)
}

/// The process of `job`: its binary on its tests exactly, in the package's directory, with
/// `--env`'s variables and its mutant on (no hit recording, no mutant inherited).
fn test_command(job: &Job, binary: &Binary, o: &Options) -> Command {
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
    command
}

/// Reads `stdout` to its end on a thread of its own.
fn read_on_thread(mut stdout: Option<ChildStdout>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    })
}

/// Waits for `child` to end, killing it once it has run over `timeout`: whether it was killed.
fn wait_or_kill(child: &mut Child, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break false,
        }
    }
}

/// Which of `job`'s tests passed, from the test binary's output `text`: those it reports
/// `ok`; the others failed (` (timeout)` when the process was killed).
fn ran_from_output(job: &Job, text: &str, timed_out: bool) -> Ran {
    let passed: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
        .collect();
    let mut ran = Ran::default();
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
    let table = read_table(&o.table)?;
    let tests = tests_per_branch(o, &table)?;
    let binaries = build(&o.cargo, stderr)?;
    let start = Instant::now();
    run_baseline(&tests, &binaries, o)?;
    let _ = writeln!(
        stderr,
        "mutants: baseline passed in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let branches = mutant_branches(&table, &tests, o);
    let jobs = mutant_jobs(&branches, &tests);
    let total = branches.len();
    let _ = writeln!(
        stderr,
        "mutants: {total} branches, {} test processes, {} at a time",
        jobs.len(),
        o.jobs
    );
    let mut progress = Progress::new(&jobs, total, start);
    run_all(jobs, &binaries, o, &mut |job, ran| {
        progress.record(job, ran, stderr);
    });
    let _ = writeln!(
        stderr,
        "mutants: {total} mutants in {:.1} s: {} killed, {} survived",
        start.elapsed().as_secs_f64(),
        total - progress.survived,
        progress.survived
    );
    let mut kills = KillFile::new(&table.table_hash);
    kills.mutants = progress.results;
    Ok(kills)
}

/// Reads the branch table (`--table`).
fn read_table(path: &Path) -> Result<TableFile, Refusal> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| merge::refuse(&name, format!("cannot read it ({e})")))?;
    merge::load_table(&name, &text)
}

/// Runs every test that hits a branch, once, without a mutant; refuses to go on if one fails
/// (it would kill every mutant).
fn run_baseline(
    tests: &BTreeMap<String, BTreeSet<String>>,
    binaries: &BTreeMap<String, Binary>,
    o: &Options,
) -> Result<(), Refusal> {
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
    run_all(baseline, binaries, o, &mut |job, ran| {
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
    Ok(())
}

/// The branches to break: not waived on the host mutants run on, among `--only` if given,
/// and hit by some native test.
fn mutant_branches<'t>(
    table: &'t TableFile,
    tests: &BTreeMap<String, BTreeSet<String>>,
    o: &Options,
) -> Vec<&'t TableBranch> {
    table
        .actors
        .iter()
        .flat_map(|a| &a.branches)
        .filter(|b| !b.waived_on(crate::kills::MUTANTS_HOST))
        .filter(|b| o.only.is_empty() || o.only.contains(&b.id))
        .filter(|b| tests.get(&b.id).is_some_and(|t| !t.is_empty()))
        .collect()
}

/// Per branch, one job per test binary: the tests of it that hit the branch, with its mutant.
fn mutant_jobs(branches: &[&TableBranch], tests: &BTreeMap<String, BTreeSet<String>>) -> Vec<Job> {
    let mut jobs = Vec::new();
    for branch in branches {
        for (binary, names) in by_binary(&tests[&branch.id]) {
            jobs.push(Job {
                mutant: Some(branch.id.clone()),
                binary,
                tests: names,
            });
        }
    }
    jobs
}

/// The mutants' outcomes as their test processes end, and the counts the progress lines show.
struct Progress {
    /// Per mutant, its test processes not ended yet.
    pending: BTreeMap<String, usize>,
    /// Per mutant, the tests that killed it and those that did not.
    results: BTreeMap<String, Mutant>,
    /// The mutants to run.
    total: usize,
    /// The mutants whose processes all ended.
    finished: usize,
    /// Those of them that survived.
    survived: usize,
    /// When the baseline began (the times shown are since then).
    start: Instant,
}

impl Progress {
    /// Nothing ended yet of `jobs`, which break `total` mutants.
    fn new(jobs: &[Job], total: usize, start: Instant) -> Progress {
        let mut pending: BTreeMap<String, usize> = BTreeMap::new();
        for job in jobs {
            *pending
                .entry(job.mutant.clone().unwrap_or_default())
                .or_default() += 1;
        }
        Progress {
            pending,
            results: BTreeMap::new(),
            total,
            finished: 0,
            survived: 0,
            start,
        }
    }

    /// Adds what one test process said; when it was its mutant's last, settles the mutant's
    /// outcome and prints a progress line.
    fn record(&mut self, job: &Job, ran: Ran, stderr: &mut dyn Write) {
        let id = job.mutant.clone().unwrap_or_default();
        let name = |t: &String| format!("{}: {t}", job.binary);
        let entry = self.results.entry(id.clone()).or_default();
        entry.killed_by.extend(ran.failed.iter().map(name));
        entry.survived.extend(ran.passed.iter().map(name));
        let left = self.pending.get_mut(&id).map(|n| {
            *n -= 1;
            *n
        });
        if left != Some(0) {
            return;
        }
        self.finished += 1;
        let verdict = match settle(entry) {
            Outcome::Killed => "killed",
            Outcome::Survived => {
                self.survived += 1;
                "SURVIVED"
            }
        };
        let _ = writeln!(
            stderr,
            "mutants: [{}/{}] {:.1} s, {} survived: {verdict} {id}",
            self.finished,
            self.total,
            self.start.elapsed().as_secs_f64(),
            self.survived
        );
    }
}

/// Sorts a mutant's tests and sets its outcome: killed if some test failed.
fn settle(mutant: &mut Mutant) -> Outcome {
    mutant.killed_by.sort();
    mutant.survived.sort();
    mutant.outcome = if mutant.killed_by.is_empty() {
        Outcome::Survived
    } else {
        Outcome::Killed
    };
    mutant.outcome
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
            return crate::command::PASSED;
        }
        Err(e) => {
            let _ = writeln!(stderr, "duract-checklist mutants: {e}\n{USAGE}");
            return crate::command::REFUSED;
        }
    };
    let written = mutants(&options, stderr).and_then(|kills| {
        crate::command::write(&options.kills, &kills.to_json())?;
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
            crate::command::PASSED
        }
        Err(refusal) => {
            let _ = writeln!(stderr, "duract-checklist mutants: refused {refusal}");
            crate::command::REFUSED
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
