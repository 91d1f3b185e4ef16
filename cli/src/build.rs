//! `duract build [<dir>] [--checklist]`: the crate to wasm for workerd, in `<dir>/build`
//! (`index.js`, `index_bg.wasm`).
//!
//! 1. checks the crate can be built for Durable Objects (a `cdylib`, `worker` for wasm32,
//!    wasm-opt off so worker-build downloads nothing);
//! 2. installs the tools when missing ([`tools`](crate::tools)) and finds esbuild
//!    ([`node`](crate::node));
//! 3. runs `worker-build --release` with `WASM_BINDGEN_BIN` and `ESBUILD_BIN` set;
//! 4. refuses a worker without an entry point (no `fetch` export), appends the Durable Object
//!    RPC glue to `index.js`, strips the debug name sections of the module (kept when
//!    `DURACT_KEEP_NAMES` is set: for a CPU profile with Rust names, `e2e/bench/profile.mjs`);
//! 5. runs `$WASM_OPT_BIN -Oz` when set (npm's binaryen has one).
//!
//! `--checklist` builds with the branch-hit recorder (`--features duract/checklist`, which adds
//! the endpoint `GET /__duract/hits`) into `<dir>/build-checklist`, so `build/` always holds
//! the production build.

use crate::args::Args;
use crate::project::{run_status, show, Project};
use crate::wasm::{self, NO_ENTRY_POINT, RPC_MARKER};
use crate::{node, say, tools, Failure, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub fn run(args: Vec<String>) -> Result<u8> {
    let args = Args::parse("build", args, &["checklist"], &[], 1)?;
    let project = Project::open(&args.dir())?;
    build(&project, args.flag("checklist"))?;
    Ok(0)
}

/// The folder a build writes: `build`, or `build-checklist` for the checklist build.
pub fn out_dir(project: &Project, checklist: bool) -> PathBuf {
    project.dir.join(if checklist {
        "build-checklist"
    } else {
        "build"
    })
}

/// What the crate's manifest needs for a Durable Object build, as messages.
pub fn preflight_problems(package: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let targets = package["targets"].as_array().cloned().unwrap_or_default();
    let cdylib = targets.iter().any(|t| {
        t["crate_types"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
    });
    if !cdylib {
        problems.push(
            "the library must be a cdylib (and an rlib, for its tests):\n\n[lib]\ncrate-type = [\"cdylib\", \"rlib\"]"
                .to_owned(),
        );
    }
    let deps = package["dependencies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let depends = |name: &str| {
        deps.iter().any(|d| {
            d["rename"].as_str().or(d["name"].as_str()) == Some(name) && d["kind"].is_null()
        })
    };
    if !depends("duract") {
        problems.push("the crate does not depend on duract".to_owned());
    }
    if !depends("worker") {
        problems.push(format!(
            "the crate needs `worker` on wasm32 (`#[event(fetch)]` and the Durable Object classes expand to paths under ::worker):\n\n\
             [target.'cfg(target_arch = \"wasm32\")'.dependencies]\nworker = \"{}\"",
            tools::WORKER_BUILD_VERSION
        ));
    }
    if package["metadata"]["wasm-pack"]["profile"]["release"]["wasm-opt"]
        != serde_json::Value::Bool(false)
    {
        problems.push(
            "wasm-opt must be off, or worker-build downloads it from GitHub (set WASM_OPT_BIN to run an installed one):\n\n\
             [package.metadata.wasm-pack.profile.release]\nwasm-opt = false"
                .to_owned(),
        );
    }
    problems
}

/// Builds the crate; returns the output folder.
pub fn build(project: &Project, checklist: bool) -> Result<PathBuf> {
    let started = Instant::now();
    refuse_unbuildable(project)?;
    let tools = tools::ensure(project)?;
    let esbuild = node::esbuild(&project.dir)?;
    let out = out_dir(project, checklist);
    say(
        "build",
        format!(
            "{} -> {}{}",
            project.name,
            show(&out),
            if checklist {
                " (with the branch-hit recorder)"
            } else {
                ""
            }
        ),
    );
    worker_build(project, &tools, &esbuild, &out, checklist)?;
    let keep_names = std::env::var_os("DURACT_KEEP_NAMES").is_some_and(|v| !v.is_empty());
    finish(&out, !keep_names)?;
    if let Some(wasm_opt) = std::env::var_os("WASM_OPT_BIN").filter(|v| !v.is_empty()) {
        optimize(&wasm_opt, &out.join("index_bg.wasm"))?;
    }
    let size = std::fs::metadata(out.join("index_bg.wasm")).map_or(0, |m| m.len());
    say(
        "build",
        format!(
            "{} ({} KB wasm) in {:.1} s",
            show(&out.join("index.js")),
            size.div_ceil(1024),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(out)
}

/// Fails with every [`preflight_problems`] at once when the manifest is not ready.
fn refuse_unbuildable(project: &Project) -> Result<()> {
    let problems = preflight_problems(&project.package);
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::new(format!(
        "{} cannot be built for Durable Objects:\n- {}",
        show(&project.manifest),
        problems.join("\n- ")
    )))
}

/// Runs `worker-build --release` into `out` with the installed wasm-bindgen and esbuild
/// (and the checklist feature for the checklist build).
fn worker_build(
    project: &Project,
    tools: &tools::Tools,
    esbuild: &Path,
    out: &Path,
    checklist: bool,
) -> Result<()> {
    let out_name = out.file_name().and_then(|n| n.to_str()).unwrap_or("build");
    let mut command = Command::new(&tools.worker_build);
    command
        .args(["--release", "--out-dir", out_name, "."])
        .current_dir(&project.dir)
        .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
        .env("ESBUILD_BIN", esbuild);
    if checklist {
        command.args(["--features", "duract/checklist"]);
    }
    run_status(&mut command, "worker-build")
}

/// Runs `wasm-opt -Oz` on `module` in place, with the wasm features the build uses.
fn optimize(wasm_opt: &OsStr, module: &Path) -> Result<()> {
    run_status(
        Command::new(wasm_opt)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                // wasm-bindgen's panic recovery uses exception handling (try_table).
                "--enable-exception-handling",
            ])
            .arg(module)
            .arg("-o")
            .arg(module),
        "wasm-opt",
    )
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

/// What the build does after worker-build: the entry-point check, the RPC glue, the strip
/// (when `strip`). Running it twice changes nothing.
pub fn finish(out: &Path, strip: bool) -> Result<()> {
    let module_path = out.join("index_bg.wasm");
    let bundle_path = out.join("index.js");
    let module = read(&module_path)?;
    let exports = wasm::exports(&module).map_err(|e| format!("{}: {e}", module_path.display()))?;
    if !exports.iter().any(|e| e == "fetch") {
        return Err(Failure::new(NO_ENTRY_POINT));
    }
    // Actors call each other over Durable Object RPC: the classes need DurableObject's prototype.
    let bundle = String::from_utf8(read(&bundle_path)?)
        .map_err(|_| format!("{}: not UTF-8", bundle_path.display()))?;
    if !bundle.contains(RPC_MARKER) {
        write(
            &bundle_path,
            (bundle + &wasm::rpc_glue("index.js")).as_bytes(),
        )?;
    }
    // Debug names are a quarter of the module and workerd does not need them.
    if !strip {
        return Ok(());
    }
    let stripped = wasm::strip(&module).map_err(|e| format!("{}: {e}", module_path.display()))?;
    if stripped.len() != module.len() {
        write(&module_path, &stripped)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(
        crate_types: &[&str],
        deps: &[(&str, Option<&str>)],
        wasm_opt: serde_json::Value,
    ) -> serde_json::Value {
        json!({
            "targets": [{ "kind": crate_types, "crate_types": crate_types, "name": "app" }],
            "dependencies": deps.iter().map(|(name, kind)| json!({ "name": name, "kind": kind, "rename": null })).collect::<Vec<_>>(),
            "metadata": { "wasm-pack": { "profile": { "release": { "wasm-opt": wasm_opt } } } },
        })
    }

    #[test]
    fn a_ready_crate_has_no_problems() {
        let ok = package(
            &["cdylib", "rlib"],
            &[("duract", None), ("worker", None)],
            json!(false),
        );
        assert_eq!(preflight_problems(&ok), Vec::<String>::new());
    }

    #[test]
    fn each_missing_piece_is_named_with_its_fix() {
        let bad = package(
            &["rlib"],
            &[("duract", None), ("worker", Some("dev"))],
            json!(null),
        );
        let problems = preflight_problems(&bad).join("\n");
        assert!(
            problems.contains("crate-type = [\"cdylib\", \"rlib\"]"),
            "{problems}"
        );
        assert!(problems.contains("worker = \"0.8.7\""), "{problems}");
        assert!(problems.contains("wasm-opt = false"), "{problems}");
        assert!(!problems.contains("depend on duract"), "{problems}");
    }

    #[test]
    fn finish_refuses_a_worker_without_entry_point_and_is_idempotent() {
        let dir = std::env::temp_dir().join(format!("duract-cli-finish-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A module exporting only `memory`, with a name section.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([7, 10, 1, 6]);
        module.extend(b"memory");
        module.extend([2, 0]);
        module.extend([0, 6, 4]);
        module.extend(b"name");
        module.push(0);
        std::fs::write(dir.join("index_bg.wasm"), &module).unwrap();
        std::fs::write(dir.join("index.js"), "export {};\n").unwrap();
        let err = finish(&dir, true).unwrap_err();
        assert!(err.message.contains("#[event(fetch)]"), "{err}");

        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([7, 9, 1, 5]);
        module.extend(b"fetch");
        module.extend([0, 0]);
        let kept = module.clone();
        module.extend([0, 6, 4]);
        module.extend(b"name");
        module.push(0);
        std::fs::write(dir.join("index_bg.wasm"), &module).unwrap();
        finish(&dir, true).unwrap();
        finish(&dir, true).unwrap();
        assert_eq!(std::fs::read(dir.join("index_bg.wasm")).unwrap(), kept);
        let bundle = std::fs::read_to_string(dir.join("index.js")).unwrap();
        assert_eq!(bundle.matches(RPC_MARKER).count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
