#!/usr/bin/env node
// Starts the built example worker in workerd (Miniflare) and prints one JSON line with its URL:
//   node e2e/launch.mjs --persist .duract/e2e-state [--port 8788] [--var WORK_MS=50 ...]
//   {"url":"http://127.0.0.1:8788"}
// It runs until SIGINT or SIGTERM, then stops workerd.
import { startWorker } from "./lib/worker.mjs";
import { parseArgs } from "node:util";
import { mkdirSync } from "node:fs";
import path from "node:path";

const { values } = parseArgs({
  options: {
    persist: { type: "string" },
    port: { type: "string", default: "0" },
    var: { type: "string", multiple: true, default: [] },
  },
});
if (!values.persist) {
  console.error("usage: launch.mjs --persist DIR [--port N] [--var KEY=VALUE ...]");
  process.exit(2);
}
const vars = {};
for (const kv of values.var) {
  const at = kv.indexOf("=");
  if (at <= 0) {
    console.error(`--var ${kv}: expected KEY=VALUE`);
    process.exit(2);
  }
  vars[kv.slice(0, at)] = kv.slice(at + 1);
}
const persist = path.resolve(values.persist);
mkdirSync(persist, { recursive: true });
const worker = await startWorker({ persist, vars, port: Number(values.port), onLog: (line) => console.error(line) });
console.log(JSON.stringify({ url: worker.url }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await worker.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
