//! The frame fuzzer (issue 14, item 5): at least 100,000 generated frames through a native
//! gateway connection — valid requests, requests mutated byte by byte, truncated, with fields
//! of the wrong type, nested up to the frame limit, a few bytes under and over
//! `MAX_FRAME_BYTES` (4096 here) in 1- to 4-byte characters, odd Unicode (lone surrogate
//! escapes, reversed pairs, NUL, U+2028, noncharacters), not JSON at all, and binary — and for
//! every one: no panic, exactly one reply, a full envelope, `replyTo` exactly when
//! protocol.md says so (the frame is an object whose `id` is a non-empty string, and it was
//! parsed: not binary, not too large), an error code from protocol.md's list, and the code the
//! contract's order of checks gives wherever the frame decides it.
//!
//! What a frame *is* is decided by an oracle written here, independent of the runtime: a JSON
//! reader with the semantics of JavaScript's `JSON.parse` (the clients' reader): strings are
//! UTF-16, so `"\ud800"` is a string of one unit; nesting is unbounded (no recursion).
//!
//! A failure prints its reproduction:
//! `DURACT_FUZZ_SEED=<seed> DURACT_FUZZ_FRAMES=<n> cargo test -p duract-example-system --test native fuzz`.

use crate::common::{system, Rng};
use duract::native::{Connection, Host};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Instant;

const MAX_FRAME_BYTES: usize = 4096;
const DEFAULT_FRAMES: u64 = 100_000;
const DEFAULT_SEED: u64 = 0x5eed;
/// A new host (so actor state stays small) every this many frames.
const FRAMES_PER_HOST: u64 = 5_000;
/// A new connection every this many frames (its received frames are read again each time).
const FRAMES_PER_CONNECTION: usize = 16;

/// protocol.md's error codes.
const CODES: [&str; 12] = [
    "unsupported_frame",
    "too_large",
    "invalid_format",
    "invalid_address",
    "unknown_actor",
    "forbidden",
    "unknown_type",
    "invalid_payload",
    "actor_error",
    "duplicate_task",
    "limit_exceeded",
    "overloaded",
];

/// The gateway's own checks: a fuzzer that never reached one of them proved little.
const GATEWAY_CODES: [&str; 7] = [
    "unsupported_frame",
    "too_large",
    "invalid_format",
    "invalid_address",
    "unknown_actor",
    "forbidden",
    "unknown_type",
];

// ---------------------------------------------------------------------------------------
// The oracle: JSON as JavaScript reads it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// A member of the top-level object.
#[derive(Debug)]
struct Member {
    /// Its name (`None`: one holding a lone surrogate, which no field of the contract has).
    key: Option<String>,
    kind: Kind,
    /// Where its value is in the text.
    span: (usize, usize),
    /// Its value, when it is a string.
    string: Option<Vec<u16>>,
    /// Whether a string in its value (nested or not) holds a lone surrogate.
    lone_surrogate: bool,
}

/// A JSON text: its top-level kind, and the members when it is an object (in order,
/// duplicates kept).
#[derive(Debug)]
struct Parsed {
    kind: Kind,
    members: Vec<Member>,
}

impl Parsed {
    /// The member `key` as `JSON.parse` keeps it: the last of that name.
    fn get(&self, key: &str) -> Option<&Member> {
        self.members
            .iter()
            .rev()
            .find(|m| m.key.as_deref() == Some(key))
    }

    fn count(&self, key: &str) -> usize {
        self.members
            .iter()
            .filter(|m| m.key.as_deref() == Some(key))
            .count()
    }

