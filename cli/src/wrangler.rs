//! `wrangler.toml`: what the command reads of it (the worker's name, entry, compatibility date
//! and flags, variables, Durable Object bindings and migrations, KV namespaces), the file `duract new` writes
//! from the actors, and the comparison `duract check` makes.

use crate::actors::Actor;
use std::collections::{BTreeMap, BTreeSet};
use toml::{Table, Value};

/// The compatibility date new crates get (the example's; workerd of the pinned Miniflare
/// supports it).
pub const COMPATIBILITY_DATE: &str = "2026-04-20";
/// Where `duract build` writes the bundle, as wrangler.toml's `main`.
pub const MAIN: &str = "build/index.js";

/// A Durable Object binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub class_name: String,
    /// Set when the class runs in another worker.
    pub script_name: Option<String>,
}

/// One migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migration {
    pub tag: String,
    pub new_sqlite_classes: Vec<String>,
    pub new_classes: Vec<String>,
    pub renamed_classes: Vec<(String, String)>,
    pub deleted_classes: Vec<String>,
}

/// What the command reads of wrangler.toml.
#[derive(Debug, Default)]
pub struct Wrangler {
    pub name: Option<String>,
    pub main: Option<String>,
    pub compatibility_date: Option<String>,
    pub compatibility_flags: Vec<String>,
    /// `[vars]`, each as a string (others as their JSON).
    pub vars: BTreeMap<String, String>,
    pub bindings: Vec<Binding>,
    pub migrations: Vec<Migration>,
    /// The bindings of `[[kv_namespaces]]`.
    pub kv_namespaces: Vec<String>,
}

fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{what}: expected strings, found {}", json(v)))
            })
            .collect(),
        Some(other) => Err(format!(
            "{what}: expected an array of strings, found {}",
            json(other)
        )),
    }
}

fn string(table: &Table, key: &str, what: &str) -> Result<Option<String>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{what}{key}: expected a string, found {}",
            json(other)
        )),
    }
}

fn tables<'t>(value: Option<&'t Value>, what: &str) -> Result<Vec<&'t Table>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_table()
                    .ok_or_else(|| format!("{what}: expected tables, found {}", json(v)))
            })
            .collect(),
        Some(other) => Err(format!(
            "{what}: expected an array of tables, found {}",
            json(other)
        )),
    }
}

/// The JSON of a TOML value (what Miniflare gets for a non-string variable).
fn json(value: &Value) -> serde_json::Value {
    match value {
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Value::from(*f),
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        Value::Array(items) => items.iter().map(json).collect(),
        Value::Table(t) => t.iter().map(|(k, v)| (k.clone(), json(v))).collect(),
    }
}

/// Parses wrangler.toml's text.
pub fn parse(text: &str) -> Result<Wrangler, String> {
    let table: Table = text.parse().map_err(|e| format!("{e}"))?;
    Ok(Wrangler {
        name: string(&table, "name", "")?,
        main: string(&table, "main", "")?,
        compatibility_date: string(&table, "compatibility_date", "")?,
        compatibility_flags: strings(table.get("compatibility_flags"), "compatibility_flags")?,
        vars: parse_vars(&table)?,
        bindings: parse_bindings(&table)?,
        kv_namespaces: parse_kv_namespaces(&table)?,
        migrations: tables(table.get("migrations"), "migrations")?
            .into_iter()
            .enumerate()
            .map(|(i, migration)| parse_migration(&format!("migrations[{i}]"), migration))
            .collect::<Result<_, _>>()?,
    })
}

/// `[vars]`: strings as they are, other values as their JSON.
fn parse_vars(table: &Table) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    if let Some(vars) = table.get("vars") {
        let vars = vars.as_table().ok_or("[vars] is not a table")?;
        for (key, value) in vars {
            let text = match value {
                Value::String(s) => s.clone(),
                other => json(other).to_string(),
            };
            out.insert(key.clone(), text);
        }
    }
    Ok(out)
}

