//! The two things the build does to the wasm module and its JavaScript: the names the module
//! exports (the worker has an entry point when it exports `fetch`), the removal of the debug
//! name sections, and the Durable Object RPC glue appended to `index.js`.

use std::fmt;

/// A module that is not wasm, or is cut short.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid wasm module: {}", self.0)
    }
}

const MAGIC: &[u8] = b"\0asm";

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, Malformed> {
        let byte = *self.bytes.get(self.at).ok_or(Malformed("cut short"))?;
        self.at += 1;
        Ok(byte)
    }

    /// An unsigned LEB128 number (at most 32 bits).
    fn leb(&mut self) -> Result<usize, Malformed> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return usize::try_from(value).map_err(|_| Malformed("size out of range"));
            }
        }
        Err(Malformed("LEB128 number too long"))
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Malformed> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(Malformed("size out of range"))?;
        let slice = self.bytes.get(self.at..end).ok_or(Malformed("cut short"))?;
        self.at = end;
        Ok(slice)
    }
}

/// A section: its id, where it starts (its id byte) and ends, and where its body starts.
struct Section {
    id: u8,
    start: usize,
    body: usize,
    end: usize,
}

fn sections(bytes: &[u8]) -> Result<Vec<Section>, Malformed> {
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(Malformed("no wasm header"));
    }
    let mut reader = Reader { bytes, at: 8 };
    let mut out = Vec::new();
    while reader.at < bytes.len() {
        let start = reader.at;
        let id = reader.byte()?;
        let size = reader.leb()?;
        let body = reader.at;
        reader.take(size)?;
        out.push(Section {
            id,
            start,
            body,
            end: reader.at,
        });
    }
    Ok(out)
}

/// The names a module exports (its export section, read without compiling it).
pub fn exports(bytes: &[u8]) -> Result<Vec<String>, Malformed> {
    let Some(section) = sections(bytes)?.into_iter().find(|s| s.id == 7) else {
        return Ok(Vec::new());
    };
    let mut reader = Reader {
        bytes: &bytes[..section.end],
        at: section.body,
    };
    let mut names = Vec::new();
    for _ in 0..reader.leb()? {
        let length = reader.leb()?;
        let name = reader.take(length)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        reader.byte()?; // its kind
        reader.leb()?; // its index
    }
    Ok(names)
}

/// The module without its custom sections `name` and `producers` (debug names: about a
/// quarter of a module; workerd never needs them).
pub fn strip(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut out = bytes[..8.min(bytes.len())].to_vec();
    for section in sections(bytes)? {
        if section.id == 0 {
            let mut reader = Reader {
                bytes: &bytes[..section.end],
                at: section.body,
            };
            let length = reader.leb()?;
            let name = reader.take(length)?;
            if name == b"name" || name == b"producers" {
                continue;
            }
        }
        out.extend_from_slice(&bytes[section.start..section.end]);
    }
    Ok(out)
}

/// The line that marks the glue as appended (running the build twice appends it once).
pub const RPC_MARKER: &str = "/* duract: Durable Object RPC */";

/// What makes the Durable Object classes of a built worker callable over Durable Object RPC,
/// appended to the bundle `index.js`; and a gateway's socket frames handled without a Rust
/// future per frame.
///
/// workerd serves RPC only to classes that extend `DurableObject` (from "cloudflare:workers");
/// the classes `worker`'s macros export are wasm-bindgen classes. The glue gives every exported
/// class with duract's RPC method (`duractCall`) `DurableObject`'s prototype, which is what
/// workerd checks. The module imports itself to reach its own exports by name, whatever the
/// bundler named them inside.
///
/// Every such class also gets a `webSocketMessage` of its own: `duractFrame` (wasm, sync)
/// checks the frame and answers the reply to send at once, or what to forward; the glue makes
/// the RPC call with the gateway's `ClientReply` beside the request, awaits it and sends what
/// the target answered, the client's frame (`duract::durable::Object::frame`); `duractFailed`
/// (wasm, sync) writes the error frame when the call throws. The glue counts each socket's
/// requests awaiting replies (`MAX_INFLIGHT` is checked in wasm).
///
/// And its `alarm` is `duractAlarm` (`duract::durable::Object::alarm_event`), which answers
/// nothing where `worker`'s `alarm` makes a `Response` for workerd to drop.
pub fn rpc_glue(bundle_file_name: &str) -> String {
    format!(
        r#"
{RPC_MARKER}
import {{ DurableObject as __duractDurableObject }} from "cloudflare:workers";
import * as __duractExports from "./{bundle_file_name}";
function __duractSend(ws, frame) {{
  try {{
    ws.send(frame);
  }} catch (e) {{
    console.warn(`duract: reply not sent: ${{e}}`); // the client went away meanwhile
  }}
}}
async function __duractSocketMessage(ws, message) {{
  const inflight = (this.__duractInflight ??= new Map()); // socket -> requests awaiting replies
  const busy = inflight.get(ws) ?? 0;
  const step = this.duractFrame(ws, message, busy);
  if (step === undefined) return;
  if (typeof step === "string") return __duractSend(ws, step);
  const [method, stub, request, client] = step;
  inflight.set(ws, busy + 1);
  let frame;
  try {{
    frame = await Reflect.apply(method, stub, [request, client]); // the client's frame
  }} catch (e) {{
    frame = this.duractFailed(message, e);
  }}
  const left = (inflight.get(ws) ?? 1) - 1;
  if (left > 0) inflight.set(ws, left);
  else inflight.delete(ws);
  if (frame !== undefined) __duractSend(ws, frame);
}}
for (const exported of Object.values(__duractExports)) {{
  if (typeof exported === "function" && typeof exported.prototype?.duractCall === "function") {{
    Object.setPrototypeOf(exported.prototype, __duractDurableObject.prototype);
    Object.setPrototypeOf(exported, __duractDurableObject);
    if (typeof exported.prototype.duractFrame === "function") {{
      exported.prototype.webSocketMessage = __duractSocketMessage;
    }}
    if (typeof exported.prototype.duractAlarm === "function") {{
      exported.prototype.alarm = exported.prototype.duractAlarm;
    }}
  }}
}}
"#
    )
}

