//! The arguments of a subcommand: positionals, boolean flags and options with values
//! (`--name value` or `--name=value`, repeatable).

use crate::{Failure, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Parsed arguments.
#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    flags: BTreeSet<String>,
    options: BTreeMap<String, Vec<String>>,
}

impl Args {
    /// Parses `args` of `command`: `flags` take no value, `options` take one; at most
    /// `positionals` positional arguments.
    pub fn parse(
        command: &str,
        args: Vec<String>,
        flags: &[&str],
        options: &[&str],
        positionals: usize,
    ) -> Result<Args> {
        let mut out = Args::default();
        let mut args = args.into_iter();
        let mut only_positional = false;
        while let Some(arg) = args.next() {
            if only_positional || !arg.starts_with("--") || arg == "-" {
                out.positional.push(arg);
                continue;
            }
            if arg == "--" {
                only_positional = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), None),
            };
            let bare = &name[2..];
            if flags.contains(&bare) {
                if inline.is_some() {
                    return Err(Failure::usage(format!(
                        "duract {command}: {name} takes no value"
                    )));
                }
                out.flags.insert(bare.to_owned());
            } else if options.contains(&bare) {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().ok_or_else(|| {
                        Failure::usage(format!("duract {command}: {name} needs a value"))
                    })?,
                };
                out.options.entry(bare.to_owned()).or_default().push(value);
            } else {
                return Err(Failure::usage(format!(
                    "duract {command}: unknown option {name}"
                )));
            }
        }
        if out.positional.len() > positionals {
            return Err(Failure::usage(format!(
                "duract {command}: unexpected argument `{}`",
                out.positional[positionals]
            )));
        }
        Ok(out)
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(name)
    }

    /// The last value of `--name`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of `--name`, in order.
    pub fn options(&self, name: &str) -> &[String] {
        self.options.get(name).map_or(&[], Vec::as_slice)
    }

    /// The crate folder: the first positional, else the current directory.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(self.positional.first().map_or(".", String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_options_and_positionals() {
        let args = Args::parse(
            "dev",
            strings(&[
                "app",
                "--persist",
                "s",
                "--var=A=1",
                "--var",
                "B=2",
                "--no-build",
            ]),
            &["no-build"],
            &["persist", "var"],
            1,
        )
        .unwrap();
        assert_eq!(args.dir(), PathBuf::from("app"));
        assert_eq!(args.option("persist"), Some("s"));
        assert_eq!(args.options("var"), ["A=1", "B=2"]);
        assert!(args.flag("no-build"));
        assert!(!args.flag("checklist"));
    }

    #[test]
    fn mistakes_are_usage_errors() {
        let parse = |a: &[&str]| Args::parse("build", strings(a), &["checklist"], &["x"], 1);
        assert_eq!(parse(&["--nope"]).unwrap_err().code, 2);
        assert_eq!(parse(&["--x"]).unwrap_err().code, 2);
        assert_eq!(parse(&["a", "b"]).unwrap_err().code, 2);
        assert_eq!(parse(&["--checklist=1"]).unwrap_err().code, 2);
        assert_eq!(parse(&[]).unwrap().dir(), PathBuf::from("."));
    }
}
