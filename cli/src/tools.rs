//! The tools the wasm build needs, installed from crates.io only and skipped when already there
//! at the right version (a repeat check takes well under a second):
//! - the Rust target `wasm32-unknown-unknown` (rustup);
//! - `wasm-bindgen-cli` at exactly the version of `wasm-bindgen` in the crate's `Cargo.lock`
//!   (the CLI refuses a module built by another version), and `worker-build`
//!   [`WORKER_BUILD_VERSION`], into `$DURACT_TOOLS` (default `~/.cache/duract/tools`).
//!
//! worker-build would otherwise download wasm-bindgen, esbuild and wasm-opt from GitHub: the
//! build hands it the installed ones (`WASM_BINDGEN_BIN`, `ESBUILD_BIN`) and the crate turns
//! wasm-opt off.

use crate::project::{cache_dir, cargo, locked_version, run_status, Project};
use crate::{say, Failure, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The worker-build the build runs (the version of the `worker` crate the runtime uses).
pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// The installed tools.
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub worker_build: PathBuf,
}

/// `$DURACT_TOOLS`, else `~/.cache/duract/tools`.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("DURACT_TOOLS")
        .filter(|v| !v.is_empty())
        .map_or_else(|| cache_dir().join("tools"), PathBuf::from)
}

/// The last word of `<bin> --version`, when it runs.
fn version_of(bin: &Path) -> Option<String> {
    let output = Command::new(bin)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().last().map(str::to_owned)
}

fn install(krate: &str, version: &str, root: &Path) -> Result<()> {
    say(
        "build",
        format!(
            "installing {krate} {version} into {} from crates.io (a few minutes, once)",
            root.display()
        ),
    );
    run_status(
        cargo()
            .args([
                "install",
                "--locked",
                "--force",
                krate,
                "--version",
                version,
                "--root",
            ])
            .arg(root),
        &format!("cargo install {krate} {version}"),
    )
}

/// The wasm target, when rustup manages the toolchain.
fn ensure_wasm_target(dir: &Path) -> Result<()> {
    let Ok(output) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
    else {
        return Ok(()); // no rustup: the toolchain's own business
    };
    let installed = String::from_utf8_lossy(&output.stdout);
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        say("build", "adding the Rust target wasm32-unknown-unknown");
        run_status(
            Command::new("rustup")
                .args(["target", "add", "wasm32-unknown-unknown"])
                .current_dir(dir),
            "rustup target add wasm32-unknown-unknown",
        )?;
    }
    Ok(())
}

/// worker-build compiles against OpenSSL: install its development files where apt and root
/// allow, else warn.
fn ensure_openssl() {
    let found = Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = Command::new("apt-get")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if root && apt {
        say(
            "build",
            "installing libssl-dev and pkg-config (worker-build compiles against them)",
        );
        let ok = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config",
            ])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return;
        }
    }
    say(
        "build",
        "warning: OpenSSL development files not found (worker-build needs libssl-dev and pkg-config)",
    );
}

/// Installs what is missing and returns the tools.
pub fn ensure(project: &Project) -> Result<Tools> {
    ensure_wasm_target(&project.dir)?;
    let lockfile = project.lockfile()?;
    let bindgen_version = locked_version(&lockfile, "wasm-bindgen").ok_or_else(|| {
        Failure::new(format!(
            "no wasm-bindgen in {}: the crate needs duract and, for wasm32, worker:\n\n\
             [target.'cfg(target_arch = \"wasm32\")'.dependencies]\nworker = \"{WORKER_BUILD_VERSION}\"",
            project.workspace_root.join("Cargo.lock").display()
        ))
    })?;
    let dir = tools_dir();

    // The shared bin/ (also where scripts/install-tools put it), else one folder per version, so
    // crates locked to different versions do not reinstall in turn.
    let shared = dir.join("bin").join("wasm-bindgen");
    let wasm_bindgen = if version_of(&shared).as_deref() == Some(bindgen_version.as_str()) {
        shared
    } else {
        let root = dir.join(format!("wasm-bindgen-{bindgen_version}"));
        let bin = root.join("bin").join("wasm-bindgen");
        if version_of(&bin).as_deref() != Some(bindgen_version.as_str()) {
            install("wasm-bindgen-cli", &bindgen_version, &root)?;
        }
        bin
    };

    let worker_build = dir.join("bin").join("worker-build");
    if version_of(&worker_build).as_deref() != Some(WORKER_BUILD_VERSION) {
        ensure_openssl();
        install("worker-build", WORKER_BUILD_VERSION, &dir)?;
    }
    Ok(Tools {
        wasm_bindgen,
        worker_build,
    })
}