/// What the build says when the module has no `fetch` export.
pub const NO_ENTRY_POINT: &str = "the worker has no entry point: add `#[event(fetch)] async fn \
fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> { \
duract::durable::gateway_entry::<Session>(req, &env).await }` (see `duract new`'s src/lib.rs); \
without it the build succeeds and every request is an HTTP 500 \
(`SyntaxError: Unexpected end of JSON input`).";

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    fn section(id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![id];
        out.extend(leb(body.len()));
        out.extend_from_slice(body);
        out
    }

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = leb(name.len());
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        section(0, &body)
    }

    fn export_section(names: &[&str]) -> Vec<u8> {
        let mut body = leb(names.len());
        for (i, name) in names.iter().enumerate() {
            body.extend(leb(name.len()));
            body.extend_from_slice(name.as_bytes());
            body.push(0); // a function
            body.extend(leb(i + 200)); // a two-byte index
        }
        section(7, &body)
    }

    fn module(sections: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        for s in sections {
            out.extend_from_slice(s);
        }
        out
    }

    #[test]
    fn exports_are_read_from_the_export_section() {
        let wasm = module(&[
            section(1, &[0]),
            export_section(&["memory", "fetch", "__wbg_x"]),
            custom("name", &[1; 300]),
        ]);
        assert_eq!(exports(&wasm).unwrap(), ["memory", "fetch", "__wbg_x"]);
        assert_eq!(
            exports(&module(&[section(1, &[0])])).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn strip_drops_only_the_debug_sections() {
        let kept = [
            section(1, &[0]),
            export_section(&["fetch"]),
            custom("other", b"x"),
        ];
        let wasm = module(&[
            kept[0].clone(),
            custom("name", &[7; 200]),
            kept[1].clone(),
            custom("producers", b"rustc"),
            kept[2].clone(),
        ]);
        let stripped = strip(&wasm).unwrap();
        assert_eq!(stripped, module(&kept));
        assert_eq!(
            strip(&stripped).unwrap(),
            stripped,
            "stripping twice changes nothing"
        );
    }

    #[test]
    fn malformed_modules_are_refused_not_panicked_on() {
        assert!(exports(b"not wasm at all").is_err());
        let mut cut = module(&[export_section(&["fetch"])]);
        cut.truncate(cut.len() - 2);
        assert!(exports(&cut).is_err());
        assert!(strip(&cut).is_err());
        assert!(strip(b"\0asm").is_err());
        let endless = module(&[vec![1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]]);
        assert!(exports(&endless).is_err());
    }

    #[test]
    fn the_glue_imports_its_own_bundle() {
        let glue = rpc_glue("index.js");
        assert!(glue.contains(RPC_MARKER));
        assert!(glue.contains(r#"import * as __duractExports from "./index.js";"#));
        assert!(glue.contains("duractCall"));
        assert!(glue.contains("this.duractFrame(ws, message, busy)"));
        assert!(glue.contains("Reflect.apply(method, stub, [request, client])"));
        assert!(glue.contains("this.duractFailed(message, e)"));
        assert!(glue.contains("exported.prototype.alarm = exported.prototype.duractAlarm;"));
    }
}
