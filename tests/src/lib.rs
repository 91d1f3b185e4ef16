//! Workspace-level tests of duract's macros.
//!
//! This library holds the fixtures the tests share: three actors and ten messages written
//! with the macros ([`fixtures`]; also the crate whose `cargo check` time is reported), and a
//! minimal host [`port::TestPort`] to run generated dispatch against [`duract::MemoryStorage`].
//! The tests are in `tests/`: `ui` (trybuild cases in `ui/<macro>/<mistake>.rs`), `hygiene`,
//! `dispatch`, `persistence`, `branches`; the benchmark in `benches/dispatch.rs`.

pub mod fixtures;
pub mod port;
