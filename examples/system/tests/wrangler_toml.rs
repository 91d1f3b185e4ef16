//! `wrangler.toml` must agree with the actors in the code: one Durable Object binding per actor
//! with the binding name and class name its `ActorInfo` declares, each class created by a
//! migration as a SQLite class, nothing bound that no actor runs, and the example's variables.

use duract::{ActorInfo, Target};
use duract_example_system::{Coordinator, Session, Worker};
use std::collections::BTreeMap;

/// Every actor of the example. Keep in step with the crate's actors.
const ACTORS: &[&ActorInfo] = &[Session::INFO, Coordinator::INFO, Worker::INFO];

/// The variables protocol.md names.
const VARS: &[&str] = &[
    "WORK_MS",
    "MAX_FRAME_BYTES",
    "TASK_LEASE_MS",
    "MAX_WORKERS",
    "MAX_QUEUED_TASKS",
    "MAX_INFLIGHT",
    "MAX_ID_BYTES",
    "MAX_SESSION_NAME_BYTES",
    "MAX_DASHBOARD_WATCHERS",
    "DASHBOARD_PUSH_MS",
    "DASHBOARD_WATCH_MS",
];

#[derive(Default, Debug)]
struct Wrangler {
    /// binding name -> class name
    bindings: BTreeMap<String, String>,
    sqlite_classes: Vec<String>,
    vars: BTreeMap<String, String>,
}

/// The subset of TOML wrangler.toml uses: `[table]`, `[[array.of.tables]]`, `key = "string"`,
/// `key = ["a", "b"]`, comments. Anything else in a table this test reads fails the test.
fn parse(text: &str) -> Wrangler {
    let mut out = Wrangler::default();
    let mut table = String::new();
    let mut binding: Option<(Option<String>, Option<String>)> = None;
    let flush = |binding: &mut Option<(Option<String>, Option<String>)>, out: &mut Wrangler| {
        if let Some((name, class)) = binding.take() {
            let name = name.expect("a durable_objects binding without `name`");
            let class = class.expect("a durable_objects binding without `class_name`");
            assert!(
                out.bindings.insert(name.clone(), class).is_none(),
                "binding {name} twice"
            );
        }
    };
    for raw in text.lines() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            flush(&mut binding, &mut out);
            table = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            if line == "[[durable_objects.bindings]]" {
                binding = Some((None, None));
            }
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not `key = value`: {raw}"));
        let (key, value) = (key.trim(), value.trim());
        match (table.as_str(), key) {
            ("durable_objects.bindings", "name") => {
                binding.as_mut().unwrap().0 = Some(string(value))
            }
            ("durable_objects.bindings", "class_name") => {
                binding.as_mut().unwrap().1 = Some(string(value))
            }
            ("durable_objects.bindings", other) => panic!("unexpected binding key {other}"),
            ("migrations", "new_sqlite_classes") => out.sqlite_classes.extend(array(value)),
            ("migrations", "new_classes") => panic!("use new_sqlite_classes, not new_classes"),
            ("vars", var) => {
                out.vars.insert(var.to_owned(), string(value));
            }
            _ => {}
        }
    }
    flush(&mut binding, &mut out);
    out
}

fn string(value: &str) -> String {
    let inner = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
    inner
        .unwrap_or_else(|| panic!("expected a quoted string, got {value}"))
        .to_owned()
}

fn array(value: &str) -> Vec<String> {
    let inner = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
    let inner = inner.unwrap_or_else(|| panic!("expected a one-line array, got {value}"));
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(string)
        .collect()
}

fn wrangler() -> Wrangler {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml");
    parse(&std::fs::read_to_string(path).expect("examples/system/wrangler.toml"))
}

#[test]
fn every_actor_has_its_binding_and_class() {
    let toml = wrangler();
    for info in ACTORS {
        assert_eq!(
            toml.bindings.get(info.binding).map(String::as_str),
            Some(info.class),
            "actor kind `{}` needs `[[durable_objects.bindings]] name = \"{}\" class_name = \"{}\"`",
            info.kind,
            info.binding,
            info.class
        );
        assert!(
            toml.sqlite_classes.iter().any(|c| c == info.class),
            "class {} is not created by a `new_sqlite_classes` migration",
            info.class
        );
    }
}

#[test]
fn nothing_is_bound_that_no_actor_runs() {
    let toml = wrangler();
    for (binding, class) in &toml.bindings {
        assert!(
            ACTORS
                .iter()
                .any(|i| i.binding == binding && i.class == class),
            "wrangler.toml binds {binding} = {class}, which no actor declares"
        );
    }
    for class in &toml.sqlite_classes {
        assert!(
            ACTORS.iter().any(|i| i.class == class),
            "migration creates unknown class {class}"
        );
    }
}

#[test]
fn gateway_forwards_reach_bound_actors() {
    let toml = wrangler();
    for info in ACTORS {
        for forward in info.gateway.map_or(&[][..], |g| g.forwards) {
            assert!(
                toml.bindings.contains_key(forward.target.binding),
                "gateway {} forwards {} to unbound {}",
                info.kind,
                forward.kind,
                forward.target.binding
            );
        }
    }
}

#[test]
fn the_protocol_variables_are_set() {
    let toml = wrangler();
    for var in VARS {
        let value = toml
            .vars
            .get(*var)
            .unwrap_or_else(|| panic!("[vars] lacks {var}"));
        assert!(
            value.parse::<u64>().is_ok(),
            "{var} = {value:?} is not a number of ms/bytes"
        );
    }
}

#[test]
fn the_parser_reads_what_it_checks() {
    let t = parse(
        "[[durable_objects.bindings]]\nname = \"A\"\nclass_name = \"B\" # c\n[vars]\nX = \"1\"\n\
         [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"B\", \"C\"]\n",
    );
    assert_eq!(t.bindings.get("A").map(String::as_str), Some("B"));
    assert_eq!(t.sqlite_classes, ["B", "C"]);
    assert_eq!(t.vars.get("X").map(String::as_str), Some("1"));
}

/// The session naming rules of the worker entry (`duract::upgrade`, applied by
/// `duract::durable::gateway_entry`).
#[test]
fn session_names_follow_the_protocol() {
    use duract::upgrade::{random_name, session_name, Refusal};
    let name = |q: &[(&str, &str)]| session_name(q.iter().copied(), 128).unwrap();
    assert_eq!(name(&[("session", "s1")]).as_deref(), Some("s1"));
    assert_eq!(name(&[("userId", "bob")]).as_deref(), Some("user:bob"));
    assert_eq!(
        name(&[("session", "s1"), ("userId", "bob")]).as_deref(),
        Some("user:bob")
    );
    assert_eq!(
        name(&[("userId", ""), ("session", "s1")]).as_deref(),
        Some("s1")
    );
    assert_eq!(
        name(&[("userId", ""), ("userId", "bob")]),
        None,
        "the first occurrence counts"
    );
    assert_eq!(
        name(&[("session", "a"), ("session", "b")]).as_deref(),
        Some("a")
    );
    assert_eq!(name(&[("session", "")]), None);
    assert_eq!(name(&[("other", "x")]), None);
    assert_eq!(name(&[("session", "user:bob")]), name(&[("userId", "bob")]));
    assert_eq!(
        session_name([("session", "abc\r\nx")], 128),
        Err(Refusal::InvalidSessionName)
    );
    let r = random_name([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255]);
    assert_eq!(r, "000102030405060708090a0b0c0d0eff");
}
