//! `duract check [<dir>] [--fix]`: the crate's wrangler.toml against its actors (learned with
//! [`actors::learn`]): one Durable Object binding per actor with the binding and class names its
//! `#[actor]` declares, each class created by a SQLite migration, nothing bound or created that
//! no actor runs, `main` where `duract build` writes.
//!
//! `--fix` appends the bindings and one migration a new actor needs (or writes the whole file
//! when there is none); what could hold deployed data (a wrong class name, a key-value class, a
//! class no actor runs) it leaves to the user, named.
//! `--actors FILE` reads the actors from a file the crate's test wrote instead of running it.

use crate::actors::{self, Actor};
use crate::args::Args;
use crate::project::{show, Project};
use crate::wrangler;
use crate::{say, Failure, Result};
use std::path::Path;

pub fn run(args: Vec<String>) -> Result<u8> {
    let args = Args::parse("check", args, &["fix"], &["actors"], 1)?;
    let project = Project::open(&args.dir())?;
    let listed = match args.option("actors") {
        Some(file) => actors::read(Path::new(file), Path::new(file))?,
        None => actors::learn(&project)?,
    };
    check(&project, &listed.actors, args.flag("fix"))
}

/// The worker name of a package (wrangler's names: lower case, digits and `-`).
pub fn worker_name(package: &str) -> String {
    package
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn check(project: &Project, actors: &[Actor], fix: bool) -> Result<u8> {
    let path = project.dir.join("wrangler.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return write_missing(project, &path, actors, fix);
    };
    let mut parsed =
        wrangler::parse(&text).map_err(|e| Failure::new(format!("{}: {e}", show(&path))))?;
    if fix {
        if let Some(added) = wrangler::fix(&parsed, actors) {
            parsed = append_fix(&path, text, &added)?;
        }
    }
    report(&path, &parsed, actors, fix)
}

/// No wrangler.toml: with `--fix`, writes one from the actors; without, says how.
fn write_missing(project: &Project, path: &Path, actors: &[Actor], fix: bool) -> Result<u8> {
    if fix {
        std::fs::write(
            path,
            wrangler::generate(&worker_name(&project.name), actors),
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        say("check", format!("wrote {} from the actors", show(path)));
        return Ok(0);
    }
    Err(Failure::new(format!(
        "{} has no wrangler.toml (`duract check --fix` writes one from the actors)",
        show(&project.dir)
    )))
}

/// Appends `added` (what [`wrangler::fix`] returned) to the file holding `text`, after checking
/// the result still parses; returns the parsed result.
fn append_fix(path: &Path, text: String, added: &str) -> Result<wrangler::Wrangler> {
    let mut fixed = text;
    if !fixed.ends_with('\n') {
        fixed.push('\n');
    }
    fixed.push_str(added);
    let parsed = wrangler::parse(&fixed).map_err(|e| {
        Failure::new(format!(
            "{}: appending the missing bindings and migration would make it unreadable ({e}); add them by hand:\n{added}",
            show(path)
        ))
    })?;
    std::fs::write(path, &fixed).map_err(|e| format!("{}: {e}", path.display()))?;
    say("check", format!("appended to {}:{added}", show(path)));
    Ok(parsed)
}

/// Says the file agrees with the actors, or fails with each of [`wrangler::check`]'s problems.
fn report(path: &Path, parsed: &wrangler::Wrangler, actors: &[Actor], fix: bool) -> Result<u8> {
    let problems = wrangler::check(parsed, actors);
    let summary = actors
        .iter()
        .map(|a| format!("{} ({})", a.class, a.binding))
        .collect::<Vec<_>>()
        .join(", ");
    if problems.is_empty() {
        say(
            "check",
            format!(
                "{} agrees with the {} actors: {summary}",
                show(path),
                actors.len()
            ),
        );
        return Ok(0);
    }
    let mut message = format!(
        "{} does not match the crate's actors ({summary}):",
        show(path)
    );
    for problem in &problems {
        message.push_str("\n- ");
        message.push_str(&problem.replace('\n', "\n    "));
    }
    if !fix && wrangler::fix(parsed, actors).is_some() {
        message.push_str("\n`duract check --fix` appends the missing bindings and migration.");
    }
    Err(Failure::new(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names_follow_wranglers_rules() {
        assert_eq!(worker_name("my_App2"), "my-app2");
    }
}
