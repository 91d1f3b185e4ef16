//! `duract-checklist`: merges the hit files of test runs (native host and workerd) against a
//! crate's branch table and writes the coverage checklist as Markdown, JSON and LCOV. See the
//! library's docs (`duract_checklist`) for the arguments and the files.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(duract_checklist::cli::run(
        std::env::args().skip(1),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ))
}
