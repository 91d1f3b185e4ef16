//! `schema/*.json` (a JSON Schema per actor and for the gateway) and the TypeScript client's
//! `clients/ts/src/generated/chat.ts` are generated from the chat's declarations. This test
//! fails when a checked-in file is not what the declarations give; `DURACT_WRITE_SCHEMA=1`
//! rewrites them instead (`scripts/generate-types` runs exactly that):
//!
//! ```text
//! DURACT_WRITE_SCHEMA=1 cargo test -p duract-example-chat --features schema --test schema
//! ```

use duract::schema::Api;
use duract_example_chat::{Room, Session, User};
use std::path::Path;

#[test]
fn schema_files_and_typescript_are_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema_dir = crate_dir.join("schema");
    let ts_file = crate_dir.join("../../clients/ts/src/generated/chat.ts");
    let generated = Api::new()
        .note("Regenerate: scripts/generate-types")
        .gateway::<Session>()
        .actor::<Room>()
        .actor::<User>()
        .generate();
    let stale = generated.sync_to(&schema_dir, &ts_file).unwrap();
    assert!(
        stale.is_empty(),
        "not what the chat's declarations give: {stale:#?}\nregenerate them with scripts/generate-types"
    );
}
