//! The `duract-checklist` command: its arguments, and the run from the files read to the files
//! written and the exit status. [`run`] is the whole command; the binary only calls it.

use crate::command::{hit_paths, key_and_value, read, write};
pub use crate::command::{FAILED, PASSED, REFUSED};
use crate::format::TableFile;
use crate::kills::{KillFile, Verdict};
use crate::merge::{self, Checklist, Refusal, Status, HOSTS};
use crate::render::{self, Detail};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The command's usage.
pub const USAGE: &str =
    "usage: duract-checklist --table BRANCHES.json --hits FILE_OR_DIR [--hits ...]
                        [--require native,workerd|native|workerd|none]
                        [--out DIR] [--detail-out DIR] [--markdown FILE] [--json FILE] [--lcov FILE]
                        [--skip-stale] [--kills KILLS.json]
       duract-checklist mutants --help";

/// What a checklist file is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `checklist.md`.
    Markdown,
    /// `checklist.json`.
    Json,
    /// `lcov.info`.
    Lcov,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Where.
    pub path: PathBuf,
    /// As what.
    pub format: Format,
    /// Stable or in full.
    pub detail: Detail,
}

/// The parsed arguments.
#[derive(Debug, Default)]
pub struct Options {
    /// `--table`.
    pub table: PathBuf,
    /// `--hits`, in order.
    pub hits: Vec<PathBuf>,
    /// `--require`; both hosts when not given.
    pub required: Option<Vec<&'static str>>,
    /// The files to write.
    pub outputs: Vec<Output>,
    /// `--skip-stale`.
    pub skip_stale: bool,
    /// `--kills`: the kill matrix `duract-checklist mutants` wrote.
    pub kills: Option<PathBuf>,
}

fn parse_required(text: &str) -> Result<Vec<&'static str>, String> {
    if text == "none" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let host = HOSTS
            .iter()
            .find(|h| **h == part)
            .ok_or_else(|| format!("--require: unknown host `{part}` (native, workerd or none)"))?;
        if !out.contains(host) {
            out.push(*host);
        }
    }
    Ok(out)
}

fn dir_outputs(dir: &Path, detail: Detail) -> [Output; 3] {
    let file = |name: &str, format| Output {
        path: dir.join(name),
        format,
        detail,
    };
    [
        file("checklist.md", Format::Markdown),
        file("checklist.json", Format::Json),
        file("lcov.info", Format::Lcov),
    ]
}

/// Parses the arguments (without the program's name). `Err("")` asks for the usage.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut table = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (key, inline) = key_and_value(&arg);
        if key == "--skip-stale" {
            o.skip_stale = true;
            continue;
        }
        if key == "-h" || key == "--help" {
            return Err(String::new());
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{key} needs a value"))
        };
        let mut file = |format| -> Result<(), String> {
            o.outputs.push(Output {
                path: value()?.into(),
                format,
                detail: Detail::Stable,
            });
            Ok(())
        };
        match key.as_str() {
            "--markdown" => file(Format::Markdown)?,
            "--json" => file(Format::Json)?,
            "--lcov" => file(Format::Lcov)?,
            "--table" => table = Some(value()?.into()),
            "--hits" => o.hits.push(value()?.into()),
            "--kills" => o.kills = Some(value()?.into()),
            "--require" => o.required = Some(parse_required(&value()?)?),
            "--out" => o
                .outputs
                .extend(dir_outputs(Path::new(&value()?), Detail::Stable)),
            "--detail-out" => o
                .outputs
                .extend(dir_outputs(Path::new(&value()?), Detail::Full)),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    o.table = table.ok_or("--table is required")?;
    Ok(o)
}

/// Reads the table and the hit files, merges them and writes the outputs; `Err` is a refused
/// input (nothing written).
pub fn checklist(o: &Options, stderr: &mut dyn Write) -> Result<Checklist, Refusal> {
    let table: TableFile = merge::load_table(&o.table.display().to_string(), &read(&o.table)?)?;
    let mut hits = Vec::new();
    for path in hit_paths(&o.hits)? {
        let name = path.display().to_string();
        match merge::load_hits(&name, &read(&path)?, &table) {
            Ok(file) => hits.push((name, file)),
            Err(refusal) if o.skip_stale && refusal.stale => {
                let _ = writeln!(stderr, "duract-checklist: warning: skipped {refusal}");
            }
            Err(refusal) => return Err(refusal),
        }
    }
    let required = o.required.clone().unwrap_or_else(|| HOSTS.to_vec());
    for host in &required {
        if !hits.iter().any(|(_, f)| f.host == *host) {
            let _ = writeln!(
                stderr,
                "duract-checklist: warning: no hit file from {host}, which is required (--require)"
            );
        }
    }
    let mut checklist = Checklist::merge(&table, &hits, &required);
    if let Some(path) = &o.kills {
        let name = path.display().to_string();
        checklist.kills = Some(KillFile::load(&name, &read(path)?, &table.table_hash)?);
    }
    for out in &o.outputs {
        let text = match out.format {
            Format::Markdown => render::markdown(&checklist, out.detail),
            Format::Json => render::json(&checklist, out.detail),
            Format::Lcov => render::lcov(&checklist, out.detail),
        };
        write(&out.path, &text)?;
    }
    Ok(checklist)
}

