//! What the checklist command ([`crate::cli`]) and the mutants runner ([`crate::mutants`])
//! share: exit statuses, `--key=value` arguments, reading and writing files.

use crate::format::{refuse, Refusal};
use std::path::{Path, PathBuf};

/// Exit status: every branch hit on every required host or waived.
pub const PASSED: u8 = 0;
/// Exit status: some branch is not (the checklist is still written).
pub const FAILED: u8 = 1;
/// Exit status: bad arguments or a refused input (nothing written).
pub const REFUSED: u8 = 2;

/// An argument as a key and, for `--key=value`, its value.
pub(crate) fn key_and_value(arg: &str) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((k, v)) if k.starts_with("--") => (k.to_owned(), Some(v.to_owned())),
        _ => (arg.to_owned(), None),
    }
}

/// The text of the file at `path`.
pub(crate) fn read(path: &Path) -> Result<String, Refusal> {
    std::fs::read_to_string(path)
        .map_err(|e| refuse(&path.display().to_string(), format!("cannot read it ({e})")))
}

/// The hit files named: files as given, directories as their `*.json` files in name order.
pub(crate) fn hit_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Refusal> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                refuse(&path.display().to_string(), format!("cannot list it ({e})"))
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

/// Writes `text` to `path` unless the file already holds it (a checked-in checklist that did
/// not change keeps its modification time).
pub(crate) fn write(path: &Path, text: &str) -> Result<(), Refusal> {
    let fail = |e: std::io::Error| {
        refuse(
            &path.display().to_string(),
            format!("cannot write it ({e})"),
        )
    };
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}