    /// The member `key` as a string without lone surrogates, if it is one.
    fn text(&self, key: &str) -> Option<String> {
        String::from_utf16(self.get(key)?.string.as_ref()?).ok()
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// A lone surrogate since the last reset.
    lone_surrogate: bool,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// A string, as UTF-16 units when `keep` (else only checked). Scans bytes: only
    /// escapes can make a lone surrogate (raw UTF-8 has none).
    fn string(&mut self, keep: bool) -> Option<Vec<u16>> {
        self.eat(b'"')?;
        let mut units = Vec::new();
        // The last unit was a high surrogate, waiting for its low one.
        let mut high = false;
        let mut lone = false;
        loop {
            let run = self.at;
            while self
                .bytes
                .get(self.at)
                .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            if self.at > run {
                lone |= std::mem::take(&mut high);
                if keep {
                    units.extend(self.text[run..self.at].encode_utf16());
                }
            }
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    break;
                }
                b'\\' => {
                    let escape = *self.bytes.get(self.at + 1)?;
                    self.at += 2;
                    let unit = match escape {
                        b'"' => 0x22,
                        b'\\' => 0x5c,
                        b'/' => 0x2f,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => 0x0a,
                        b'r' => 0x0d,
                        b't' => 0x09,
                        b'u' => {
                            let hex = self.bytes.get(self.at..self.at + 4)?;
                            self.at += 4;
                            hex.iter().try_fold(0u16, |n, &b| {
                                Some(n * 16 + char::from(b).to_digit(16)? as u16)
                            })?
                        }
                        _ => return None,
                    };
                    match unit {
                        0xD800..=0xDBFF => lone |= std::mem::replace(&mut high, true),
                        0xDC00..=0xDFFF => lone |= !std::mem::take(&mut high),
                        _ => lone |= std::mem::take(&mut high),
                    }
                    if keep {
                        units.push(unit);
                    }
                }
                // A control character must be escaped.
                _ => return None,
            }
        }
        if lone || high {
            self.lone_surrogate = true;
        }
        Some(units)
    }

    fn digits(&mut self) -> Option<()> {
        let from = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        (self.at > from).then_some(())
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.digits()?;
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    fn word(&mut self, word: &str) -> Option<()> {
        self.bytes[self.at..]
            .starts_with(word.as_bytes())
            .then(|| self.at += word.len())
    }

    fn scalar(&mut self, keep: bool) -> Option<(Kind, Option<Vec<u16>>)> {
        Some(match self.bytes.get(self.at)? {
            b'"' => (Kind::String, Some(self.string(keep)?)),
            b't' => (Kind::Bool, self.word("true").map(|_| None)?),
            b'f' => (Kind::Bool, self.word("false").map(|_| None)?),
            b'n' => (Kind::Null, self.word("null").map(|_| None)?),
            b'-' | b'0'..=b'9' => (Kind::Number, self.number().map(|_| None)?),
            _ => return None,
        })
    }

    /// An object member's key and colon.
    fn key(&mut self, keep: bool) -> Option<Vec<u16>> {
        let key = self.string(keep)?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// Any value; containers are walked with a stack of their closers, so nesting is unbounded.
    fn value(&mut self, keep: bool) -> Option<(Kind, Option<Vec<u16>>)> {
        let kind = match self.bytes.get(self.at)? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            _ => return self.scalar(keep),
        };
        let mut closers = Vec::new();
        loop {
            match self.bytes.get(self.at)? {
                b'{' => {
                    self.at += 1;
                    self.ws();
                    if self.eat(b'}').is_none() {
                        closers.push(b'}');
                        self.key(false)?;
                        continue;
                    }
                }
                b'[' => {
                    self.at += 1;
                    self.ws();
                    if self.eat(b']').is_none() {
                        closers.push(b']');
                        continue;
                    }
                }
                _ => {
                    self.scalar(false)?;
                }
            }
            loop {
                let Some(&closer) = closers.last() else {
                    return Some((kind, None));
                };
                self.ws();
                match *self.bytes.get(self.at)? {
                    b',' => {
                        self.at += 1;
                        self.ws();
                        if closer == b'}' {
                            self.key(false)?;
                        }
                        break;
                    }
                    c if c == closer => {
                        self.at += 1;
                        closers.pop();
                    }
                    _ => return None,
                }
            }
        }
    }
}

/// The top-level members whose string values are read (the others are only checked).
const KEPT: [&str; 7] = ["to", "from", "type", "id", "replyTo", "code", "error"];

/// Reads `text` as `JSON.parse` does; `None` when it is not JSON.
fn parse(text: &str) -> Option<Parsed> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        lone_surrogate: false,
    };
    r.ws();
    let parsed = if r.eat(b'{').is_some() {
        let mut members = Vec::new();
        r.ws();
        if r.eat(b'}').is_none() {
            loop {
                let key = String::from_utf16(&r.key(true)?).ok();
                r.lone_surrogate = false;
                let from = r.at;
                let keep = key.as_deref().is_some_and(|k| KEPT.contains(&k));
                let (kind, string) = r.value(keep)?;
                members.push(Member {
                    key,
                    kind,
                    span: (from, r.at),
                    string,
                    lone_surrogate: r.lone_surrogate,
                });
                r.ws();
                if r.eat(b',').is_some() {
                    r.ws();
                    continue;
                }
                r.eat(b'}')?;
                break;
            }
        }
        Parsed {
            kind: Kind::Object,
            members,
        }
    } else {
        let (kind, _) = r.value(false)?;
        Parsed {
            kind,
            members: Vec::new(),
        }
    };
    r.ws();
    (r.at == text.len()).then_some(parsed)
}

/// Whether `text` is an address as protocol.md defines it: `kind:id`, both non-empty, the
/// kind `[a-z][a-z0-9_-]*`.
fn is_address(text: &str) -> bool {
    let Some((kind, id)) = text.split_once(':') else {
        return false;
    };
    let mut chars = kind.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && !id.is_empty()
}

// ---------------------------------------------------------------------------------------
// What the contract says of one frame.

#[derive(Debug, Clone, PartialEq)]
enum ReplyTo {
    Absent,
    Exactly(Vec<u16>),
    /// `id` named twice: RFC 8259 leaves a repeated name to the reader.
    Either,
}

