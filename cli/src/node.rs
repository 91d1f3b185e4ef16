//! Node and the npm packages the build and `duract dev` use: esbuild (worker-build bundles the
//! worker with it) and Miniflare (workerd). They are taken, in order, from
//! `$DURACT_NODE_MODULES`, a `node_modules` in the crate's folder or one of its parents,
//! `e2e/node_modules` of the duract checkout the command was built from (when it still exists),
//! or `~/.cache/duract/node/node_modules`, which `npm install` fills from the npm registry the
//! first time (the versions of `assets/package.json`).

use crate::project::{cache_dir, run_status, show};
use crate::{say, Failure, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The packages the command installs when no `node_modules` has them.
pub const PACKAGE_JSON: &str = include_str!("../assets/package.json");

/// The oldest Node Miniflare 4 runs on.
const NODE_MAJOR: u32 = 20;

/// `node` (or `$DURACT_NODE`), checked to be Node 20 or newer.
pub fn node() -> Result<PathBuf> {
    let node = std::env::var_os("DURACT_NODE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let output = Command::new(&node).arg("--version").output().map_err(|_| {
        Failure::new(format!(
            "Node.js {NODE_MAJOR} or newer is needed (workerd runs through Miniflare), and `{}` was not found: install Node from https://nodejs.org or your package manager",
            node.display()
        ))
    })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= NODE_MAJOR => Ok(node),
        _ => Err(Failure::new(format!(
            "Node.js {NODE_MAJOR} or newer is needed; `{} --version` says {version:?}",
            node.display()
        ))),
    }
}

fn has(node_modules: &Path, package: &str) -> bool {
    node_modules.join(package).join("package.json").is_file()
}

/// A `node_modules` folder that has `package`, installing the command's packages into the
/// cache when none has it.
pub fn node_modules_with(crate_dir: &Path, package: &str) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DURACT_NODE_MODULES").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if has(&dir, package) {
            return Ok(dir);
        }
        return Err(Failure::new(format!(
            "DURACT_NODE_MODULES={} has no {package} (unset it and duract installs its own into {})",
            dir.display(),
            cache_dir().join("node").display()
        )));
    }
    for dir in crate_dir.ancestors() {
        let candidate = dir.join("node_modules");
        if has(&candidate, package) {
            return Ok(candidate);
        }
    }
    // The e2e suite's packages of the duract checkout this command was built from, if still there.
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node_modules");
    if has(&checkout, package) {
        return Ok(checkout);
    }
    install_cache()
}

/// `~/.cache/duract/node/node_modules`, installed (again) when missing or when the command's
/// package list changed.
fn install_cache() -> Result<PathBuf> {
    let root = cache_dir().join("node");
    let node_modules = root.join("node_modules");
    let stamp = node_modules.join(".duract-package.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(PACKAGE_JSON) {
        return Ok(node_modules);
    }
    say(
        "node",
        format!(
            "installing esbuild and miniflare into {} from the npm registry (once)",
            show(&root)
        ),
    );
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    std::fs::write(root.join("package.json"), PACKAGE_JSON)
        .map_err(|e| format!("{}: {e}", root.display()))?;
    run_status(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--update-notifier=false",
            ])
            .current_dir(&root),
        "npm install (esbuild, miniflare)",
    )
    .map_err(|f| Failure::new(format!("{f}; duract needs npm (it comes with Node.js)")))?;
    std::fs::write(&stamp, PACKAGE_JSON).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(node_modules)
}

/// The esbuild binary: `$ESBUILD_BIN`, else the platform package's binary (it works whether or
/// not npm ran esbuild's install script), else `esbuild/bin/esbuild`.
pub fn esbuild(crate_dir: &Path) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("ESBUILD_BIN").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    let node_modules = node_modules_with(crate_dir, "esbuild")?;
    let mut candidates = Vec::new();
    if let Ok(platforms) = std::fs::read_dir(node_modules.join("@esbuild")) {
        let mut platforms: Vec<_> = platforms.flatten().map(|e| e.path()).collect();
        platforms.sort();
        candidates.extend(platforms.into_iter().map(|p| p.join("bin").join("esbuild")));
    }
    candidates.push(node_modules.join("esbuild").join("bin").join("esbuild"));
    candidates
        .into_iter()
        .find(|c| is_executable(c))
        .ok_or_else(|| Failure::new(format!("no esbuild binary in {}", node_modules.display())))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_versions_are_the_e2e_suites() {
        let e2e = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/package.json");
        let Ok(e2e) = std::fs::read_to_string(e2e) else {
            return;
        };
        let ours: serde_json::Value = serde_json::from_str(PACKAGE_JSON).unwrap();
        let e2e: serde_json::Value = serde_json::from_str(&e2e).unwrap();
        for package in ["esbuild", "miniflare"] {
            assert_eq!(
                ours["dependencies"][package], e2e["dependencies"][package],
                "cli/assets/package.json and e2e/package.json disagree on {package}"
            );
        }
    }
}
