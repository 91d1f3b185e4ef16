//! [`Storage`] over Durable Object storage.
//!
//! Values are stored as JavaScript strings holding the JSON text, so what a native test
//! stores and what workerd stores are the same bytes.
//!
//! A [`WriteBatch`] is applied atomically through Durable Objects' write coalescing: every
//! `put` and `delete` of the batch is issued at once, without an `await` between them, so the
//! runtime commits them together (in chunks of 128 keys, the per-call limit; the chunks
//! coalesce too).
//!
//! A write is not awaited: Durable Objects' output gate holds everything the object sends
//! from then on (the reply, calls to other objects, socket frames) until storage confirms the
//! write, and if it fails the runtime discards them and resets the object, dropping its
//! in-memory state. That is the turn's rule (nothing leaves before its write is stored, a
//! failed write loses the in-memory state), kept by the platform, so a turn that writes
//! finishes without waiting. A batch the platform would refuse is refused here, before
//! anything is issued.

use crate::storage::{ListOptions, ReadNow, Storage, StorageError, StorageResult, WriteBatch};
use js_sys::{Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::worker_sys::DurableObjectStorage;

/// Keys per `put`/`delete` call: the Durable Object storage limit.
const CHUNK: usize = 128;

/// A Durable Object's storage as a duract [`Storage`].
pub struct DurableStorage {
    raw: DurableObjectStorage,
}

impl DurableStorage {
    /// Wraps the storage of a Durable Object (`state.storage().as_raw()`).
    pub fn new(raw: DurableObjectStorage) -> DurableStorage {
        DurableStorage { raw }
    }

    /// The underlying JavaScript storage object.
    pub fn raw(&self) -> &DurableObjectStorage {
        &self.raw
    }
}

pub(crate) fn js_failure(what: &str, e: JsValue) -> StorageError {
    StorageError {
        reason: format!("{what}: {}", describe(&e)),
    }
}

/// A readable text for a thrown JavaScript value.
pub(crate) fn describe(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    if let Some(err) = e.dyn_ref_error() {
        return String::from(err.message());
    }
    js_sys::JSON::stringify(e)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "unknown JavaScript error".to_owned())
}

trait DynRefError {
    fn dyn_ref_error(&self) -> Option<&js_sys::Error>;
}

impl DynRefError for JsValue {
    fn dyn_ref_error(&self) -> Option<&js_sys::Error> {
        use wasm_bindgen::JsCast;
        self.dyn_ref::<js_sys::Error>()
    }
}

/// A stored value as JSON text: strings are what duract writes; anything else (written by
/// other code) is stringified.
fn value_text(value: &JsValue) -> Option<String> {
    value.as_string().or_else(|| {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
    })
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function duractListed(map) {
  const keys = [];
  const values = [];
  for (const [key, value] of map) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text === undefined) continue;
    if (text.includes("\n")) return undefined;
    keys.push(key);
    values.push(text);
  }
  return [JSON.stringify(keys), values.join("\n")];
}
export function duractCanReadNow(storage) {
  try {
    return typeof storage.kv?.list === "function";
  } catch {
    return false; // a KV-backed object's storage has no synchronous API
  }
}
export function duractListNow(storage, prefix) {
  const listed = duractListed(storage.kv.list({ prefix }));
  if (listed !== undefined) return listed;
  const entries = [];
  for (const [key, value] of storage.kv.list({ prefix })) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text !== undefined) entries.push([key, text]);
  }
  return JSON.stringify(entries);
}
"#)]
extern "C" {
    /// A listed `Map` as two strings, `[keysJson, values joined by "\n"]` (values as
    /// [`value_text`] reads them); `undefined` when a value holds a newline.
    #[wasm_bindgen(js_name = duractListed)]
    fn duract_listed(map: &js_sys::Map) -> JsValue;
    /// Whether the storage has the synchronous API of SQLite-backed objects (`storage.kv`).
    #[wasm_bindgen(js_name = duractCanReadNow)]
    fn duract_can_read_now(storage: &DurableObjectStorage) -> bool;
    /// The entries under `prefix` through `storage.kv.list`, as [`duract_listed`] gives
    /// them, or (a value holds a newline) as one JSON array of `[key, value]` pairs.
    #[wasm_bindgen(js_name = duractListNow, catch)]
    fn duract_list_now(storage: &DurableObjectStorage, prefix: &str) -> Result<JsValue, JsValue>;
}