#[derive(Debug)]
struct Expect {
    reply_to: ReplyTo,
    /// The codes allowed, and `ok` for a success reply.
    allowed: Vec<&'static str>,
    /// Any of protocol.md's codes: the frame holds what the runtime cannot represent as
    /// `JSON.parse` reads it (a lone surrogate in an envelope field, a repeated envelope
    /// field, a timestamp beyond f64).
    any_code: bool,
    /// The request's type and the client address of its success reply.
    success: Option<(String, &'static str)>,
}

impl Expect {
    fn error(reply_to: ReplyTo, code: &'static str) -> Expect {
        Expect {
            reply_to,
            allowed: vec![code],
            any_code: false,
            success: None,
        }
    }
}

enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

impl Frame {
    fn show(&self) -> String {
        match self {
            Frame::Text(t) if t.len() > 400 => {
                let cut = (0..=400)
                    .rev()
                    .find(|&i| t.is_char_boundary(i))
                    .unwrap_or(0);
                format!("text of {} bytes: {:?}...", t.len(), &t[..cut])
            }
            Frame::Text(t) => format!("text {t:?}"),
            Frame::Binary(b) => format!("binary {b:?}"),
        }
    }
}

const ENVELOPE_FIELDS: [&str; 8] = [
    "to",
    "from",
    "type",
    "payload",
    "id",
    "timestamp",
    "replyTo",
    "auth",
];

/// The contract's answer to `frame`; `in_burst` when other requests of its socket may be
/// awaiting their replies (so `overloaded` is allowed).
fn expect(frame: &Frame, in_burst: bool) -> Expect {
    let text = match frame {
        Frame::Binary(_) => return Expect::error(ReplyTo::Absent, "unsupported_frame"),
        Frame::Text(text) if text.len() > MAX_FRAME_BYTES => {
            return Expect::error(ReplyTo::Absent, "too_large")
        }
        Frame::Text(text) => text,
    };
    let Some(parsed) = parse(text).filter(|p| p.kind == Kind::Object) else {
        return Expect::error(ReplyTo::Absent, "invalid_format");
    };
    // Lone surrogates (in the `id`, in a field's name) are read as `JSON.parse` reads them,
    // and a `replyTo` carries the id exactly.
    expect_envelope(text, &parsed, in_burst)
}

/// [`expect`] of a frame that is a JSON object.
fn expect_envelope(text: &str, parsed: &Parsed, in_burst: bool) -> Expect {
    let reply_to = match parsed.get("id") {
        _ if parsed.count("id") > 1 => ReplyTo::Either,
        Some(Member {
            string: Some(id), ..
        }) if !id.is_empty() => ReplyTo::Exactly(id.clone()),
        _ => ReplyTo::Absent,
    };
    let mut e = Expect::error(reply_to, "invalid_format");
    let unrepresentable = ENVELOPE_FIELDS.iter().any(|f| {
        parsed.count(f) > 1
            || parsed
                .get(f)
                .is_some_and(|m| m.lone_surrogate && *f != "payload" && *f != "auth")
    }) || parsed.get("timestamp").is_some_and(|m| {
        m.kind == Kind::Number
            && text[m.span.0..m.span.1]
                .parse::<f64>()
                .is_ok_and(f64::is_infinite)
    });
    if unrepresentable {
        e.any_code = true;
        return e;
    }
    let non_empty = |field: &str| parsed.text(field).filter(|s| !s.is_empty());
    let (Some(to), Some(from), Some(message_type), Some(_)) = (
        non_empty("to"),
        non_empty("from"),
        non_empty("type"),
        non_empty("id"),
    ) else {
        return e;
    };
    if parsed
        .get("timestamp")
        .is_none_or(|m| m.kind != Kind::Number)
        || !is_address(&from)
    {
        return e;
    }
    // `replyTo` is a string when present. `null` is no string, but a reader that takes it as
    // absent is as right: `invalid_format`, or what the checks below say.
    let reply_to_kind = parsed.get("replyTo").map(|m| m.kind);
    if !matches!(reply_to_kind, None | Some(Kind::String | Kind::Null)) {
        return e;
    }
    e.allowed = if reply_to_kind == Some(Kind::Null) {
        vec!["invalid_format"]
    } else {
        Vec::new()
    };
    let Some((kind, id)) = to.split_once(':').filter(|_| is_address(&to)) else {
        e.allowed.push("invalid_address");
        return e;
    };
    if id.len() > 256 {
        e.allowed.push("invalid_address");
        return e;
    }
    let (public, internal): (&[&str], &[&str]) = match kind {
        "coordinator" => (
            &["register_worker", "assign_task", "get_status"],
            &["task_complete", "check_leases"],
        ),
        "worker" => (&["get_state"], &["process_task", "work_done"]),
        _ => {
            e.allowed.push("unknown_actor");
            return e;
        }
    };
    if internal.contains(&message_type.as_str()) {
        e.allowed.push("forbidden");
        return e;
    }
    if !public.contains(&message_type.as_str()) {
        e.allowed.push("unknown_type");
        return e;
    }
    e.allowed.push("ok");
    e.allowed.extend(match message_type.as_str() {
        "get_state" => &[][..],
        "get_status" => &["invalid_payload"][..],
        "register_worker" => &["invalid_payload", "limit_exceeded"][..],
        _ => &["invalid_payload", "duplicate_task", "limit_exceeded"][..],
    });
    if in_burst {
        e.allowed.push("overloaded");
    }
    let proxy = if kind == "worker" {
        "client:worker-proxy"
    } else {
        "client:coordinator-proxy"
    };
    e.success = Some((message_type, proxy));
    e
}

/// Checks one reply against what the contract says of its frame; returns its outcome (`ok`
/// or the code).
fn check_reply(reply: &str, e: &Expect, session: &str) -> Result<&'static str, String> {
    let parsed = parse(reply).ok_or("the reply is not JSON")?;
    let field = |name: &str| parsed.text(name).filter(|s| !s.is_empty());
    let (Some(to), Some(from), Some(message_type), Some(id)) =
        (field("to"), field("from"), field("type"), field("id"))
    else {
        return Err("the reply lacks to, from, type or id".into());
    };
    if let ReplyTo::Exactly(request) = &e.reply_to {
        if id.encode_utf16().eq(request.iter().copied()) {
            return Err("the reply reuses the request's id".into());
        }
    }
    if parsed.get("timestamp").map(|m| m.kind) != Some(Kind::Number) {
        return Err("the reply's timestamp is not a number".into());
    }
    if from != session {
        return Err(format!("the reply is from {from}, not {session}"));
    }
    let reply_to = parsed.get("replyTo").map(|m| m.string.clone());
    match (&e.reply_to, &reply_to) {
        (ReplyTo::Absent, None) => {}
        (ReplyTo::Exactly(id), Some(Some(got))) if got == id => {}
        (ReplyTo::Either, None | Some(Some(_))) => {}
        _ => {
            return Err(format!(
                "replyTo {:?}, the contract says {:?}",
                reply_to.map(|r| r.map(|u| String::from_utf16_lossy(&u))),
                e.reply_to
            ))
        }
    }
    let payload = parsed.get("payload").ok_or("the reply has no payload")?;
    if message_type == "Error" {
        if to != "client:ui" {
            return Err(format!("an error reply to {to}"));
        }
        let error = parse(&reply[payload.span.0..payload.span.1])
            .filter(|p| p.kind == Kind::Object)
            .ok_or("an error payload that is no object")?;
        let code = error.text("code").unwrap_or_default();
        let code = CODES
            .iter()
            .find(|c| **c == code)
            .ok_or_else(|| format!("code {code:?} is not one of protocol.md's"))?;
        // A message may quote what the client sent, lone surrogates included.
        let message = error.get("error").and_then(|m| m.string.as_ref());
        if message.is_none_or(|t| t.is_empty()) {
            return Err("an error without its message".into());
        }
        if !e.any_code && !e.allowed.contains(code) {
            return Err(format!("code {code}, the contract allows {:?}", e.allowed));
        }
        return Ok(code);
    }
    let Some((request_type, proxy)) = e.success.as_ref().filter(|_| e.allowed.contains(&"ok"))
    else {
        if e.any_code {
            return Ok("ok");
        }
        return Err(format!(
            "a success reply, the contract allows {:?}",
            e.allowed
        ));
    };
    if message_type != format!("{request_type}Response") || to != *proxy {
        return Err(format!(
            "a success reply of type {message_type} to {to}, expected {request_type}Response to {proxy}"
        ));
    }
    Ok("ok")
}

