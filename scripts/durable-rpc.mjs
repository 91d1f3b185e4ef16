// Makes the Durable Object classes of a built worker callable over Durable Object RPC.
//
//   node scripts/durable-rpc.mjs examples/system/build/index.js
//
// workerd serves RPC only to classes that extend `DurableObject` (from "cloudflare:workers");
// the classes `worker`'s macros export are wasm-bindgen classes. This appends to the module a
// few lines that give every exported class with duract's RPC method (`duractCall`, see
// runtime/src/durable/port.rs) `DurableObject`'s prototype, which is what workerd checks.
// The module imports itself to reach its own exports by name, whatever the bundler named them
// inside. Running it twice changes nothing.
//
// It also refuses a build without a worker entry point: without `#[event(fetch)]` the build
// succeeds and every request is an HTTP 500 (`SyntaxError: Unexpected end of JSON input`).
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The names a wasm module exports (its export section, read without compiling it). */
function wasmExports(bytes) {
  let at = 8; // magic and version
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 7) {
      const names = [];
      for (let n = leb(); n > 0; n--) {
        const length = leb();
        names.push(Buffer.from(bytes.subarray(at, at + length)).toString("utf8"));
        at += length + 1; // the name, then its kind
        leb(); // its index
      }
      return names;
    }
    at = end;
  }
  return [];
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/durable-rpc.mjs <built index.js>");
  process.exit(2);
}
const wasm = path.join(path.dirname(file), "index_bg.wasm");
if (existsSync(wasm) && !wasmExports(readFileSync(wasm)).includes("fetch")) {
  console.error(
    "duract: the worker has no entry point: add `#[event(fetch)] async fn fetch(req: Request, env: Env, \
_ctx: Context) -> Result<Response> { duract::durable::gateway_entry::<Session>(req, &env).await }` \
(see the README); without it every request is an HTTP 500.",
  );
  process.exit(1);
}
const MARKER = "/* duract: Durable Object RPC */";
if (readFileSync(file, "utf8").includes(MARKER)) process.exit(0);
const self = `./${path.basename(file)}`;
appendFileSync(
  file,
  `
${MARKER}
import { DurableObject as __duractDurableObject } from "cloudflare:workers";
import * as __duractExports from "${self}";
for (const exported of Object.values(__duractExports)) {
  if (typeof exported === "function" && typeof exported.prototype?.duractCall === "function") {
    Object.setPrototypeOf(exported.prototype, __duractDurableObject.prototype);
    Object.setPrototypeOf(exported, __duractDurableObject);
  }
}
`,
);
