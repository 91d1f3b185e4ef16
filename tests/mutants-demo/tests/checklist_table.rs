//! `checklist/branches.json` is the counter's branch table; `DURACT_WRITE_TABLE=1` rewrites it.

use duract::{checklist, Target};
use duract_mutants_demo::Counter;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/checklist/branches.json");

#[test]
fn branches_json_is_the_current_table() {
    let current = checklist::table_json(&[Counter::INFO]);
    if std::env::var_os("DURACT_WRITE_TABLE").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(PATH, &current).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(stored == current, "{PATH} is stale: DURACT_WRITE_TABLE=1 cargo test -p duract-mutants-demo --test checklist_table");
}
