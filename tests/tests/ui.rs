//! Every misuse of the macros is a compile error at the offending token: one case per rule,
//! `ui/<macro>/<mistake>.rs`, with the expected compiler output beside it (`.stderr`).
//! Regenerate after an intended change with `TRYBUILD=overwrite` and review the diff.

#[test]
fn macro_mistakes_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*/*.rs");
}
