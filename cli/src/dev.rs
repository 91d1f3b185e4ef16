//! `duract dev [<dir>] [--persist <dir>] [--port <n>] [--var KEY=VALUE]... [--no-build]
//! [--checklist] [--run <command>]`: builds the crate, then serves it in workerd (Miniflare,
//! through Node) with wrangler.toml's compatibility date and flags, variables, Durable Object
//! bindings and KV namespaces (local, empty at first), and the storage on disk (default
//! `<dir>/.duract/state`, KV included).
//!
//! `--run <command>`: serves on any free port (unless `--port`) with fresh storage (unless
//! `--persist`), runs the shell command in `<dir>` with the URL in `DURACT_URL` (an e2e test
//! suite), then stops workerd; the exit status is the command's.
//!
//! Variables: wrangler.toml's `[vars]`, then `<dir>/.dev.vars` (local secrets such as
//! `AUTH_SECRET`), then `--var`. The launcher is [`LAUNCHER`], written to
//! `~/.cache/duract/dev/` and run with node (on Unix the command becomes node: signals reach it
//! directly); it prints `{"url": ...}` on stdout once workerd listens.

use crate::args::Args;
use crate::project::{cache_dir, show, Project};
use crate::{build, node, say, wrangler, Failure, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Node script that starts Miniflare.
pub const LAUNCHER: &str = include_str!("../assets/launch.mjs");

pub fn run(args: Vec<String>) -> Result<u8> {
    let args = Args::parse(
        "dev",
        args,
        &["no-build", "checklist"],
        &["persist", "port", "var", "host", "run"],
        1,
    )?;
    let project = Project::open(&args.dir())?;
    let checklist = args.flag("checklist");
    let out = if args.flag("no-build") {
        build::out_dir(&project, checklist)
    } else {
        build::build(&project, checklist)?
    };
    let Some(command) = args.option("run") else {
        let persist = args
            .option("persist")
            .map_or_else(|| project.dir.join(".duract").join("state"), PathBuf::from);
        let serve = Serve {
            persist,
            port: args.option("port").unwrap_or("8787"),
            ..Serve::from_args(&args)
        };
        return exec(launcher(&project, &out, &serve)?);
    };
    let persist = Scratch::new(args.option("persist"));
    let serve = Serve {
        persist: persist.path.clone(),
        port: args.option("port").unwrap_or("0"),
        ..Serve::from_args(&args)
    };
    run_against(launcher(&project, &out, &serve)?, command, &project.dir)
}

/// How to serve a build.
pub struct Serve<'a> {
    pub persist: PathBuf,
    pub port: &'a str,
    pub host: &'a str,
    /// `KEY=VALUE` variables over wrangler.toml's and `.dev.vars`'.
    pub vars: &'a [String],
    /// Stop workerd when the launcher's stdin ends (set by [`run_against`]'s callers).
    pub stop_on_stdin_end: bool,
    /// Where to write workerd's branch hits when stopping, and the test they are counted to.
    pub hits: Option<(PathBuf, String)>,
}

impl<'a> Serve<'a> {
    /// `--host`, `--var` and defaults for the rest.
    pub fn from_args(args: &'a Args) -> Serve<'a> {
        Serve {
            persist: PathBuf::new(),
            port: "0",
            host: args.option("host").unwrap_or("127.0.0.1"),
            vars: args.options("var"),
            stop_on_stdin_end: args.option("run").is_some(),
            hits: None,
        }
    }
}

/// The node command that serves `project`'s build in `out` as `serve` says.
pub fn launcher(project: &Project, out: &Path, serve: &Serve) -> Result<Command> {
    require_build(out)?;
    let config = read_wrangler(project)?;
    let vars = merged_vars(project, &config, serve.vars)?;
    let persist = &serve.persist;
    std::fs::create_dir_all(persist).map_err(|e| format!("{}: {e}", persist.display()))?;
    let persist = persist
        .canonicalize()
        .map_err(|e| format!("{}: {e}", persist.display()))?;
    let port: u16 = serve
        .port
        .parse()
        .map_err(|_| Failure::usage("duract dev: --port takes a port number (0: any free port)"))?;

    let node = node::node()?;
    let node_modules = node::node_modules_with(&project.dir, "miniflare")?;
    let launcher = write_launcher()?;
    let mut launch = launch_config(
        &config,
        &vars,
        &LaunchPaths {
            name: config.name.clone().unwrap_or_else(|| project.name.clone()),
            node_modules,
            build_dir: out.to_owned(),
            persist,
            host: serve.host.to_owned(),
            port,
        },
    );
    launch["stopOnStdinEnd"] = serve.stop_on_stdin_end.into();
    if let Some((file, test)) = &serve.hits {
        launch["hitsOut"] = file.display().to_string().into();
        launch["hitsTest"] = test.clone().into();
    }
    let mut command = Command::new(node);
    command.arg(&launcher).arg(launch.to_string());
    Ok(command)
}

/// Fails, naming the build command to run, when `out` lacks the bundle or the module.
fn require_build(out: &Path) -> Result<()> {
    let checklist = out.ends_with("build-checklist");
    for file in ["index.js", "index_bg.wasm"] {
        if !out.join(file).is_file() {
            return Err(Failure::new(format!(
                "{} is missing: run `duract build{}` first",
                show(&out.join(file)),
                if checklist { " --checklist" } else { "" }
            )));
        }
    }
    Ok(())
}

/// The crate's wrangler.toml, parsed.
fn read_wrangler(project: &Project) -> Result<wrangler::Wrangler> {
    let toml_path = project.dir.join("wrangler.toml");
    let text = std::fs::read_to_string(&toml_path).map_err(|_| {
        Failure::new(format!(
            "{} has no wrangler.toml (`duract check --fix` writes one from the actors)",
            show(&project.dir)
        ))
    })?;
    wrangler::parse(&text).map_err(|e| Failure::new(format!("{}: {e}", show(&toml_path))))
}

/// wrangler.toml's `[vars]`, then `.dev.vars`, then the `KEY=VALUE`s of `--var`, each over
/// the one before.
fn merged_vars(
    project: &Project,
    config: &wrangler::Wrangler,
    overrides: &[String],
) -> Result<BTreeMap<String, String>> {
    let mut vars = config.vars.clone();
    if let Ok(text) = std::fs::read_to_string(project.dir.join(".dev.vars")) {
        vars.extend(dev_vars(&text));
    }
    for kv in overrides {
        let (key, value) = kv
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| Failure::usage(format!("duract dev: --var {kv}: expected KEY=VALUE")))?;
        vars.insert(key.to_owned(), value.to_owned());
    }
    Ok(vars)
}