/// The entries listed in one crossing into wasm rather than two strings per entry
/// ([`duract_listed`]): the keys as one JSON array, the values joined by newlines, which JSON
/// text as duract writes it never holds (serde_json escapes them in strings). `None` when a
/// value holds one (written by other code): the caller then reads entry by entry.
fn split_listed(listed: JsValue) -> Option<Vec<(String, String)>> {
    let listed: js_sys::Array = wasm_bindgen::JsCast::dyn_into(listed).ok()?;
    let keys: Vec<String> = serde_json::from_str(&listed.get(0).as_string()?).ok()?;
    let values = listed.get(1).as_string()?;
    if keys.is_empty() {
        return Some(Vec::new());
    }
    let values: Vec<&str> = values.split('\n').collect();
    if values.len() != keys.len() {
        return None;
    }
    Some(
        keys.into_iter()
            .zip(values.into_iter().map(str::to_owned))
            .collect(),
    )
}

async fn settle(
    what: &'static str,
    promise: Result<Promise, JsValue>,
) -> Result<JsValue, StorageError> {
    let promise = promise.map_err(|e| js_failure(what, e))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| js_failure(what, e))
}

fn list_options(options: &ListOptions) -> Result<Object, StorageError> {
    let js = Object::new();
    let set = |key: &str, value: JsValue| {
        Reflect::set(&js, &JsValue::from_str(key), &value)
            .map(|_| ())
            .map_err(|e| js_failure("list options", e))
    };
    if !options.prefix.is_empty() {
        set("prefix", JsValue::from_str(&options.prefix))?;
    }
    if let Some(start) = &options.start {
        set("start", JsValue::from_str(start))?;
    }
    if let Some(end) = &options.end {
        set("end", JsValue::from_str(end))?;
    }
    if let Some(limit) = options.limit {
        set("limit", JsValue::from_f64(limit as f64))?;
    }
    Ok(js)
}

