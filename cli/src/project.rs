//! The crate a command works on, as `cargo metadata` describes it.

use crate::{Failure, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `cargo`, from PATH (rustup's proxy, so the crate's toolchain file applies).
pub fn cargo() -> Command {
    Command::new("cargo")
}

/// Runs `command`, its output going to the terminal; fails with `what` when it does.
pub fn run_status(command: &mut Command, what: &str) -> Result<()> {
    let status = command.status().map_err(|e| {
        Failure::new(format!(
            "{what}: cannot run {:?}: {e}",
            command.get_program()
        ))
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!("{what} failed ({status})")))
    }
}

/// A crate of actors.
#[derive(Debug)]
pub struct Project {
    /// Its folder (absolute).
    pub dir: PathBuf,
    /// `Cargo.toml`.
    pub manifest: PathBuf,
    /// The package name.
    pub name: String,
    /// The library's crate name (`my_app` for `my-app`).
    pub lib_name: Option<String>,
    /// The workspace root: where `Cargo.lock` is.
    pub workspace_root: PathBuf,
    /// Cargo's target directory (`CARGO_TARGET_DIR` applied).
    pub target_dir: PathBuf,
    /// The package's entry of `cargo metadata`.
    pub package: Value,
}

impl Project {
    /// The crate in `dir`.
    pub fn open(dir: &Path) -> Result<Project> {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            return Err(Failure::new(format!(
                "{} has no Cargo.toml: give the folder of a crate (`duract new <dir>` writes one)",
                dir.display()
            )));
        }
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let manifest = dir.join("Cargo.toml");
        let metadata = cargo_metadata(&manifest)?;
        let package = own_package(&metadata, &manifest)?;
        Ok(Project {
            name: package["name"].as_str().unwrap_or_default().to_owned(),
            lib_name: lib_name(&package),
            workspace_root: PathBuf::from(metadata["workspace_root"].as_str().unwrap_or(".")),
            target_dir: PathBuf::from(metadata["target_directory"].as_str().unwrap_or("target")),
            dir,
            manifest,
            package,
        })
    }

    /// The crate's test targets: (name, source path).
    pub fn tests(&self) -> Vec<(String, PathBuf)> {
        self.package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "test"))
            })
            .filter_map(|t| {
                Some((
                    t["name"].as_str()?.to_owned(),
                    PathBuf::from(t["src_path"].as_str()?),
                ))
            })
            .collect()
    }

    /// The test target whose source contains `marker` (the first, by name).
    pub fn test_with(&self, marker: &str) -> Option<(String, PathBuf)> {
        let mut tests = self.tests();
        tests.sort();
        tests
            .into_iter()
            .find(|(_, path)| std::fs::read_to_string(path).is_ok_and(|text| text.contains(marker)))
    }

    /// `cargo <subcommand> --manifest-path <the crate's>`.
    pub fn cargo(&self, subcommand: &str) -> Command {
        let mut command = cargo();
        command
            .arg(subcommand)
            .arg("--manifest-path")
            .arg(&self.manifest);
        command
    }

    /// The workspace's `Cargo.lock`, written first when missing.
    pub fn lockfile(&self) -> Result<String> {
        let path = self.workspace_root.join("Cargo.lock");
        if !path.is_file() {
            run_status(
                self.cargo("generate-lockfile").current_dir(&self.dir),
                "cargo generate-lockfile",
            )?;
        }
        std::fs::read_to_string(&path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
    }
}

/// `cargo metadata --no-deps` for `manifest`, parsed.
fn cargo_metadata(manifest: &Path) -> Result<Value> {
    let output = cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(Failure::new(format!(
            "cargo metadata failed for {}",
            manifest.display()
        )));
    }
    Ok(serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata: unreadable output: {e}"))?)
}

/// The package of `metadata` whose manifest is `manifest` (not a workspace's other members).
fn own_package(metadata: &Value, manifest: &Path) -> Result<Value> {
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["manifest_path"]
                .as_str()
                .and_then(|m| Path::new(m).canonicalize().ok())
                .is_some_and(|m| m == manifest)
        })
        .cloned()
        .ok_or_else(|| {
            format!(
                "{} is a workspace without a package of its own: give the folder of the crate that defines the actors",
                manifest.display()
            )
        })?;
    Ok(package)
}

/// The crate name of `package`'s library target, when it has one.
fn lib_name(package: &Value) -> Option<String> {
    package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "cdylib" || k == "rlib"))
        })
        .and_then(|t| t["name"].as_str())
        .map(str::to_owned)
}

/// `path` for messages: relative to the current directory when under it.
pub fn show(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

/// The version of `package` in a `Cargo.lock` (the first, when several).
pub fn locked_version(lockfile: &str, package: &str) -> Option<String> {
    let lock: toml::Table = lockfile.parse().ok()?;
    lock.get("package")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(package))
        .and_then(|p| p.get("version")?.as_str())
        .map(str::to_owned)
}

/// `~/.cache/duract`.
pub fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("duract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_a_lockfile() {
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.129\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.129")
        );
        assert_eq!(locked_version(lock, "worker"), None);
        assert_eq!(locked_version("not toml [", "a"), None);
    }
}