// ---------------------------------------------------------------------------------------
// The frames.

/// Escapes put in strings after encoding (through placeholders in the private use area).
const ESCAPES: [&str; 12] = [
    r"\ud800",
    r"\udbff",
    r"\udc00",
    r"\udfff",
    r"\ud83d\ude00",
    r"\udc00\ud800",
    r"\u0000",
    r"\u001f",
    r"\u007f",
    r"\uffff",
    r"\/",
    r"\ud800\u0041",
];
/// Odd characters put in strings as they are.
const ODD: [&str; 14] = [
    "é",
    "😀",
    "\u{ffff}",
    "\u{feff}",
    "\u{2028}",
    "\u{2029}",
    "e\u{301}",
    "\u{202e}",
    "中",
    "\u{200d}",
    "\u{10ffff}",
    "\u{7f}",
    "\u{fffd}",
    "Ω",
];
/// What byte-level mutations insert.
const TOKENS: [&str; 30] = [
    "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "null", "1", "-", "e", " ", "\0",
    "é", "😀", "\u{2028}", "\t", "true", "{}", "[]", "\"\"", "0x10", "NaN", "Infinity", "\n",
    "\u{1}", "1e999",
];

fn placeholder(i: usize) -> char {
    char::from_u32(0xE000 + i as u32).expect("a private use character")
}

/// `value` as JSON text (written straight into a buffer: `Display` goes through a formatter).
fn json_text(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value encodes")
}