/// Starts `launcher`, runs `command` (a shell command, in `dir`) with the served URL in
/// `DURACT_URL` once workerd listens, then stops workerd (closing the launcher's stdin). The
/// command's exit status; a failure when workerd does not start or its stop fails (the hits).
pub fn run_against(mut launcher: Command, command: &str, dir: &Path) -> Result<u8> {
    let mut child = launcher
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::new(format!("cannot run node: {e}")))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let url = BufReader::new(stdout)
        .lines()
        .map_while(|l| l.ok())
        .find_map(|line| {
            serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|v| v["url"].as_str().map(str::to_owned))
        });
    let Some(url) = url else {
        let status = child.wait().map_err(|e| format!("node: {e}"))?;
        return Err(Failure::new(format!(
            "workerd did not start ({status}; its log is above)"
        )));
    };
    say("dev", format!("running `{command}` with DURACT_URL={url}"));
    let status = shell(command)
        .current_dir(dir)
        .env("DURACT_URL", &url)
        .status()
        .map_err(|e| Failure::new(format!("cannot run `{command}`: {e}")));
    drop(child.stdin.take()); // the launcher stops workerd when its stdin ends
    let stopped = child.wait().map_err(|e| format!("node: {e}"))?;
    let status = status?;
    if !stopped.success() {
        return Err(Failure::new(format!(
            "stopping workerd failed ({stopped}; its log is above)"
        )));
    }
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}

/// `command` run by the platform's shell.
fn shell(command: &str) -> Command {
    if cfg!(windows) {
        let mut shell = Command::new("cmd");
        shell.args(["/C", command]);
        shell
    } else {
        let mut shell = Command::new("sh");
        shell.args(["-c", command]);
        shell
    }
}

/// Storage for one `--run`: the folder given, else a fresh temporary one removed afterwards.
pub struct Scratch {
    pub path: PathBuf,
    remove: bool,
}

impl Scratch {
    pub fn new(given: Option<&str>) -> Scratch {
        if let Some(dir) = given {
            return Scratch {
                path: PathBuf::from(dir),
                remove: false,
            };
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("duract-run-{}-{nanos}", std::process::id()));
        Scratch { path, remove: true }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// `.dev.vars`: `KEY=VALUE` lines (values optionally quoted), `#` comments.
pub fn dev_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| v.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
                .unwrap_or(v);
            (k.trim().to_owned(), unquoted.to_owned())
        })
        .collect()
}

/// Where the launcher runs things.
pub struct LaunchPaths {
    pub name: String,
    pub node_modules: PathBuf,
    pub build_dir: PathBuf,
    pub persist: PathBuf,
    pub host: String,
    pub port: u16,
}