/// `[[durable_objects.bindings]]`: each needs a name and a class name.
fn parse_bindings(table: &Table) -> Result<Vec<Binding>, String> {
    let durable = table.get("durable_objects").and_then(Value::as_table);
    let bindings = tables(
        durable.and_then(|d| d.get("bindings")),
        "durable_objects.bindings",
    )?;
    let mut out = Vec::new();
    for (i, binding) in bindings.into_iter().enumerate() {
        let what = format!("durable_objects.bindings[{i}].");
        let name = string(binding, "name", &what)?.ok_or(format!("{what}name is missing"))?;
        let class_name = string(binding, "class_name", &what)?
            .ok_or(format!("durable_objects binding {name} has no class_name"))?;
        out.push(Binding {
            name,
            class_name,
            script_name: string(binding, "script_name", &what)?,
        });
    }
    Ok(out)
}

/// The bindings of `[[kv_namespaces]]`.
fn parse_kv_namespaces(table: &Table) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, kv) in tables(table.get("kv_namespaces"), "kv_namespaces")?
        .into_iter()
        .enumerate()
    {
        let what = format!("kv_namespaces[{i}].");
        let binding = string(kv, "binding", &what)?.ok_or(format!("{what}binding is missing"))?;
        out.push(binding);
    }
    Ok(out)
}

/// One `[[migrations]]` entry; `what` names it in messages (`migrations[<i>]`).
fn parse_migration(what: &str, migration: &Table) -> Result<Migration, String> {
    let renamed_classes = parse_renames(what, migration)?;
    Ok(Migration {
        tag: string(migration, "tag", &format!("{what}."))?.ok_or(format!("{what} has no tag"))?,
        new_sqlite_classes: strings(
            migration.get("new_sqlite_classes"),
            &format!("{what}.new_sqlite_classes"),
        )?,
        new_classes: strings(migration.get("new_classes"), &format!("{what}.new_classes"))?,
        renamed_classes,
        deleted_classes: strings(
            migration.get("deleted_classes"),
            &format!("{what}.deleted_classes"),
        )?,
    })
}

/// A migration's `renamed_classes`, as (from, to) pairs.
fn parse_renames(what: &str, migration: &Table) -> Result<Vec<(String, String)>, String> {
    let mut renamed = Vec::new();
    let prefix = format!("{what}.renamed_classes.");
    for rename in tables(
        migration.get("renamed_classes"),
        &format!("{what}.renamed_classes"),
    )? {
        let from = string(rename, "from", &prefix)?
            .ok_or(format!("{what}.renamed_classes: a rename without `from`"))?;
        let to = string(rename, "to", &prefix)?
            .ok_or(format!("{what}.renamed_classes: a rename without `to`"))?;
        renamed.push((from, to));
    }
    Ok(renamed)
}

/// How a class's storage was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    KeyValue,
}

impl Wrangler {
    /// The classes the migrations leave, in order, with their backend and the tag that created
    /// (or last renamed) each.
    pub fn classes(&self) -> Vec<(String, Backend, String)> {
        let mut classes: Vec<(String, Backend, String)> = Vec::new();
        for m in &self.migrations {
            for c in &m.new_sqlite_classes {
                classes.push((c.clone(), Backend::Sqlite, m.tag.clone()));
            }
            for c in &m.new_classes {
                classes.push((c.clone(), Backend::KeyValue, m.tag.clone()));
            }
            for (from, to) in &m.renamed_classes {
                for class in classes.iter_mut().filter(|c| &c.0 == from) {
                    class.0 = to.clone();
                    class.2 = m.tag.clone();
                }
            }
            classes.retain(|c| !m.deleted_classes.contains(&c.0));
        }
        classes
    }

    /// The class names the worker runs (bindings without `script_name`).
    pub fn local_bindings(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(|b| b.script_name.is_none())
    }
}

fn binding_block(actor: &Actor) -> String {
    format!(
        "[[durable_objects.bindings]]\nname = \"{}\"\nclass_name = \"{}\"\n",
        actor.binding, actor.class
    )
}

fn migration_block(tag: &str, classes: &[&str]) -> String {
    let list: Vec<String> = classes.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "[[migrations]]\ntag = \"{tag}\"\nnew_sqlite_classes = [{}]\n",
        list.join(", ")
    )
}