/// Encodes `value`, then replaces the placeholders by their escapes (and `pad`'s by `pad`).
fn encode(value: &Value, pad: Option<&str>) -> String {
    let text = json_text(value);
    let is_placeholder = |c: char| ('\u{E000}'..='\u{E0FF}').contains(&c);
    if !text.contains(is_placeholder) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + pad.map_or(0, str::len));
    for c in text.chars() {
        if !is_placeholder(c) {
            out.push(c);
            continue;
        }
        match c as usize - 0xE000 {
            0xFF => out.push_str(pad.unwrap_or_default()),
            i if i < ESCAPES.len() => out.push_str(ESCAPES[i]),
            _ => out.push(c),
        }
    }
    out
}

struct Fuzzer {
    rng: Rng,
    next_id: u64,
    /// Whether the frame being made holds placeholders (see [`encode`]).
    placeholders: bool,
}

impl Fuzzer {
    /// A valid request, encoded.
    fn encode_valid(&mut self) -> String {
        let valid = Value::Object(self.valid());
        self.encode(&valid, None)
    }

    /// [`encode`], skipping the search for placeholders when the frame has none.
    fn encode(&self, value: &Value, pad: Option<&str>) -> String {
        if self.placeholders || pad.is_some() {
            encode(value, pad)
        } else {
            json_text(value)
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("f{}", self.next_id)
    }

    fn worker_id(&mut self) -> String {
        format!("w{}", self.rng.below(12))
    }

    /// A well-formed request of the example (some to internal or unknown types, unrouted
    /// kinds and malformed addresses, which the gateway answers itself).
    fn valid(&mut self) -> Map<String, Value> {
        let (to, message_type, payload) = match self.rng.below(20) {
            0..=3 => {
                let mut p = json!({ "workerId": self.worker_id() });
                if self.rng.chance(30) {
                    p["capabilities"] = json!(["gpu"]);
                }
                ("coordinator:main".to_owned(), "register_worker", p)
            }
            4..=8 => {
                let task = format!("t{}", self.rng.below(400));
                let p = match self.rng.below(3) {
                    0 => json!(task),
                    1 => json!({ "taskId": task, "priority": self.rng.below(5) }),
                    _ => json!({ "taskId": task, "requires": "gpu" }),
                };
                ("coordinator:main".to_owned(), "assign_task", p)
            }
            9..=10 => {
                let p = if self.rng.chance(50) {
                    Value::Null
                } else {
                    json!({ "limit": self.rng.below(5) })
                };
                ("coordinator:main".to_owned(), "get_status", p)
            }
            11..=13 => (
                format!("worker:{}", self.worker_id()),
                "get_state",
                Value::Null,
            ),
            14 => (
                "worker:w1".to_owned(),
                "process_task",
                json!({"taskId": "t"}),
            ),
            15 => (
                "coordinator:main".to_owned(),
                "task_complete",
                json!({"taskId": "t", "workerId": "w1"}),
            ),
            16 => ("coordinator:main".to_owned(), "dance", Value::Null),
            17 => (
                self.rng
                    .pick(&["session:x", "client:ui", "nosuch:1"])
                    .to_owned(),
                "get_status",
                Value::Null,
            ),
            18 => (
                self.rng
                    .pick(&["nocolon", "Worker:x", "1w:x", ":x", "worker:"])
                    .to_owned(),
                "get_state",
                Value::Null,
            ),
            _ => (
                format!("worker:{}", "x".repeat(257)),
                "get_state",
                Value::Null,
            ),
        };
        let mut m = Map::new();
        m.insert("to".into(), json!(to));
        m.insert("from".into(), json!("client:ui"));
        m.insert("type".into(), json!(message_type));
        if !payload.is_null() || self.rng.chance(50) {
            m.insert("payload".into(), payload);
        }
        m.insert("id".into(), json!(self.id()));
        m.insert("timestamp".into(), json!(1_700_000_000_000u64));
        m
    }

    /// A JSON value of any type, small.
    fn any_value(&mut self) -> Value {
        match self.rng.below(12) {
            0 => Value::Null,
            1 => json!(true),
            2 => json!(0),
            3 => json!(-1.5),
            4 => json!(1e308),
            5 => json!(""),
            6 => json!("x"),
            7 => json!([]),
            8 => json!({}),
            9 => json!([1, "a", null]),
            10 => json!({"a": {"b": [1]}}),
            _ => json!(self.odd_string()),
        }
    }

    /// A string of ASCII, odd characters and (through placeholders) odd escapes.
    fn odd_string(&mut self) -> String {
        self.placeholders = true;
        let mut s = String::new();
        for _ in 0..1 + self.rng.below(5) {
            match self.rng.below(3) {
                0 => s.push(char::from(b'a' + self.rng.below(26) as u8)),
                1 => s.push_str(self.rng.pick(&ODD)),
                _ => s.push(placeholder(self.rng.index(ESCAPES.len()))),
            }
        }
        s
    }

    /// One frame, of the kind the roll says.
    fn frame(&mut self) -> (Frame, &'static str) {
        self.placeholders = false;
        let roll = self.rng.below(100);
        let frame = match roll {
            0..=14 => Frame::Text(self.encode_valid()),
            15..=39 => self.mutated(),
            40..=47 => {
                let text = self.encode_valid();
                let cut = self.rng.index(text.len());
                let cut = (0..=cut)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                Frame::Text(text[..cut].to_owned())
            }
            48..=62 => self.wrong_typed(),
            63..=69 => self.nested(),
            70..=77 => self.near_the_limit(),
            78..=89 => self.odd_unicode(),
            90..=93 => self.binary(),
            _ => self.not_an_envelope(),
        };
        let kind = match roll {
            0..=14 => "valid",
            15..=39 => "mutated",
            40..=47 => "truncated",
            48..=62 => "wrong-typed",
            63..=69 => "nested",
            70..=77 => "near the limit",
            78..=89 => "odd unicode",
            90..=93 => "binary",
            _ => "not an envelope",
        };
        (frame, kind)
    }

    /// A valid frame with 1 to 3 byte-level mutations (at character boundaries).
    fn mutated(&mut self) -> Frame {
        let mut text = self.encode_valid();
        for _ in 0..1 + self.rng.below(3) {
            let at = self.boundary(&text);
            match self.rng.below(5) {
                0 => {
                    let end = boundary_after(&text, at, 1 + self.rng.index(3));
                    text.replace_range(at..end, "");
                }
                1 => text.insert_str(at, self.rng.pick(&TOKENS)),
                2 => {
                    let end = boundary_after(&text, at, 1);
                    text.replace_range(at..end, self.rng.pick(&TOKENS));
                }
                3 => {
                    let end = boundary_after(&text, at, 1 + self.rng.index(12));
                    let copy = text[at..end].to_owned();
                    text.insert_str(end, &copy);
                }
                _ => {
                    let end = boundary_after(&text, at, 1 + self.rng.index(8));
                    let cut = text[at..end].to_owned();
                    text.replace_range(at..end, "");
                    let to = self.boundary(&text);
                    text.insert_str(to, &cut);
                }
            }
        }
        Frame::Text(text)
    }

    fn boundary(&mut self, text: &str) -> usize {
        let at = self.rng.index(text.len() + 1);
        (0..=at)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0)
    }