/// The launcher's argument.
pub fn launch_config(
    config: &wrangler::Wrangler,
    vars: &BTreeMap<String, String>,
    paths: &LaunchPaths,
) -> Value {
    let sqlite: Vec<String> = config
        .classes()
        .into_iter()
        .filter(|c| c.1 == wrangler::Backend::Sqlite)
        .map(|c| c.0)
        .collect();
    let durable: Map<String, Value> = config
        .local_bindings()
        .map(|b| {
            (
                b.name.clone(),
                json!({ "className": b.class_name, "useSQLite": sqlite.contains(&b.class_name) }),
            )
        })
        .collect();
    json!({
        "name": paths.name,
        "nodeModules": paths.node_modules,
        "buildDir": paths.build_dir,
        "persist": paths.persist,
        "host": paths.host,
        "port": paths.port,
        "compatibilityDate": config.compatibility_date.as_deref().unwrap_or(wrangler::COMPATIBILITY_DATE),
        "compatibilityFlags": config.compatibility_flags,
        "bindings": vars,
        "durableObjects": durable,
        "kvNamespaces": config.kv_namespaces,
    })
}

/// Writes the launcher into `~/.cache/duract/dev/` (replaced atomically when it changed).
fn write_launcher() -> Result<PathBuf> {
    let dir = cache_dir().join("dev");
    let path = dir.join("launch.mjs");
    if std::fs::read_to_string(&path).ok().as_deref() == Some(LAUNCHER) {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let temp = dir.join(format!("launch.mjs.{}", std::process::id()));
    std::fs::write(&temp, LAUNCHER).map_err(|e| format!("{}: {e}", temp.display()))?;
    std::fs::rename(&temp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(unix)]
fn exec(mut command: Command) -> Result<u8> {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    Err(Failure::new(format!("cannot run node: {error}")))
}

#[cfg(not(unix))]
fn exec(mut command: Command) -> Result<u8> {
    let status = command
        .status()
        .map_err(|e| Failure::new(format!("cannot run node: {e}")))?;
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_vars_are_read() {
        let vars = dev_vars("# secrets\nAUTH_SECRET=\"s3cr=t\"\n\nX = 'y'\nPLAIN=1\nbroken\n");
        assert_eq!(vars.get("AUTH_SECRET").map(String::as_str), Some("s3cr=t"));
        assert_eq!(vars.get("X").map(String::as_str), Some("y"));
        assert_eq!(vars.get("PLAIN").map(String::as_str), Some("1"));
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn the_launcher_gets_bindings_and_sqlite_classes() {
        let config = wrangler::parse(
            "name = \"app\"\nmain = \"build/index.js\"\ncompatibility_date = \"2026-01-01\"\n\
             [vars]\nA = \"1\"\nN = 5\n\
             [[durable_objects.bindings]]\nname = \"C_ACTOR\"\nclass_name = \"CActor\"\n\
             [[durable_objects.bindings]]\nname = \"R\"\nclass_name = \"X\"\nscript_name = \"other\"\n\
             [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"CActor\"]\n\
             [[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"abc\"\n",
        )
        .unwrap();
        let launch = launch_config(
            &config,
            &config.vars,
            &LaunchPaths {
                name: "app".into(),
                node_modules: "/nm".into(),
                build_dir: "/b".into(),
                persist: "/p".into(),
                host: "127.0.0.1".into(),
                port: 0,
            },
        );
        assert_eq!(launch["compatibilityDate"], "2026-01-01");
        assert_eq!(launch["bindings"], json!({ "A": "1", "N": "5" }));
        assert_eq!(
            launch["durableObjects"],
            json!({ "C_ACTOR": { "className": "CActor", "useSQLite": true } })
        );
        assert_eq!(launch["kvNamespaces"], json!(["CACHE"]));
    }

    #[test]
    fn the_launcher_reads_its_argument() {
        assert!(LAUNCHER.contains("JSON.parse(process.argv[2])"));
        assert!(LAUNCHER.contains("durableObjectsPersist: config.persist"));
        assert!(LAUNCHER.contains("kvPersist: config.persist"));
    }

    /// A stand-in launcher: prints the URL line, then waits for its stdin to end and writes
    /// `stopped` into `dir`.
    #[cfg(unix)]
    fn fake_launcher(dir: &Path) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!(
            "echo starting; echo '{{\"url\":\"http://127.0.0.1:1\"}}'; cat >/dev/null; touch {}/stopped",
            dir.display()
        ));
        command
    }

    #[cfg(unix)]
    #[test]
    fn run_against_runs_the_command_with_the_url_then_stops_the_server() {
        let dir = Scratch::new(None);
        std::fs::create_dir_all(&dir.path).unwrap();
        let check = r#"test "$DURACT_URL" = http://127.0.0.1:1 && exit 7"#;
        let code = run_against(fake_launcher(&dir.path), check, &dir.path).unwrap();
        assert_eq!(code, 7, "the command's status, and it saw DURACT_URL");
        assert!(dir.path.join("stopped").is_file(), "stdin closed: stopped");
    }

    #[cfg(unix)]
    #[test]
    fn run_against_fails_when_the_server_does_not_start() {
        let mut launcher = Command::new("sh");
        launcher.args(["-c", "echo no url; exit 1"]);
        let error = run_against(launcher, "true", Path::new(".")).unwrap_err();
        assert!(error.message.contains("did not start"), "{error}");
    }
}