impl DurableStorage {
    /// One `put` of up to [`CHUNK`] entries, made in one call into JS: the keys as one JSON
    /// array, the values joined by newlines (which JSON text as duract writes it never holds);
    /// entry by entry when a value holds one.
    fn put_chunk(&self, chunk: &[(String, String)]) -> Result<Promise, JsValue> {
        if chunk.iter().any(|(_, value)| value.contains('\n')) {
            let entries = Object::new();
            for (key, value) in chunk {
                Reflect::set(&entries, &JsValue::from_str(key), &JsValue::from_str(value))?;
            }
            return self.raw.put_multiple(entries.into());
        }
        let keys: Vec<&str> = chunk.iter().map(|(key, _)| key.as_str()).collect();
        let keys = serde_json::to_string(&keys).expect("strings always encode");
        let mut values = String::with_capacity(chunk.iter().map(|(_, v)| v.len() + 1).sum());
        for (i, (_, value)) in chunk.iter().enumerate() {
            if i > 0 {
                values.push('\n');
            }
            values.push_str(value);
        }
        duract_put(&self.raw, &keys, &values)
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function duractPut(storage, keys, values) {
  const names = JSON.parse(keys);
  const texts = values.split("\n");
  const entries = {};
  for (let i = 0; i < names.length; i++) entries[names[i]] = texts[i];
  return storage.put(entries);
}
export function duractDelete(storage, keys) {
  return storage.delete(JSON.parse(keys));
}
"#)]
extern "C" {
    /// `storage.put({key: value, ...})` from the keys' JSON array and the values joined by
    /// newlines.
    #[wasm_bindgen(js_name = duractPut, catch)]
    fn duract_put(
        storage: &DurableObjectStorage,
        keys: &str,
        values: &str,
    ) -> Result<Promise, JsValue>;
    /// `storage.delete([key, ...])` from the keys' JSON array.
    #[wasm_bindgen(js_name = duractDelete, catch)]
    fn duract_delete(storage: &DurableObjectStorage, keys: &str) -> Result<Promise, JsValue>;
}

/// A SQLite-backed object's storage read without awaiting (`storage.kv`).
struct DurableReader {
    raw: DurableObjectStorage,
}

impl ReadNow for DurableReader {
    fn list_now(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError> {
        let listed =
            duract_list_now(&self.raw, prefix).map_err(|e| js_failure("storage kv.list", e))?;
        let unreadable = || StorageError {
            reason: format!("storage kv.list of `{prefix}` gave entries that do not decode"),
        };
        match listed.as_string() {
            Some(pairs) => serde_json::from_str(&pairs).map_err(|_| unreadable()),
            None => split_listed(listed).ok_or_else(unreadable),
        }
    }
}

impl Storage for DurableStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageResult<'a, Option<String>> {
        let promise = self.raw.get(key);
        Box::pin(async move {
            let value = settle("storage get", promise).await?;
            if value.is_undefined() {
                return Ok(None);
            }
            Ok(value_text(&value))
        })
    }

    fn list<'a>(&'a self, options: &'a ListOptions) -> StorageResult<'a, Vec<(String, String)>> {
        Box::pin(async move {
            if options.limit == Some(0) {
                return Ok(Vec::new());
            }
            let js_options = list_options(options)?;
            let map = settle("storage list", self.raw.list_with_options(js_options)).await?;
            let map: js_sys::Map = wasm_bindgen::JsCast::dyn_into(map)
                .map_err(|e| js_failure("storage list did not return a Map", e))?;
            if let Some(entries) = split_listed(duract_listed(&map)) {
                return Ok(entries);
            }
            let mut entries = Vec::with_capacity(map.size() as usize);
            map.for_each(&mut |value, key| {
                if let (Some(key), Some(value)) = (key.as_string(), value_text(&value)) {
                    entries.push((key, value));
                }
            });
            Ok(entries)
        })
    }

    fn write<'a>(&'a self, batch: WriteBatch) -> StorageResult<'a, ()> {
        // Nothing is issued for a batch the platform would refuse in part.
        if let Err(e) = batch.check() {
            return Box::pin(async move { Err(e) });
        }
        // Issue every call before awaiting any: the runtime coalesces them into one atomic
        // write. Building the calls cannot await.
        let mut calls: Vec<Result<Promise, JsValue>> = Vec::new();
        for chunk in batch.puts.chunks(CHUNK) {
            calls.push(self.put_chunk(chunk));
        }
        for chunk in batch.deletes.chunks(CHUNK) {
            let keys = serde_json::to_string(chunk).expect("strings always encode");
            calls.push(duract_delete(&self.raw, &keys));
        }
        let mut first_error = None;
        for call in calls {
            match call {
                // The output gate holds what follows until it settles; a failure resets the
                // object. Handled, so it is not reported as an unhandled rejection too.
                Ok(promise) => ignore_rejection(&promise),
                Err(e) => {
                    first_error.get_or_insert(js_failure("storage write", e));
                }
            }
        }
        Box::pin(async move { first_error.map_or(Ok(()), Err) })
    }

    fn reader(&self) -> Option<Rc<dyn ReadNow>> {
        let raw: DurableObjectStorage =
            wasm_bindgen::JsCast::unchecked_into(AsRef::<JsValue>::as_ref(&self.raw).clone());
        duract_can_read_now(&raw).then(|| Rc::new(DurableReader { raw }) as Rc<dyn ReadNow>)
    }
}

thread_local! {
    /// The one handler given to every write's promise: the runtime reports a failed write by
    /// resetting the object, so the rejection needs no handling of its own.
    static IGNORE: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> =
        wasm_bindgen::closure::Closure::new(|_: JsValue| {});
}

fn ignore_rejection(promise: &Promise) {
    IGNORE.with(|ignore| {
        let _ = promise.catch(ignore);
    });
}
