//! The `duract` binary as a user runs it, on what needs no compilation of actors: usage errors,
//! `duract new`, `duract check` on a list of actors given as a file, the build's refusals.
//! (The whole path, with cargo, wasm and workerd, is scripts/new-crate-check.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn duract(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duract"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the duract binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let none = duract(&[], here);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("usage:"));
    assert_eq!(duract(&["frobnicate"], here).status.code(), Some(2));
    assert_eq!(duract(&["build", "--nope"], here).status.code(), Some(2));
    let help = duract(&["help"], here);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("duract checklist"));
}

#[test]
fn new_writes_a_crate_and_check_compares_it_with_its_actors() {
    let root = scratch("new-and-check");
    let out = duract(&["new", "my-app"], &root);
    assert!(out.status.success(), "{}", stderr(&out));
    let app = root.join("my-app");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "tests/native.rs",
        "tests/actors.rs",
        "wrangler.toml",
        ".gitignore",
    ] {
        assert!(app.join(file).is_file(), "{file}");
    }
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    assert!(manifest.contains(&format!("duract = \"{}\"", env!("CARGO_PKG_VERSION"))));
    let lib = std::fs::read_to_string(app.join("src/lib.rs")).unwrap();
    assert!(lib.contains("#[event(fetch)]"));

    let again = duract(&["new", "my-app"], &root);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"));

    // What tests/actors.rs writes for the new crate.
    let actors = root.join("actors.json");
    std::fs::write(
        &actors,
        r#"{"actors":[{"kind":"session","class":"SessionActor","binding":"SESSION_ACTOR",
            "forwards":[{"kind":"counter","class":"CounterActor","binding":"COUNTER_ACTOR"}]},
           {"kind":"counter","class":"CounterActor","binding":"COUNTER_ACTOR","forwards":[]}]}"#,
    )
    .unwrap();
    let actors = actors.to_str().unwrap();
    let ok = duract(&["check", "my-app", "--actors", actors], &root);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("agrees with the 2 actors"));

    // A second actor the file lacks: named, with its fix; --fix appends it.
    let more = root.join("more.json");
    std::fs::write(
        &more,
        r#"{"actors":[{"kind":"session","class":"SessionActor","binding":"SESSION_ACTOR"},
           {"kind":"counter","class":"CounterActor","binding":"COUNTER_ACTOR"},
           {"kind":"room","class":"RoomActor","binding":"ROOM_ACTOR"}]}"#,
    )
    .unwrap();
    let more = more.to_str().unwrap();
    let bad = duract(&["check", "my-app", "--actors", more], &root);
    assert_eq!(bad.status.code(), Some(1));
    let message = stderr(&bad);
    assert!(message.contains("actor `room` (class RoomActor, binding ROOM_ACTOR): wrangler.toml has no binding ROOM_ACTOR"), "{message}");
    assert!(
        message.contains("no migration creates class RoomActor"),
        "{message}"
    );
    assert!(message.contains("duract check --fix"), "{message}");
    let fixed = duract(&["check", "my-app", "--fix", "--actors", more], &root);
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    let toml = std::fs::read_to_string(app.join("wrangler.toml")).unwrap();
    assert!(
        toml.contains("tag = \"v2\"\nnew_sqlite_classes = [\"RoomActor\"]"),
        "{toml}"
    );
    assert!(duract(&["check", "my-app", "--actors", more], &root)
        .status
        .success());
}

#[test]
fn build_refuses_a_crate_it_cannot_build_before_installing_anything() {
    let root = scratch("build-refusals");
    std::fs::create_dir_all(root.join("plain/src")).unwrap();
    std::fs::write(
        root.join("plain/Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(root.join("plain/src/lib.rs"), "").unwrap();
    let out = duract(&["build", "plain"], &root);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    for expected in [
        "cdylib",
        "does not depend on duract",
        "worker = \"0.8.7\"",
        "wasm-opt = false",
    ] {
        assert!(message.contains(expected), "{expected} in {message}");
    }
    let missing = duract(&["build", "nowhere"], &root);
    assert!(
        stderr(&missing).contains("has no Cargo.toml"),
        "{}",
        stderr(&missing)
    );
}
