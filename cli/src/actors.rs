//! How the command learns a crate's actors: Rust has no reflection, so the crate lists them in a
//! test, `tests/actors.rs` (`duract new` writes it), whose test `duract_actors` writes them as
//! JSON to the file `$DURACT_ACTORS_OUT` names (`duract::checklist::export_actors(ACTORS)`;
//! it does nothing without the variable):
//!
//! ```json
//! { "actors": [{ "kind": "counter", "class": "CounterActor", "binding": "COUNTER_ACTOR",
//!                "forwards": [] }],
//!   "table": "<duract::checklist::table_json of the actors>" }
//! ```
//!
//! The command finds the test target whose source calls `export_actors` (or mentions
//! `DURACT_ACTORS_OUT`, for a test written by hand) and runs that one
//! test with cargo (in the crate's target directory, so it reuses the crate's build). Actors a
//! gateway forwards to count too, listed or not.

use crate::project::{show, Project};
use crate::{Failure, Result};
use serde_json::Value;
use std::path::Path;

/// The variable the crate's test reads (`duract::checklist::ACTORS_OUT`).
pub const ENV: &str = "DURACT_ACTORS_OUT";
/// What the crate's test calls to write its actors (or, written by hand, it mentions [`ENV`]).
pub const EXPORT: &str = "export_actors";

/// The crate's test that lists its actors: the one whose source calls [`EXPORT`] or reads
/// [`ENV`].
pub fn listing_test(project: &Project) -> Option<(String, std::path::PathBuf)> {
    project.test_with(EXPORT).or_else(|| project.test_with(ENV))
}
/// The test's name.
pub const TEST: &str = "duract_actors";

/// One actor, as its `ActorInfo` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: String,
    pub class: String,
    pub binding: String,
    /// For a gateway: the actors it forwards to.
    pub forwards: Vec<Actor>,
}

impl Actor {
    /// An actor with no forwards.
    pub fn new(kind: &str, class: &str, binding: &str) -> Actor {
        Actor {
            kind: kind.to_owned(),
            class: class.to_owned(),
            binding: binding.to_owned(),
            forwards: Vec::new(),
        }
    }
}

/// What the crate's test wrote.
#[derive(Debug)]
pub struct Listed {
    /// The listed actors, then the actors gateways forward to that the list lacks.
    pub actors: Vec<Actor>,
    /// The branch table (`duract::checklist::table_json`), when the test wrote it.
    pub table: Option<String>,
}

fn actor(value: &Value) -> Result<Actor, String> {
    let field = |name: &str| {
        value[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("an actor without `{name}`: {value}"))
    };
    let forwards = value["forwards"]
        .as_array()
        .map(|f| f.iter().map(actor).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    Ok(Actor {
        kind: field("kind")?,
        class: field("class")?,
        binding: field("binding")?,
        forwards,
    })
}

/// Reads what the test wrote.
pub fn parse(text: &str) -> Result<Listed, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut actors = value["actors"]
        .as_array()
        .ok_or("no `actors` array")?
        .iter()
        .map(actor)
        .collect::<Result<Vec<_>, _>>()?;
    let forwarded: Vec<Actor> = actors.iter().flat_map(|a| a.forwards.clone()).collect();
    for target in forwarded {
        if !actors.iter().any(|a| a.kind == target.kind) {
            actors.push(target);
        }
    }
    Ok(Listed {
        actors,
        table: value["table"].as_str().map(str::to_owned),
    })
}

/// What to add when the crate lists no actors.
pub fn missing_list_help(project: &Project) -> String {
    let lib = project.lib_name.as_deref().unwrap_or("my_crate");
    format!(
        "{} has no test that lists its actors for duract (one that calls \
         duract::checklist::{EXPORT}); add tests/actors.rs (`duract new` writes one):\n\n{}",
        show(&project.dir),
        duract_test(lib, &["Session", "MyActor"])
    )
}

/// The crate's actors: runs its test `duract_actors`.
pub fn learn(project: &Project) -> Result<Listed> {
    learn_with(project, "check", &[])
}

/// [`learn`], with more arguments for `cargo test` (features).
pub fn learn_with(project: &Project, command: &str, cargo_args: &[&str]) -> Result<Listed> {
    let Some((test, source)) = listing_test(project) else {
        return Err(Failure::new(missing_list_help(project)));
    };
    let out = project
        .target_dir
        .join("duract")
        .join(format!("actors-{}.json", project.name));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let _ = std::fs::remove_file(&out);
    crate::say(
        command,
        format!(
            "learning the actors from {} (cargo test --test {test})",
            show(&source)
        ),
    );
    let status = project
        .cargo("test")
        .args(["--quiet", "--test", &test])
        .args(cargo_args)
        .args(["--", "--exact", TEST])
        .env(ENV, &out)
        .env_remove("DURACT_HITS_DIR")
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(Failure::new(format!(
            "`cargo test --test {test} -- --exact {TEST}` failed in {} ({status})",
            show(&project.dir)
        )));
    }
    read(&out, &source)
}

/// Reads a file the test wrote (or one given with `--actors`).
pub fn read(path: &Path, source: &Path) -> Result<Listed> {
    let text = std::fs::read_to_string(path).map_err(|_| {
        format!(
            "{} has no test `{TEST}` that writes the actors to ${ENV} (or it wrote nothing)",
            show(source)
        )
    })?;
    parse(&text).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

/// `tests/actors.rs`: the list of the crate's actors the command reads.
pub fn duract_test(lib: &str, actors: &[&str]) -> String {
    let mut sorted = actors.to_vec();
    sorted.sort_unstable();
    let names = sorted.join(", ");
    let infos = actors
        .iter()
        .map(|a| format!("{a}::INFO"))
        .collect::<Vec<_>>()
        .join(", ");
    DURACT_RS
        .replace("{lib}", lib)
        .replace("{names}", &names)
        .replace("{infos}", &infos)
}

const DURACT_RS: &str = r#"//! The crate's actors, for the `duract` command: `duract check` compares wrangler.toml with
//! them and `duract checklist` writes their branch table. List every actor of the crate here.

use duract::{ActorInfo, Target};
use {lib}::{{names}};

/// Every actor of the crate.
const ACTORS: &[&ActorInfo] = &[{infos}];

/// Writes the actors and their branch table for the `duract` command when it runs this test
/// (`duract::checklist::export_actors`); does nothing otherwise.
#[test]
fn duract_actors() {
    duract::checklist::export_actors(ACTORS).unwrap();
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_actors_count_even_when_not_listed() {
        let listed = parse(
            r#"{"actors":[{"kind":"session","class":"SessionActor","binding":"SESSION_ACTOR",
                "forwards":[{"kind":"counter","class":"CounterActor","binding":"COUNTER_ACTOR"}]}],
                "table":"{}"}"#,
        )
        .unwrap();
        let kinds: Vec<_> = listed.actors.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(kinds, ["session", "counter"]);
        assert_eq!(listed.table.as_deref(), Some("{}"));
    }

    #[test]
    fn malformed_lists_are_refused() {
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"actors":[{"kind":"a"}]}"#)
            .unwrap_err()
            .contains("class"));
    }
}
