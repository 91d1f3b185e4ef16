//! `duract-checklist`: merges the hit files of test runs (native host and workerd) against a
//! crate's branch table and writes the coverage checklist as Markdown, JSON and LCOV.
//!
//! ```text
//! duract-checklist --table checklist/branches.json --hits DIR_OR_FILE [--hits ...]
//!                  [--require native,workerd | native | workerd | none]
//!                  [--markdown FILE] [--json FILE] [--lcov FILE] [--out DIR] [--skip-stale]
//! ```
//!
//! - `--table`: the branch table, as `duract::checklist::table_json` writes it.
//! - `--hits`: a hit file, or a directory whose `*.json` files are all hit files (repeatable).
//! - `--require`: the hosts on which every branch must be hit unless waived (default both).
//! - `--out DIR`: writes `DIR/checklist.md`, `DIR/checklist.json` and `DIR/lcov.info`.
//! - `--skip-stale`: leaves out stale hit files with a warning instead of refusing the run.
//!
//! Exit status: 0 when every branch is hit on every required host or waived; 1 when some
//! branch is not (the checklist is still written, the branches are listed on stderr); 2 when
//! an input is refused (unreadable, not a table or hit file, or a stale hit file: recorded by
//! a build whose branch table differs from the current one), nothing written.

mod merge;
mod render;

use merge::{Checklist, Refusal, Status, HOSTS};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: duract-checklist --table BRANCHES.json --hits FILE_OR_DIR [--hits ...]
                        [--require native,workerd|native|workerd|none]
                        [--markdown FILE] [--json FILE] [--lcov FILE] [--out DIR] [--skip-stale]";

#[derive(Debug, Default)]
struct Options {
    table: Option<PathBuf>,
    hits: Vec<PathBuf>,
    required: Option<Vec<&'static str>>,
    markdown: Option<PathBuf>,
    json: Option<PathBuf>,
    lcov: Option<PathBuf>,
    skip_stale: bool,
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

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
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
        match key.as_str() {
            "--table" => o.table = Some(value()?.into()),
            "--hits" => o.hits.push(value()?.into()),
            "--require" => o.required = Some(parse_required(&value()?)?),
            "--markdown" => o.markdown = Some(value()?.into()),
            "--json" => o.json = Some(value()?.into()),
            "--lcov" => o.lcov = Some(value()?.into()),
            "--out" => {
                let dir = PathBuf::from(value()?);
                o.markdown = Some(dir.join("checklist.md"));
                o.json = Some(dir.join("checklist.json"));
                o.lcov = Some(dir.join("lcov.info"));
            }
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    if o.table.is_none() {
        return Err("--table is required".to_owned());
    }
    Ok(o)
}

fn read(path: &Path) -> Result<String, Refusal> {
    std::fs::read_to_string(path)
        .map_err(|e| merge::refuse(&path.display().to_string(), format!("cannot read it ({e})")))
}

/// The hit files named: files as given, directories as their `*.json` files in name order.
fn hit_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Refusal> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                merge::refuse(&path.display().to_string(), format!("cannot list it ({e})"))
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn write(path: &Path, text: &str) -> Result<(), Refusal> {
    let fail = |e: std::io::Error| {
        merge::refuse(
            &path.display().to_string(),
            format!("cannot write it ({e})"),
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

/// The whole run; `Err` is a refused input (exit 2).
fn run(o: &Options) -> Result<Checklist, Refusal> {
    let table_path = o.table.as_deref().unwrap_or(Path::new("branches.json"));
    let table = merge::load_table(&table_path.display().to_string(), &read(table_path)?)?;
    let mut hits = Vec::new();
    for path in hit_paths(&o.hits)? {
        let name = path.display().to_string();
        match merge::load_hits(&name, &read(&path)?, &table) {
            Ok(file) => hits.push((name, file)),
            Err(refusal) if o.skip_stale && refusal.stale => {
                eprintln!("duract-checklist: warning: skipped {refusal}");
            }
            Err(refusal) => return Err(refusal),
        }
    }
    let required = o.required.clone().unwrap_or_else(|| HOSTS.to_vec());
    for host in &required {
        if !hits.iter().any(|(_, f)| f.host == *host) {
            eprintln!(
                "duract-checklist: warning: no hit file from {host}, which is required (--require)"
            );
        }
    }
    let checklist = Checklist::merge(&table, &hits, &required);
    if let Some(p) = &o.markdown {
        write(p, &render::markdown(&checklist))?;
    }
    if let Some(p) = &o.json {
        write(p, &render::json(&checklist))?;
    }
    if let Some(p) = &o.lcov {
        write(p, &render::lcov(&checklist))?;
    }
    Ok(checklist)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("duract-checklist: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let checklist = match run(&options) {
        Ok(c) => c,
        Err(refusal) => {
            eprintln!("duract-checklist: refused {refusal}");
            return ExitCode::from(2);
        }
    };
    for u in &checklist.undeclared {
        eprintln!(
            "duract-checklist: warning: {} hit(s) on {} of `{}`, which the branch table does not declare",
            u.count, u.host, u.id
        );
    }
    let total = checklist.total();
    println!(
        "duract-checklist: {} branches; hit on native {}, in workerd {}; waived {}; missing {}",
        total.branches, total.hit[0], total.hit[1], total.waived, total.missing
    );
    if checklist.passed() {
        return ExitCode::SUCCESS;
    }
    for row in checklist.missing() {
        if let Status::Missing(hosts) = &row.status {
            eprintln!(
                "duract-checklist: not hit on {}: {} ({}:{}) {}",
                hosts.join(", "),
                row.branch.id,
                row.branch.file,
                row.branch.line,
                row.branch.label
            );
        }
    }
    eprintln!(
        "duract-checklist: FAILED: {} branch(es) without a hit on a required host and without a waiver",
        total.missing
    );
    ExitCode::from(1)
}

#[cfg(test)]
mod tests;
