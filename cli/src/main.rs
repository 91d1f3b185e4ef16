//! `duract`: the command for a crate of duract actors.
//!
//! ```text
//! duract new <dir> [--name <crate>] [--duract-path <path>]
//! duract build [<dir>] [--checklist]
//! duract dev [<dir>] [--persist <dir>] [--port <n>] [--var KEY=VALUE ...] [--no-build] [--checklist] [--run <command>]
//! duract check [<dir>] [--fix]
//! duract checklist [<dir>] [--e2e <command>] [--var KEY=VALUE ...] [--require HOSTS] [--hits DIR ...] [--mutants]
//! ```
//!
//! See [`USAGE`] and the README's "Your own system, step by step".

mod actors;
mod args;
mod build;
mod check;
mod checklist;
mod dev;
mod new;
mod node;
mod project;
mod templates;
mod tools;
mod wasm;
mod wrangler;

use std::fmt;
use std::process::ExitCode;

/// What `duract help` prints.
pub const USAGE: &str = "\
duract: build and run a crate of duract actors on Cloudflare Durable Objects

usage:
  duract new <dir> [--name <crate>] [--duract-path <path>]
      writes a crate: one actor (a counter), a gateway, the worker entry, a native test,
      tests/actors.rs (the list of the crate's actors) and wrangler.toml generated from them
  duract build [<dir>] [--checklist]
      builds the crate to wasm for workerd into <dir>/build (--checklist: with the branch-hit
      recorder, into <dir>/build-checklist); installs wasm-bindgen-cli and worker-build into
      ~/.cache/duract/tools once, from crates.io
  duract dev [<dir>] [--persist <dir>] [--port <n>] [--var KEY=VALUE]... [--no-build] [--checklist]
             [--run <command>]
      builds, then serves the worker in workerd (Miniflare) on http://127.0.0.1:8787 with its
      Durable Object storage on disk (default <dir>/.duract/state); Ctrl-C stops it
      (--run: on any free port with fresh storage, runs the shell command in <dir> with the
      URL in DURACT_URL, e.g. an e2e suite, then stops; its exit status is the command's)
  duract check [<dir>] [--fix]
      compares wrangler.toml with the crate's actors: classes, bindings, SQLite migrations
      (--fix appends the missing bindings and a migration for the missing classes)
  duract checklist [<dir>] [--e2e <command>] [--var KEY=VALUE]...
                   [--require native|workerd|native,workerd|none] [--hits <dir>]... [--mutants]
      writes the branch table (checklist/branches.json), runs the crate's tests with the hit
      recorder, writes the checklist (checklist/checklist.md, .json, lcov.info) and gates
      (--e2e: also builds with the recorder, serves it, runs the command with the URL in
      DURACT_URL and collects workerd's hits; then both hosts are required;
      --mutants: also runs each branch's mutant on the tests that hit it, and gates on them)

<dir> defaults to the current directory. Environment: DURACT_TOOLS (tools folder),
DURACT_NODE_MODULES (a node_modules with miniflare and esbuild to use), ESBUILD_BIN,
WASM_OPT_BIN (runs wasm-opt -Oz after the build), CARGO_TARGET_DIR.";

/// A failure: the message printed after `duract: ` and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// A failure with exit status 1.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    /// A usage error (exit status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: format!("{}\n\n{USAGE}", message.into()),
            code: 2,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::new(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::new(message)
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// A progress line on stderr.
pub fn say(command: &str, line: impl fmt::Display) {
    eprintln!("duract {command}: {line}");
}

fn run(args: Vec<String>) -> Result<u8> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err(Failure::usage("no command given"));
    };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "new" => new::run(rest),
        "build" => build::run(rest),
        "dev" => dev::run(rest),
        "check" => check::run(rest),
        "checklist" => checklist::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        "--version" | "-V" | "version" => {
            println!("duract {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        other => Err(Failure::usage(format!("unknown command `{other}`"))),
    }
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("duract: {failure}");
            ExitCode::from(failure.code)
        }
    }
}
