//! JSON Schema and TypeScript declarations of a system's messages and replies, from its Rust
//! declarations (the feature `schema`).
//!
//! With the feature on, `#[message]` and `#[payload]` derive [`JsonSchema`] (schemars reads
//! the same serde attributes as the wire: renames, tags, defaults, flattening) and `#[route]`
//! writes each actor's [`RouteSchemas`]: for every route its wire type and the schemas of its
//! message and of its handler's reply (`Handles<M>::Reply`), so the reply of each message comes
//! from the type system. [`Api`] gathers the actors of a system and writes:
//!
//! - one JSON Schema file per actor (`coordinator.json`): a request's `type` and `payload`,
//!   each route with its reply (`x-reply`) and whether only actors may send it (`x-internal`);
//! - one per gateway (`session.json`): every request a client may send through it, to the
//!   address kinds it forwards, with the client address of the reply (`x-replyTo`);
//! - TypeScript declarations of the same: every message and reply type, each actor's routes
//!   (`CoordinatorRoutes`) and each gateway's API by address kind (`SessionApi`), what the
//!   TypeScript client (`clients/ts`) types its `ask` with.
//!
//! A message is described as its handler decodes it (schemars' deserialize contract: optional
//! fields may be absent), a reply as it is encoded (the serialize contract). A type with
//! `#[serde(from = ..)]` or `try_from` is described by its own shape.
//!
//! ```ignore
//! let api = duract::schema::Api::new()
//!     .gateway::<Session>()
//!     .actor::<Coordinator>()
//!     .actor::<Worker>();
//! let files = api.generate(); // JSON files and TypeScript
//! ```

mod typescript;

use crate::actor::Target;
use crate::info::ActorInfo;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use schemars::{self, JsonSchema, Schema, SchemaGenerator};

/// The schemas of one route of an actor, written by `#[route]` (feature `schema`).
#[derive(Debug, Clone, Copy)]
pub struct RouteSchema {
    /// The message's wire type.
    pub message_type: &'static str,
    /// Whether only actors may send it.
    pub internal: bool,
    /// Whether every payload decodes (a message without fields ignores its payload): its
    /// payload's schema is then `true`, anything.
    pub any_payload: bool,
    /// The handler method's name.
    pub handler: &'static str,
    /// The message's schema (a `$ref` for named types), its definitions added to the generator.
    pub message: fn(&mut SchemaGenerator) -> Schema,
    /// The schema of the handler's reply, `<A as Handles<M>>::Reply`.
    pub reply: fn(&mut SchemaGenerator) -> Schema,
}

/// The schemas of an actor's routes, in the order of its `#[route]` block; written by
/// `#[route]` when the feature `schema` is on.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no route schemas",
    label = "no `#[route]` block, or one compiled without the feature `duract/schema`",
    note = "a gateway has no routes of its own: add it with `Api::gateway::<{Self}>()`"
)]
pub trait RouteSchemas {
    /// One entry per route.
    const ROUTE_SCHEMAS: &'static [RouteSchema];
}

/// A reference to `T`'s schema (its definition added to `generator`): what `#[route]` stores
/// in [`RouteSchema`].
#[doc(hidden)]
pub fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The actors of a system, for their schema files and TypeScript declarations.
#[derive(Debug, Default)]
pub struct Api {
    actors: Vec<(&'static ActorInfo, &'static [RouteSchema])>,
    gateways: Vec<&'static ActorInfo>,
    note: Option<String>,
}

/// What [`Api::generate`] writes: file names (relative) and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// One JSON Schema file per actor and per gateway: `(<kind>.json, text)`.
    pub json: Vec<(String, String)>,
    /// The TypeScript declarations of every message, reply, actor and gateway.
    pub typescript: String,
}

const DEFS: &str = "#/$defs/";

impl Api {
    /// No actors yet.
    pub fn new() -> Api {
        Api::default()
    }

    /// A line for the files' headers, e.g. how to regenerate them.
    pub fn note(mut self, note: impl Into<String>) -> Api {
        self.note = Some(note.into());
        self
    }

    /// Adds an actor with routes (its `#[route]` block's schemas).
    pub fn actor<A: Target + RouteSchemas>(mut self) -> Api {
        assert!(
            A::INFO.gateway.is_none(),
            "{} is a gateway: add it with Api::gateway",
            A::INFO.class
        );
        self.actors.push((A::INFO, A::ROUTE_SCHEMAS));
        self
    }

    /// Adds a gateway: the requests clients send through it, to the actors it forwards to
    /// (each added with [`Api::actor`]).
    pub fn gateway<A: Target>(mut self) -> Api {
        assert!(
            A::INFO.gateway.is_some(),
            "{} is not a gateway: add it with Api::actor",
            A::INFO.class
        );
        self.gateways.push(A::INFO);
        self
    }

