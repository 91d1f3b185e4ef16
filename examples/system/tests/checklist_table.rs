//! `checklist/branches.json` is the example's branch table, the list the `duract-checklist`
//! command checks hits against. This test fails when the file is not the current table (a
//! branch was added, removed or moved); `DURACT_WRITE_TABLE=1` rewrites it instead:
//!
//! ```text
//! DURACT_WRITE_TABLE=1 cargo test -p duract-example-system --test checklist_table
//! ```

use duract::{checklist, Target};
use duract_example_system::{Coordinator, Session, Worker};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/checklist/branches.json");

#[test]
fn branches_json_is_the_current_table() {
    let current = checklist::table_json(&[Session::INFO, Coordinator::INFO, Worker::INFO]);
    if std::env::var_os("DURACT_WRITE_TABLE").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(PATH, &current).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        stored == current,
        "{PATH} is not the example's current branch table; regenerate it with\n  \
         DURACT_WRITE_TABLE=1 cargo test -p duract-example-system --test checklist_table"
    );
}
