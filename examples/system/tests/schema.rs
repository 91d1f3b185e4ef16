//! `schema/*.json` (a JSON Schema per actor and for the gateway) and the TypeScript client's
//! `clients/ts/src/generated/example.ts` are generated from the example's declarations: every
//! `#[message]` and `#[payload]` type, and the reply of each route from its handler's return
//! type. This test fails when a checked-in file is not what the declarations give;
//! `DURACT_WRITE_SCHEMA=1` rewrites them instead (`scripts/generate-types` runs exactly that):
//!
//! ```text
//! DURACT_WRITE_SCHEMA=1 cargo test -p duract-example-system --features schema --test schema
//! ```

use duract::schema::Api;
use duract_example_system::{Coordinator, Session, Worker};
use std::path::Path;

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
    let stale = generated.sync_to(&schema_dir, &ts_file).unwrap();
    assert!(
        stale.is_empty(),
        "not what the example's declarations give: {stale:#?}\nregenerate them with\n  \
         scripts/generate-types\n(DURACT_WRITE_SCHEMA=1 cargo test -p duract-example-system --features schema --test schema)"
    );
}