    /// The JSON Schema files and the TypeScript declarations.
    ///
    /// Panics when a gateway forwards to an actor not added, or when two actors share a kind.
    pub fn generate(&self) -> Generated {
        let model = self.model();
        let mut json: Vec<(String, String)> = Vec::new();
        for actor in &model.actors {
            json.push((
                file_name(actor.info),
                pretty(&self.actor_file(&model, actor)),
            ));
        }
        for gateway in &self.gateways {
            json.push((
                file_name(gateway),
                pretty(&self.gateway_file(&model, gateway)),
            ));
        }
        json.sort();
        let typescript = typescript::module(&model, &self.gateways, self.note.as_deref());
        Generated { json, typescript }
    }

    fn model(&self) -> Model {
        self.check_kinds();
        // Messages as their handlers decode them, replies as they are encoded.
        let mut decode = schemars::generate::SchemaSettings::draft2020_12()
            .for_deserialize()
            .into_generator();
        let mut encode = schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        let mut actors: Vec<ActorModel> = self
            .actors
            .iter()
            .map(|(info, routes)| ActorModel {
                info,
                routes: routes
                    .iter()
                    .map(|r| RouteModel {
                        route: *r,
                        message: if r.any_payload {
                            Value::Bool(true)
                        } else {
                            (r.message)(&mut decode).to_value()
                        },
                        reply: (r.reply)(&mut encode).to_value(),
                    })
                    .collect(),
            })
            .collect();
        let mut defs = decode.take_definitions(true);
        let mut encoded = encode.take_definitions(true);
        // A type described differently by the two contracts keeps its name for messages; its
        // reply form gets another.
        let renames = merge_names(&defs, &mut encoded);
        for actor in &mut actors {
            for route in &mut actor.routes {
                rename_refs(&mut route.reply, &renames);
            }
        }
        for (name, schema) in encoded {
            defs.entry(name).or_insert(schema);
        }
        Model { actors, defs }
    }

    /// One actor per kind, and every gateway's forward target added.
    fn check_kinds(&self) {
        let mut kinds = BTreeSet::new();
        for (info, _) in &self.actors {
            assert!(
                kinds.insert(info.kind),
                "two actors of kind `{}`",
                info.kind
            );
        }
        for gateway in &self.gateways {
            assert!(
                kinds.insert(gateway.kind),
                "two actors of kind `{}`",
                gateway.kind
            );
            for forward in gateway.gateway.map_or(&[][..], |g| g.forwards) {
                assert!(
                    self.actors.iter().any(|(a, _)| same(a, forward.target)),
                    "gateway `{}` forwards `{}` to {}: add it with Api::actor",
                    gateway.kind,
                    forward.kind,
                    forward.target.class
                );
            }
        }
    }

    /// `<kind>.json`: the requests the actor handles, one branch per route.
    fn actor_file(&self, model: &Model, actor: &ActorModel) -> Value {
        let info = actor.info;
        let branches: Vec<Value> = actor
            .routes
            .iter()
            .map(|r| {
                json!({
                    "title": r.route.message_type,
                    "type": "object",
                    "properties": {
                        "type": { "const": r.route.message_type },
                        "payload": r.message,
                    },
                    "required": ["type"],
                    "x-handler": r.route.handler,
                    "x-internal": r.route.internal,
                    "x-reply": r.reply,
                })
            })
            .collect();
        let mut refs = BTreeSet::new();
        for r in &actor.routes {
            collect_refs(&r.message, &mut refs);
            collect_refs(&r.reply, &mut refs);
        }
        let mut root = self.header(info);
        root.insert(
            "description".into(),
            format!(
                "The requests `{kind}:<id>` (Durable Object class `{class}`) handles: each \
                 message's `type` and `payload`; `x-reply` is the payload of its reply \
                 `<type>Response`, and `x-internal` messages only actors may send.",
                kind = info.kind,
                class = info.class
            )
            .into(),
        );
        root.insert("type".into(), "object".into());
        root.insert("oneOf".into(), branches.into());
        root.insert("$defs".into(), model.defs_closure(&refs).into());
        root.into()
    }

