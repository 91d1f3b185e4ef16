//! `duract new <dir> [--name <crate>] [--duract-path <path>]`: a crate with one actor (a
//! counter), a gateway, the worker's entry point, native tests, the list of its actors
//! (`tests/actors.rs`) and a wrangler.toml made from them.

use crate::args::Args;
use crate::project::show;
use crate::{say, templates, tools, wrangler, Failure, Result};
use std::path::{Path, PathBuf};

pub fn run(args: Vec<String>) -> Result<u8> {
    let args = Args::parse("new", args, &[], &["name", "duract-path"], 1)?;
    let Some(dir) = args.positional.first().map(PathBuf::from) else {
        return Err(Failure::usage(
            "duract new: give the folder of the new crate",
        ));
    };
    let name = match args.option("name") {
        Some(name) => name.to_owned(),
        None => dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "duract new: {} has no name: give --name",
                    dir.display()
                ))
            })?,
    };
    check_name(&name)?;
    let duract = match args.option("duract-path") {
        Some(path) => format!(
            "duract = {{ path = \"{}\" }}",
            runtime_path(Path::new(path))?
                .display()
                .to_string()
                .replace('\\', "/")
        ),
        None => format!("duract = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    write(&dir, &name, &duract)?;
    let cd = show(&dir);
    println!(
        "Created {name} in {cd}:\n  src/lib.rs        a counter actor, the session gateway, the worker's entry point\n  \
         tests/native.rs   its tests on the native host\n  tests/actors.rs   the list of its actors (duract check, duract checklist)\n  \
         wrangler.toml     the worker: bindings and migrations of the actors\n\n\
         Next:\n  cd {cd}\n  cargo test      # the native tests\n  duract dev      # build to wasm, serve in workerd on http://127.0.0.1:8787\n                  # then a WebSocket to ws://127.0.0.1:8787/ws?session=s1"
    );
    Ok(0)
}

/// Cargo's rules for a package name, the ones a user meets.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "duract new: `{name}` is not a crate name (letters, digits, `-` and `_`, starting with a letter); give --name"
        )))
    }
}

/// The runtime crate's folder from `--duract-path`: the folder of the `duract` crate, or a
/// checkout of the repository (its `runtime/`). Absolute, so the crate can move.
fn runtime_path(path: &Path) -> Result<PathBuf> {
    let is_runtime = |dir: &Path| {
        std::fs::read_to_string(dir.join("Cargo.toml"))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|t| {
                t.get("package")?
                    .get("name")?
                    .as_str()
                    .map(|n| n == "duract")
            })
            .unwrap_or(false)
    };
    let dir = if is_runtime(path) {
        path.to_path_buf()
    } else if is_runtime(&path.join("runtime")) {
        path.join("runtime")
    } else {
        return Err(Failure::new(format!(
            "--duract-path {}: not the duract crate (a Cargo.toml with name = \"duract\") nor a checkout of duract's repository",
            path.display()
        )));
    };
    dir.canonicalize()
        .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))
}

/// Writes the crate into `dir` (which must not exist, or be empty).
pub fn write(dir: &Path, name: &str, duract_dependency: &str) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(Failure::new(format!(
                "{} already exists and is not empty",
                dir.display()
            )));
        }
    }
    let lib = name.replace('-', "_");
    let worker = crate::check::worker_name(name);
    let files = [
        (
            "Cargo.toml",
            templates::cargo_toml(name, duract_dependency, tools::WORKER_BUILD_VERSION),
        ),
        ("src/lib.rs", templates::lib_rs(name)),
        ("tests/native.rs", templates::native_rs(name, &lib)),
        (
            "tests/actors.rs",
            crate::actors::duract_test(&lib, &["Session", "Counter"]),
        ),
        (
            "wrangler.toml",
            wrangler::generate(&worker, &templates::actors()),
        ),
        (".gitignore", templates::GITIGNORE.to_owned()),
    ];
    for (file, text) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    say("new", format!("wrote {} ({name})", show(dir)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("my-app_2").is_ok());
        for bad in ["", "2app", "my app", "-x", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_repository_or_its_runtime_is_a_duract_path() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if !repo.join("runtime/Cargo.toml").is_file() {
            return; // the command built outside a checkout
        }
        let runtime = runtime_path(&repo).unwrap();
        assert!(runtime.ends_with("runtime"));
        assert_eq!(runtime_path(&repo.join("runtime")).unwrap(), runtime);
        assert!(runtime_path(&repo.join("cli")).is_err());
    }

    #[test]
    fn a_new_crate_agrees_with_itself() {
        let dir = std::env::temp_dir().join(format!("duract-cli-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir, "my-app", "duract = \"0.1.0\"").unwrap();
        let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some("my-app"));
        let w =
            wrangler::parse(&std::fs::read_to_string(dir.join("wrangler.toml")).unwrap()).unwrap();
        assert_eq!(
            wrangler::check(&w, &templates::actors()),
            Vec::<String>::new()
        );
        let list = std::fs::read_to_string(dir.join("tests/actors.rs")).unwrap();
        assert!(list.contains("use my_app::{Counter, Session};"), "{list}");
        assert!(list.contains("&[Session::INFO, Counter::INFO]"), "{list}");
        assert!(
            write(&dir, "my-app", "").is_err(),
            "an existing crate is not overwritten"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
