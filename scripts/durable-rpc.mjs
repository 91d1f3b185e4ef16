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
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/durable-rpc.mjs <built index.js>");
  process.exit(2);
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