/// The wrangler.toml of a new crate with these actors.
pub fn generate(worker_name: &str, actors: &[Actor]) -> String {
    let mut out = format!(
        "# The worker in workerd: `duract dev` serves it locally (storage in .duract/state),\n\
         # `wrangler deploy` publishes it. The bindings and migrations are the actors' `#[actor]`\n\
         # info: `duract check` compares them with the code (`duract check --fix` adds what a new\n\
         # actor needs). Never edit a migration that was deployed: add one.\n\
         name = \"{worker_name}\"\n\
         main = \"{MAIN}\"\n\
         compatibility_date = \"{COMPATIBILITY_DATE}\"\n\
         \n\
         [build]\n\
         # What `wrangler dev` / `wrangler deploy` run first (`cargo install --path cli` from\n\
         # duract's repository puts `duract` on PATH).\n\
         command = \"duract build\"\n\
         \n\
         [vars]\n\
         # Read by handlers with ctx.var_or(\"NAME\", default); secrets go in .dev.vars locally\n\
         # (AUTH_SECRET turns on authentication) and `wrangler secret put` on Cloudflare.\n\
         # GREETING = \"hello\"\n"
    );
    for actor in actors {
        out.push('\n');
        out.push_str(&binding_block(actor));
    }
    out.push('\n');
    let classes: Vec<&str> = actors.iter().map(|a| a.class.as_str()).collect();
    out.push_str(&migration_block("v1", &classes));
    out
}

/// Every actor once (by kind), listed ones first.
fn unique(actors: &[Actor]) -> Vec<&Actor> {
    let mut seen = BTreeSet::new();
    actors
        .iter()
        .filter(|a| seen.insert(a.kind.as_str()))
        .collect()
}

/// What differs between wrangler.toml and the actors, as messages that name the fix.
pub fn check(w: &Wrangler, actors: &[Actor]) -> Vec<String> {
    let actors = unique(actors);
    let classes = w.classes();
    let mut problems = duplicates(w);
    for actor in &actors {
        let what = format!(
            "actor `{}` (class {}, binding {})",
            actor.kind, actor.class, actor.binding
        );
        problems.extend(binding_problem(w, actor, &what));
        problems.extend(class_problem(w, &classes, actor, &what));
    }
    problems.extend(unused(w, &actors, &classes));
    problems.extend(entry_problems(w));
    problems
}

/// Binding names and migration tags declared twice.
fn duplicates(w: &Wrangler) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for b in &w.bindings {
        if !names.insert(b.name.as_str()) {
            problems.push(format!("the binding {} is declared twice", b.name));
        }
    }
    let mut tags = BTreeSet::new();
    for m in &w.migrations {
        if !tags.insert(m.tag.as_str()) {
            problems.push(format!("the migration tag `{}` is used twice", m.tag));
        }
    }
    problems
}

/// What is wrong with `actor`'s binding (`what` names the actor): missing, bound under another
/// name, pointing to another worker, or naming another class.
fn binding_problem(w: &Wrangler, actor: &Actor, what: &str) -> Option<String> {
    match w.bindings.iter().find(|b| b.name == actor.binding) {
        None => match w.local_bindings().find(|b| b.class_name == actor.class) {
            Some(other) => Some(format!(
                "{what}: wrangler.toml binds its class as {} instead; rename the binding to {} \
                 (or declare `#[actor(binding = \"{}\")]`)",
                other.name, actor.binding, other.name
            )),
            None => Some(format!(
                "{what}: wrangler.toml has no binding {}; add\n\n{}",
                actor.binding,
                binding_block(actor)
            )),
        },
        Some(b) if b.script_name.is_some() => Some(format!(
            "{what}: the binding {} points to another worker (script_name = \"{}\"), but this worker runs the actor",
            b.name,
            b.script_name.as_deref().unwrap_or_default()
        )),
        Some(b) if b.class_name != actor.class => Some(format!(
            "{what}: the binding {} names class {}, not {}; set class_name = \"{}\"",
            b.name, b.class_name, actor.class, actor.class
        )),
        Some(_) => None,
    }
}

/// What is wrong with the migrations of `actor`'s class (`what` names the actor): none creates
/// it, or one creates it key-value.
fn class_problem(
    w: &Wrangler,
    classes: &[(String, Backend, String)],
    actor: &Actor,
    what: &str,
) -> Option<String> {
    match classes.iter().find(|c| c.0 == actor.class) {
        None => Some(format!(
            "{what}: no migration creates class {}; add\n\n{}",
            actor.class,
            migration_block(&next_tag(w), &[&actor.class])
        )),
        Some((_, Backend::KeyValue, tag)) => Some(format!(
            "{what}: migration `{tag}` creates class {} with new_classes (key-value storage); \
             duract's classes are SQLite-backed (new_sqlite_classes), the storage Cloudflare \
             recommends for new classes and the only one on the free plan (a deployed class \
             cannot change: if it was never deployed, move it to new_sqlite_classes)",
            actor.class
        )),
        Some(_) => None,
    }
}