    /// A valid frame with an envelope field or a payload field of another type, missing,
    /// or named twice, or with unknown fields.
    fn wrong_typed(&mut self) -> Frame {
        let mut m = self.valid();
        match self.rng.below(6) {
            0 => {
                let field = self.rng.pick(&ENVELOPE_FIELDS);
                m.remove(field);
            }
            1 | 2 => {
                let field = self.rng.pick(&ENVELOPE_FIELDS);
                let value = self.any_value();
                m.insert(field.into(), value);
            }
            3 => {
                let field = self.rng.pick(&[
                    "taskId",
                    "priority",
                    "requires",
                    "workerId",
                    "capabilities",
                    "limit",
                    "cursor",
                ]);
                let mut payload = m.get("payload").cloned().unwrap_or(json!({}));
                if !payload.is_object() {
                    payload = json!({});
                }
                payload[field] = self.any_value();
                m.insert("payload".into(), payload);
            }
            4 => {
                let value = self.any_value();
                m.insert(self.odd_string(), value);
            }
            _ => {
                // A field named twice (serde_json's `Map` keeps one: written by hand).
                let text = self.encode(&Value::Object(m), None);
                let field = self.rng.pick(&["id", "to", "type", "timestamp", "payload"]);
                let value = self.any_value();
                let value = self.encode(&value, None);
                return Frame::Text(format!("{{\"{field}\":{value},{}", &text[1..]));
            }
        }
        Frame::Text(self.encode(&Value::Object(m), None))
    }

    /// Nesting up to the frame limit: as payload, as an unknown field, as a field the
    /// envelope needs, or as the whole frame; sometimes unbalanced.
    fn nested(&mut self) -> Frame {
        let most = if self.rng.chance(50) { 1_900 } else { 100 };
        let depth = 1 + self.rng.index(most);
        let mut open = String::new();
        let mut close = String::new();
        let arrays = self.rng.chance(70);
        for _ in 0..depth {
            if arrays || self.rng.chance(30) {
                open.push('[');
                close.insert(0, ']');
            } else {
                open.push_str("{\"k\":");
                close.insert(0, '}');
            }
        }
        if self.rng.chance(10) {
            close.pop();
        }
        let nest = format!("{open}1{close}");
        if self.rng.chance(15) {
            return Frame::Text(nest);
        }
        let mut m = self.valid();
        let field = self.rng.pick(&["payload", "payload", "extra", "id", "to"]);
        m.insert(field.into(), Value::String("\u{E0FF}".into()));
        let text = self.encode(&Value::Object(m), Some(""));
        Frame::Text(
            text.replacen("\"\"", &nest, 1)
                .replacen("\"\u{E0FF}\"", &nest, 1),
        )
    }

