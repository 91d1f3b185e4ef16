//! `schema/*.json` (a JSON Schema per actor and for the gateway) and the TypeScript client's
//! `clients/ts/src/generated/example.ts` are generated from the example's declarations: every
//! `#[message]` and `#[payload]` type, and the reply of each route from its handler's return
//! type. This test fails when a checked-in file is not what the declarations give;
//! `DURACT_WRITE_SCHEMA=1` rewrites them instead (`scripts/generate-types` runs exactly that):
//!
//! ```text
//! DURACT_WRITE_SCHEMA=1 cargo test -p duract-example-system --features schema --test schema
//! ```

use duract::schema::{sync, Api};
use duract_example_system::{Coordinator, Session, Worker};
use std::path::{Path, PathBuf};

const REGENERATE: &str = "Regenerate: scripts/generate-types";

#[test]
fn schema_files_and_typescript_are_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema_dir = crate_dir.join("schema");
    let ts_file = crate_dir.join("../../clients/ts/src/generated/example.ts");
    let generated = Api::new()
        .note(REGENERATE)
        .gateway::<Session>()
        .actor::<Coordinator>()
        .actor::<Worker>()
        .generate();
    let mut files: Vec<(PathBuf, String)> = generated
        .json
        .into_iter()
        .map(|(name, text)| (schema_dir.join(name), text))
        .collect();
    files.push((ts_file, generated.typescript));
    let write = std::env::var_os("DURACT_WRITE_SCHEMA").is_some_and(|v| !v.is_empty() && v != "0");
    let stale = sync(&files, &[(&schema_dir, "json")], write).unwrap();
    assert!(
        stale.is_empty(),
        "not what the example's declarations give: {stale:#?}\nregenerate them with\n  \
         scripts/generate-types\n(DURACT_WRITE_SCHEMA=1 cargo test -p duract-example-system --features schema --test schema)"
    );
}