/// The local bindings and the migrated classes that no actor runs.
fn unused(w: &Wrangler, actors: &[&Actor], classes: &[(String, Backend, String)]) -> Vec<String> {
    let actor_list = actors
        .iter()
        .map(|a| format!("{} ({}, {})", a.kind, a.class, a.binding))
        .collect::<Vec<_>>()
        .join(", ");
    let mut problems = Vec::new();
    for b in w.local_bindings() {
        if !actors.iter().any(|a| a.binding == b.name)
            && !actors.iter().any(|a| a.class == b.class_name)
        {
            problems.push(format!(
                "wrangler.toml binds {} = {}, which no actor of the crate runs (its actors: {actor_list}); \
                 remove the binding, or list the actor in tests/actors.rs",
                b.name, b.class_name
            ));
        }
    }
    for (class, _, tag) in classes {
        if !actors.iter().any(|a| &a.class == class) {
            problems.push(format!(
                "migration `{tag}` creates class {class}, which no actor of the crate runs (its actors: \
                 {actor_list}); if it was deployed, delete it with a new migration (deleted_classes = \
                 [\"{class}\"] deletes its data), else remove it from `{tag}`"
            ));
        }
    }
    problems
}

/// `main` other than where `duract build` writes, or no compatibility date.
fn entry_problems(w: &Wrangler) -> Vec<String> {
    let mut problems = Vec::new();
    match w.main.as_deref() {
        Some(MAIN) => {}
        Some(other) => problems.push(format!(
            "main = \"{other}\", but `duract build` writes {MAIN}; set main = \"{MAIN}\""
        )),
        None => problems.push(format!(
            "no `main`: add main = \"{MAIN}\" (what `duract build` writes)"
        )),
    }
    if w.compatibility_date.is_none() {
        problems.push(format!(
            "no compatibility_date: add compatibility_date = \"{COMPATIBILITY_DATE}\""
        ));
    }
    problems
}

/// A tag for a new migration: `v<n>` after the last `v<number>`, else `v<count + 1>`.
pub fn next_tag(w: &Wrangler) -> String {
    let numbered = w
        .migrations
        .iter()
        .filter_map(|m| m.tag.strip_prefix('v')?.parse::<u64>().ok())
        .max();
    let mut n = numbered.unwrap_or(w.migrations.len() as u64) + 1;
    while w.migrations.iter().any(|m| m.tag == format!("v{n}")) {
        n += 1;
    }
    format!("v{n}")
}