    /// A valid frame padded to a few bytes under, at or over `MAX_FRAME_BYTES`, in 1- to
    /// 4-byte characters (an unknown field, or the payload's task id).
    fn near_the_limit(&mut self) -> Frame {
        let mut m = self.valid();
        let in_task = self.rng.chance(30);
        if in_task {
            m.insert("to".into(), json!("coordinator:main"));
            m.insert("type".into(), json!("assign_task"));
            m.insert("payload".into(), json!({"taskId": "\u{E0FF}"}));
        } else {
            m.insert("pad".into(), json!("\u{E0FF}"));
        }
        let base = self.encode(&Value::Object(m.clone()), Some("")).len();
        let delta = self.rng.below(9) as i64 - 4;
        let far = self.rng.chance(5);
        let target = if far {
            MAX_FRAME_BYTES * 2
        } else {
            (MAX_FRAME_BYTES as i64 + delta) as usize
        };
        let bytes = target.saturating_sub(base);
        let wide = self.rng.pick(&["a", "é", "中", "😀"]);
        let mut pad = wide.repeat(bytes / wide.len());
        pad.push_str(&"a".repeat(bytes % wide.len()));
        Frame::Text(self.encode(&Value::Object(m), Some(&pad)))
    }

    /// A valid frame with odd strings (and odd escapes) in one or more fields.
    fn odd_unicode(&mut self) -> Frame {
        let mut m = self.valid();
        for _ in 0..1 + self.rng.below(2) {
            let odd = self.odd_string();
            match self.rng.below(7) {
                0 => m.insert("id".into(), json!(odd)),
                1 => m.insert("type".into(), json!(odd)),
                2 => m.insert("to".into(), json!(format!("worker:{odd}"))),
                3 => m.insert("from".into(), json!(format!("client:{odd}"))),
                4 => m.insert("payload".into(), json!({ "taskId": odd, "workerId": odd })),
                5 => m.insert(odd, json!(1)),
                _ => m.insert("extra".into(), json!([odd])),
            };
        }
        let mut text = self.encode(&Value::Object(m), None);
        if self.rng.chance(10) {
            // A raw control character: no longer JSON.
            let at = self.boundary(&text);
            text.insert(at, char::from(self.rng.below(32) as u8));
        }
        Frame::Text(text)
    }

    fn binary(&mut self) -> Frame {
        if self.rng.chance(30) {
            return Frame::Binary(self.encode_valid().into_bytes());
        }
        let n = self.rng.index(64);
        Frame::Binary((0..n).map(|_| self.rng.below(256) as u8).collect())
    }

    fn not_an_envelope(&mut self) -> Frame {
        let valid = self.encode_valid();
        Frame::Text(match self.rng.below(8) {
            0 => String::new(),
            1 => format!("[{valid}]"),
            2 => "null".into(),
            3 => "\"{}\"".into(),
            4 => format!("\u{feff}{valid}"),
            5 => format!("{valid}{valid}"),
            6 => format!(" \t\r\n{valid}\n "),
            _ => (0..self.rng.below(40))
                .map(|_| char::from(32 + self.rng.below(95) as u8))
                .collect(),
        })
    }
}

/// The byte index `chars` characters after `at` (or the end).
fn boundary_after(text: &str, at: usize, chars: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| at + i)
}

// ---------------------------------------------------------------------------------------
// The run.

#[derive(Default)]
struct Tally {
    frames: u64,
    outcomes: BTreeMap<&'static str, u64>,
    kinds: BTreeMap<&'static str, u64>,
    /// Frames whose code was only checked to be one of protocol.md's ([`Expect::any_code`]).
    any_code: u64,
}

struct Socket {
    conn: Connection,
    session: String,
    /// Frames received so far.
    seen: usize,
    sent: usize,
}

/// A host for the next frames, and its `MAX_INFLIGHT`.
fn host(rng: &mut Rng) -> (Host, u64) {
    let inflight = rng.pick(&[64, 2, 4]);
    let host = system()
        .var("MAX_FRAME_BYTES", &MAX_FRAME_BYTES.to_string())
        .var("MAX_INFLIGHT", &inflight.to_string())
        .var("MAX_QUEUED_TASKS", "40")
        .var("MAX_WORKERS", "8");
    (host, inflight)
}

fn socket(host: &Host, n: u64) -> Socket {
    let session = format!("session:fz{n}");
    let conn = host.connect(&session).expect("connect");
    host.run_until_idle().expect("idle");
    Socket {
        seen: conn.frames().len(),
        conn,
        session,
        sent: 0,
    }
}