    /// `<kind>.json` of a gateway: every request a client may send through it.
    fn gateway_file(&self, model: &Model, info: &'static ActorInfo) -> Value {
        let gateway = info.gateway.expect("a gateway");
        let mut branches = Vec::new();
        for forward in gateway.forwards {
            let actor = model.actor_of(forward.target);
            let file = file_name(actor.info);
            for r in actor.routes.iter().filter(|r| !r.route.internal) {
                let mut payload = r.message.clone();
                let mut reply = r.reply.clone();
                relocate_refs(&mut payload, &file);
                relocate_refs(&mut reply, &file);
                branches.push(json!({
                    "title": format!("{}:{}", forward.kind, r.route.message_type),
                    "type": "object",
                    "properties": {
                        "to": { "type": "string", "pattern": format!("^{}:.", forward.kind) },
                        "type": { "const": r.route.message_type },
                        "payload": payload,
                    },
                    "required": ["to", "type"],
                    "x-reply": reply,
                    "x-replyTo": gateway.reply_to(r.route.message_type),
                }));
            }
        }
        let forwards: Map<String, Value> = gateway
            .forwards
            .iter()
            .map(|f| (f.kind.to_owned(), file_name(f.target).into()))
            .collect();
        let mut root = self.header(info);
        root.insert(
            "description".into(),
            format!(
                "The requests a client sends through the gateway `{kind}` (Durable Object class \
                 `{class}`, `GET /ws`), one branch per address kind it forwards and message \
                 type clients may send. A success reply is `<type>Response` with `x-reply` as \
                 its payload, sent to `x-replyTo`; a failure is `Error` with an `ErrorPayload`, \
                 sent to `{default}`. The first frame of a connection is `SessionEstablished`.",
                kind = info.kind,
                class = info.class,
                default = gateway.default_reply_to,
            )
            .into(),
        );
        root.insert("allOf".into(), json!([{ "$ref": "#/$defs/Envelope" }]));
        root.insert("oneOf".into(), branches.into());
        root.insert("x-forwards".into(), forwards.into());
        root.insert("$defs".into(), protocol_defs());
        root.into()
    }

    fn header(&self, info: &ActorInfo) -> Map<String, Value> {
        let mut root = Map::new();
        root.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        root.insert("$id".into(), file_name(info).into());
        let mut comment = String::from(
            "Generated by duract from the Rust declarations (#[message], #[payload], #[route]): do not edit.",
        );
        if let Some(note) = &self.note {
            comment.push(' ');
            comment.push_str(note);
        }
        root.insert("$comment".into(), comment.into());
        root.insert("title".into(), info.kind.into());
        root
    }
}

/// The routes and definitions [`Api::generate`] writes from.
struct Model {
    actors: Vec<ActorModel>,
    /// Every named type, messages' and replies'.
    defs: Map<String, Value>,
}

struct ActorModel {
    info: &'static ActorInfo,
    routes: Vec<RouteModel>,
}

struct RouteModel {
    route: RouteSchema,
    message: Value,
    reply: Value,
}

impl Model {
    fn actor_of(&self, info: &ActorInfo) -> &ActorModel {
        self.actors
            .iter()
            .find(|a| same(a.info, info))
            .expect("checked by Api::model")
    }

    /// The definitions `refs` name, and those they name in turn.
    fn defs_closure(&self, refs: &BTreeSet<String>) -> Map<String, Value> {
        let mut out = Map::new();
        let mut todo: Vec<String> = refs.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            if out.contains_key(&name) {
                continue;
            }
            if let Some(schema) = self.defs.get(&name) {
                let mut more = BTreeSet::new();
                collect_refs(schema, &mut more);
                todo.extend(more);
                out.insert(name, schema.clone());
            }
        }
        out
    }
}

/// Actor infos are compared by kind and class (a `&'static` of a const need not be unique).
fn same(a: &ActorInfo, b: &ActorInfo) -> bool {
    a.kind == b.kind && a.class == b.class
}

fn file_name(info: &ActorInfo) -> String {
    format!("{}.json", info.kind)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a schema serializes") + "\n"
}

/// Gives each definition of `encoded` that `decoded` holds with another schema a fresh name
/// (`<Name>Output`) and rewrites `encoded`'s references; returns the renames. Repeats until
/// stable: a renamed reference can make two equal-looking schemas differ.
fn merge_names(
    decoded: &Map<String, Value>,
    encoded: &mut Map<String, Value>,
) -> BTreeMap<String, String> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let clashes: Vec<String> = encoded
            .iter()
            .filter(|(name, schema)| {
                !renames.contains_key(*name) && decoded.get(*name).is_some_and(|d| d != *schema)
            })
            .map(|(name, _)| name.clone())
            .collect();
        if clashes.is_empty() {
            break;
        }
        for name in clashes {
            let taken = |n: &str| {
                decoded.contains_key(n)
                    || encoded.contains_key(n)
                    || renames.values().any(|v| v == n)
            };
            let mut fresh = format!("{name}Output");
            let mut i = 2;
            while taken(&fresh) {
                fresh = format!("{name}Output{i}");
                i += 1;
            }
            renames.insert(name, fresh);
        }
        let old = std::mem::take(encoded);
        for (name, mut schema) in old {
            rename_refs(&mut schema, &renames);
            let name = renames.get(&name).cloned().unwrap_or(name);
            encoded.insert(name, schema);
        }
    }
    renames
}