/// Reports a merged checklist on `stdout` and `stderr`; returns the exit status.
fn report(checklist: &Checklist, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    warn_left_out(checklist, stderr);
    print_totals(checklist, stdout);
    if checklist.passed() {
        return PASSED;
    }
    list_survivors(checklist, stderr);
    list_missing(checklist, stderr);
    let _ = writeln!(
        stderr,
        "duract-checklist: FAILED: {} branch(es) without a hit on a required host and without a waiver, {} surviving mutant(s) of branches without a waiver",
        checklist.total().missing,
        checklist.survivors().count()
    );
    FAILED
}

/// Warns of the hits the checklist leaves out: ids the table does not declare, and actors it
/// does not have.
fn warn_left_out(checklist: &Checklist, stderr: &mut dyn Write) {
    for u in &checklist.undeclared {
        let _ = writeln!(
            stderr,
            "duract-checklist: warning: {} hit(s) on {} of `{}`, which the branch table does not declare",
            u.count, u.host, u.id
        );
    }
    for o in &checklist.others {
        let _ = writeln!(
            stderr,
            "duract-checklist: note: actor `{}` ({} hit(s) on {}) is not in the branch table (an actor of tests only?): its hits are left out",
            o.kind, o.count, o.host
        );
    }
}

/// Prints the totals: branches hit per host, waived and missing, the hit files merged, and
/// the mutants killed and survived when a kill matrix was given.
fn print_totals(checklist: &Checklist, stdout: &mut dyn Write) {
    let total = checklist.total();
    let _ = writeln!(
        stdout,
        "duract-checklist: {} branches; hit on native {}, in workerd {}; waived {}; missing {} ({} hit file(s): native {}, workerd {})",
        total.branches,
        total.hit[0],
        total.hit[1],
        total.waived,
        total.missing,
        checklist.files.len(),
        checklist.files_of("native"),
        checklist.files_of("workerd"),
    );
    if checklist.kills.is_some() {
        let (killed, survived) = checklist.kill_counts(None);
        let _ = writeln!(
            stdout,
            "duract-checklist: mutants killed {killed}, survived {survived} (not waived)"
        );
    }
}

/// Lists the surviving mutants that fail the gate, with the tests that hit them unawares.
fn list_survivors(checklist: &Checklist, stderr: &mut dyn Write) {
    for row in checklist.survivors() {
        if let Some(Verdict::Survived(tests)) = checklist.verdict(row) {
            let _ = writeln!(
                stderr,
                "duract-checklist: mutant survived: {} ({}:{}) {}; these tests hit it without noticing: {}",
                row.branch.id,
                row.branch.file,
                row.branch.line,
                row.branch.label,
                tests.join(", ")
            );
        }
    }
}

/// Lists the branches that fail the gate, with the required hosts that did not hit them.
fn list_missing(checklist: &Checklist, stderr: &mut dyn Write) {
    for row in checklist.missing() {
        if let Status::Missing(hosts) = &row.status {
            let _ = writeln!(
                stderr,
                "duract-checklist: not hit on {}: {} ({}:{}) {}",
                hosts.join(", "),
                row.branch.id,
                row.branch.file,
                row.branch.line,
                row.branch.label
            );
        }
    }
}

/// The command: `args` without the program's name. Returns the exit status: [`PASSED`] when
/// every branch is hit on every required host or waived; [`FAILED`] when some branch is not
/// (the checklist is still written, the branches are listed on `stderr`); [`REFUSED`] on bad
/// arguments or a refused input (unreadable, not a table or hit file, or a stale hit file:
/// recorded by a build whose table of one of the actors differs from the current one),
/// nothing written.
pub fn run(
    args: impl IntoIterator<Item = String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|a| a == "mutants") {
        return crate::mutants::run(args.skip(1), stdout, stderr);
    }
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            let _ = writeln!(stdout, "{USAGE}");
            return PASSED;
        }
        Err(e) => {
            let _ = writeln!(stderr, "duract-checklist: {e}\n{USAGE}");
            return REFUSED;
        }
    };
    match checklist(&options, stderr) {
        Ok(c) => report(&c, stdout, stderr),
        Err(refusal) => {
            let _ = writeln!(stderr, "duract-checklist: refused {refusal}");
            REFUSED
        }
    }
}