/// Sends `frames` on `socket` at once, runs the host, and checks that exactly one reply came
/// for each (matched by `replyTo`, or in order for the frames the contract gives none).
fn exchange(
    (host, inflight): (&Host, u64),
    socket: &mut Socket,
    frames: &[(Frame, &'static str)],
    tally: &mut Tally,
) -> Result<(), String> {
    let in_burst = frames.len() > 1;
    let expects: Vec<Expect> = frames.iter().map(|(f, _)| expect(f, in_burst)).collect();
    for (frame, _) in frames {
        match frame {
            Frame::Text(t) => socket.conn.send_text(t.as_str()),
            Frame::Binary(b) => socket.conn.send_binary(b.as_slice()),
        }
        .map_err(|e| format!("the socket refused a frame: {e}"))?;
    }
    host.run_until_idle()
        .map_err(|e| format!("the host did not settle: {e}"))?;
    let received = socket.conn.frames();
    let replies = &received[socket.seen..];
    socket.seen = received.len();
    socket.sent += frames.len();
    if replies.len() != frames.len() {
        return Err(format!(
            "{} replies to {} frames: {replies:?}",
            replies.len(),
            frames.len()
        ));
    }
    let mut overloaded = 0;
    for (i, e) in expects.iter().enumerate() {
        // In a burst every frame has its own id; alone, the one reply is its.
        let reply = if in_burst {
            let ReplyTo::Exactly(id) = &e.reply_to else {
                return Err("a burst frame without a plain id".into());
            };
            let id = String::from_utf16_lossy(id);
            let needle = format!("\"replyTo\":\"{id}\"");
            replies
                .iter()
                .find(|r| r.contains(&needle))
                .ok_or_else(|| format!("no reply to {id} in {replies:?}"))?
        } else {
            &replies[0]
        };
        let outcome = check_reply(reply, e, &socket.session)
            .map_err(|why| format!("frame {}: {why}\n  reply: {reply}", frames[i].0.show()))?;
        tally.any_code += u64::from(e.any_code);
        overloaded += u64::from(outcome == "overloaded");
        *tally.outcomes.entry(outcome).or_default() += 1;
        *tally.kinds.entry(frames[i].1).or_default() += 1;
    }
    if !socket.conn.is_open() {
        return Err("the socket closed".into());
    }
    let forwarded = expects.iter().filter(|e| e.success.is_some()).count() as u64;
    if overloaded > forwarded.saturating_sub(inflight) {
        return Err(format!(
            "{overloaded} overloaded of {forwarded} forwarded at once, with MAX_INFLIGHT {inflight}"
        ));
    }
    tally.frames += frames.len() as u64;
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

#[test]
fn fuzz_frames_get_one_reply_each_with_the_contracts_code() {
    let seed = env_u64("DURACT_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("DURACT_FUZZ_FRAMES").unwrap_or(DEFAULT_FRAMES);
    let repro = |n: u64| {
        format!(
            "reproduce: DURACT_FUZZ_SEED={seed} DURACT_FUZZ_FRAMES={n} cargo test -p \
             duract-example-system --test native fuzz"
        )
    };
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let mut fuzzer = Fuzzer {
        rng: Rng::new(rng.next()),
        next_id: 0,
        placeholders: false,
    };
    let mut tally = Tally::default();
    let mut current: Vec<(Frame, &'static str)> = Vec::new();
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut host_frames = 0;
        let (mut host, mut inflight) = self::host(&mut rng);
        let mut sockets = 0;
        let mut socket = self::socket(&host, sockets);
        while tally.frames < count {
            if host_frames >= FRAMES_PER_HOST {
                (host, inflight) = self::host(&mut rng);
                host_frames = 0;
            }
            if socket.sent >= FRAMES_PER_CONNECTION || host_frames == 0 {
                sockets += 1;
                socket = self::socket(&host, sockets);
            }
            let burst = if fuzzer.rng.chance(3) {
                (0..2 + fuzzer.rng.below(5))
                    .map(|_| {
                        (
                            Frame::Text(json_text(&Value::Object(fuzzer.valid()))),
                            "burst",
                        )
                    })
                    .collect()
            } else {
                vec![fuzzer.frame()]
            };
            current = burst;
            if let Err(why) = exchange((&host, inflight), &mut socket, &current, &mut tally) {
                panic!(
                    "frame {} of seed {seed}: {why}\n{}",
                    tally.frames + 1,
                    repro(tally.frames + current.len() as u64)
                );
            }
            host_frames += current.len() as u64;
        }
    }));
    if let Err(panic) = run {
        eprintln!(
            "fuzz: a panic at frame {} of seed {seed}:\n  {}\n{}",
            tally.frames + 1,
            current
                .iter()
                .map(|(f, _)| f.show())
                .collect::<Vec<_>>()
                .join("\n  "),
            repro(tally.frames + current.len() as u64)
        );
        resume_unwind(panic);
    }
    let elapsed = start.elapsed();
    eprintln!(
        "fuzz: {} frames (seed {seed}) in {elapsed:.2?}, {:.0} frames/s; outcomes {:?}; kinds {:?}; \
         frames whose code could only be checked to be listed: {}",
        tally.frames,
        tally.frames as f64 / elapsed.as_secs_f64(),
        tally.outcomes,
        tally.kinds,
        tally.any_code,
    );
    if count >= 10_000 {
        for code in GATEWAY_CODES.iter().chain(&["ok", "invalid_payload"]) {
            assert!(
                tally.outcomes.get(code).copied().unwrap_or(0) > 0,
                "no frame got {code}: the generators no longer reach it ({:?})",
                tally.outcomes
            );
        }
    }
}