/// Rewrites `#/$defs/<old>` references to `#/$defs/<new>`.
fn rename_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    if renames.is_empty() {
        return;
    }
    visit_refs(value, &mut |r| {
        if let Some(new) = r.strip_prefix(DEFS).and_then(|name| renames.get(name)) {
            *r = format!("{DEFS}{new}");
        }
    });
}

/// Rewrites local references `#/$defs/X` to `file#/$defs/X`.
fn relocate_refs(value: &mut Value, file: &str) {
    visit_refs(value, &mut |r| {
        if r.starts_with(DEFS) {
            *r = format!("{file}{r}");
        }
    });
}

/// The names of the definitions `value` references.
fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    let mut value = value.clone();
    visit_refs(&mut value, &mut |r| {
        if let Some(name) = r.strip_prefix(DEFS) {
            out.insert(name.to_owned());
        }
    });
}

fn visit_refs(value: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(r) if key == "$ref" => f(r),
                    _ => visit_refs(v, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| visit_refs(v, f)),
        _ => {}
    }
}

/// The envelope and the frames of the framework itself (protocol.md), for gateway files.
fn protocol_defs() -> Value {
    json!({
        "Envelope": {
            "description": "Every frame: `to` and `from` are addresses `kind:id`; `replyTo` is on a reply, the `id` of the request it answers. Unknown fields are ignored.",
            "type": "object",
            "properties": {
                "to": { "type": "string", "pattern": "^[a-z][a-z0-9_-]*:." },
                "from": { "type": "string", "pattern": "^[a-z][a-z0-9_-]*:." },
                "type": { "type": "string", "minLength": 1 },
                "payload": true,
                "id": { "type": "string", "minLength": 1 },
                "timestamp": { "type": "number" },
                "replyTo": { "type": "string" }
            },
            "required": ["to", "from", "type", "id", "timestamp"]
        },
        "ErrorPayload": {
            "description": "The payload of an `Error` reply.",
            "type": "object",
            "properties": {
                "error": { "description": "The human message.", "type": "string" },
                "code": { "description": "The stable code, e.g. `invalid_payload` or a handler's own.", "type": "string" }
            },
            "required": ["error", "code"]
        },
        "SessionEstablished": {
            "description": "The payload of the first frame of a connection, `SessionEstablished`.",
            "type": "object",
            "properties": {
                "sessionId": { "description": "The session's name.", "type": "string" }
            },
            "required": ["sessionId"]
        }
    })
}

impl Generated {
    /// The checked-in files not as generated: the JSON Schema files in `schema_dir` (a `.json`
    /// there that is not generated counts too) and the TypeScript in `ts_file`. With
    /// `DURACT_WRITE_SCHEMA` set (not empty, not `0`), rewrites them instead and returns
    /// nothing: the test a crate keeps to fail on stale files, and the command to refresh them.
    pub fn sync_to(self, schema_dir: &Path, ts_file: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut files: Vec<(PathBuf, String)> = (self.json.into_iter())
            .map(|(name, text)| (schema_dir.join(name), text))
            .collect();
        files.push((ts_file.to_path_buf(), self.typescript));
        let write =
            std::env::var_os("DURACT_WRITE_SCHEMA").is_some_and(|v| !v.is_empty() && v != "0");
        sync(&files, &[(schema_dir, "json")], write)
    }
}

/// Files that are not as generated: `(path, current contents)` pairs compared with the disk.
/// With `write`, rewrites those that differ and returns nothing; files in `clean_dirs` with
/// the extension `clean_ext` that are not among `files` are stale too (removed with `write`).
pub fn sync(
    files: &[(PathBuf, String)],
    clean_dirs: &[(&Path, &str)],
    write: bool,
) -> std::io::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for (path, text) in files {
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            if write {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, text)?;
            } else {
                stale.push(path.clone());
            }
        }
    }
    for (dir, ext) in clean_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let ours = files.iter().any(|(p, _)| p == &path);
            if !ours && path.extension().is_some_and(|e| e == *ext) {
                if write {
                    std::fs::remove_file(&path)?;
                } else {
                    stale.push(path);
                }
            }
        }
    }
    stale.sort();
    Ok(stale)
}

#[cfg(test)]
mod tests;