/// What `duract check --fix` appends: the missing bindings, and one migration that creates the
/// classes no migration creates. `None` when nothing is missing. Wrong bindings, key-value
/// classes and classes no actor runs are left to the user (they may hold deployed data).
pub fn fix(w: &Wrangler, actors: &[Actor]) -> Option<String> {
    let actors = unique(actors);
    let classes = w.classes();
    let mut out = String::new();
    for actor in &actors {
        let bound = w.bindings.iter().any(|b| b.name == actor.binding)
            || w.local_bindings().any(|b| b.class_name == actor.class);
        if !bound {
            out.push('\n');
            out.push_str(&binding_block(actor));
        }
    }
    let missing: Vec<&str> = actors
        .iter()
        .filter(|a| !classes.iter().any(|c| c.0 == a.class))
        .map(|a| a.class.as_str())
        .collect();
    if !missing.is_empty() {
        out.push('\n');
        out.push_str(&migration_block(&next_tag(w), &missing));
    }
    (!out.is_empty()).then(|| format!("\n# Added by `duract check --fix`.{out}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actors() -> Vec<Actor> {
        let counter = Actor::new("counter", "CounterActor", "COUNTER_ACTOR");
        let mut session = Actor::new("session", "SessionActor", "SESSION_ACTOR");
        session.forwards.push(counter.clone());
        vec![session, counter]
    }

    #[test]
    fn the_generated_file_agrees_with_its_actors() {
        let text = generate("my-app", &actors());
        let w = parse(&text).unwrap();
        assert_eq!(w.name.as_deref(), Some("my-app"));
        assert_eq!(w.bindings.len(), 2);
        assert_eq!(check(&w, &actors()), Vec::<String>::new());
        assert_eq!(fix(&w, &actors()), None);
    }

    #[test]
    fn the_examples_file_is_read() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/system/wrangler.toml"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let w = parse(&text).unwrap();
        assert_eq!(w.main.as_deref(), Some(MAIN));
        assert_eq!(w.vars.get("WORK_MS").map(String::as_str), Some("1000"));
        let example = [
            Actor::new("session", "SessionActor", "SESSION_ACTOR"),
            Actor::new("coordinator", "CoordinatorActor", "COORDINATOR_ACTOR"),
            Actor::new("worker", "WorkerActor", "WORKER_ACTOR"),
        ];
        assert_eq!(check(&w, &example), Vec::<String>::new());
    }

    #[test]
    fn each_mismatch_is_named_with_its_fix() {
        let text = r#"
            main = "dist/index.js"
            compatibility_date = "2026-04-20"
            durable_objects = { bindings = [
                { name = "SESSION_ACTOR", class_name = "Session" },
                { name = "OLD_ACTOR", class_name = "OldActor" },
                { name = "REMOTE", class_name = "Elsewhere", script_name = "other-worker" },
            ] }
            [[migrations]]
            tag = "v1"
            new_classes = ["Session", "OldActor"]
        "#;
        let w = parse(text).unwrap();
        let problems = check(&w, &actors());
        let all = problems.join("\n---\n");
        let expect = [
            "the binding SESSION_ACTOR names class Session, not SessionActor",
            "no migration creates class SessionActor",
            "wrangler.toml has no binding COUNTER_ACTOR; add",
            "class_name = \"CounterActor\"",
            "no migration creates class CounterActor",
            "binds OLD_ACTOR = OldActor, which no actor of the crate runs",
            "migration `v1` creates class OldActor, which no actor",
            "main = \"dist/index.js\", but `duract build` writes build/index.js",
        ];
        for e in expect {
            assert!(all.contains(e), "missing {e:?} in:\n{all}");
        }
        assert!(
            !all.contains("REMOTE"),
            "bindings to other workers are not ours: {all}"
        );
    }

    #[test]
    fn key_value_classes_renames_and_deletions() {
        let text = r#"
            main = "build/index.js"
            compatibility_date = "2026-04-20"
            [[durable_objects.bindings]]
            name = "SESSION_ACTOR"
            class_name = "SessionActor"
            [[durable_objects.bindings]]
            name = "COUNTER_ACTOR"
            class_name = "CounterActor"
            [[migrations]]
            tag = "v1"
            new_sqlite_classes = ["Gateway", "Gone"]
            new_classes = ["CounterActor"]
            [[migrations]]
            tag = "v2"
            renamed_classes = [{ from = "Gateway", to = "SessionActor" }]
            deleted_classes = ["Gone"]
        "#;
        let w = parse(text).unwrap();
        let problems = check(&w, &actors());
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].contains("new_classes (key-value storage)"),
            "{}",
            problems[0]
        );
        assert_eq!(next_tag(&w), "v3");
    }

    #[test]
    fn fix_appends_what_a_new_actor_needs() {
        let mut text = generate("app", &actors()[..1]);
        let w = parse(&text).unwrap();
        let added = fix(&w, &actors()).unwrap();
        assert!(added.contains("name = \"COUNTER_ACTOR\""));
        assert!(added.contains("tag = \"v2\"\nnew_sqlite_classes = [\"CounterActor\"]"));
        text.push_str(&added);
        let fixed = parse(&text).unwrap();
        assert_eq!(check(&fixed, &actors()), Vec::<String>::new());
    }

    #[test]
    fn unreadable_files_say_where() {
        assert!(parse("[[durable_objects.bindings]]\nname = \"A\"\n")
            .unwrap_err()
            .contains("class_name"));
        assert!(parse("migrations = 3").unwrap_err().contains("migrations"));
        assert!(parse("name = ").is_err());
    }
}
