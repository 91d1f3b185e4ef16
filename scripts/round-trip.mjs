#!/usr/bin/env node
// One round trip through a served worker's gateway, as a client does it: a WebSocket to
// <url>/ws?session=<name>, the first frame (SessionEstablished), then one request and its reply,
// found by its replyTo. Used by scripts/new-crate-check on the crate `duract new` writes.
//   node scripts/round-trip.mjs http://127.0.0.1:8787 '{"to":"counter:main","type":"add","payload":{"by":2}}' addResponse
// Prints the reply; exits 1 when it does not come within 15 s or is not of the expected type.
// `ws` comes from e2e/node_modules (Node 20 has no WebSocket client of its own).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../e2e/package.json", import.meta.url)));
const WebSocket = require("ws");

const [url, request, expected] = process.argv.slice(2);
if (!url || !request || !expected) {
  console.error("usage: round-trip.mjs <url> <request JSON: to, type, payload> <expected reply type>");
  process.exit(2);
}
const fail = (why) => {
  console.error(`round-trip: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("no reply within 15 s"), 15000).unref();

const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws?session=round-trip`);
const id = `rt-${process.pid}`;
let established = false;
ws.on("error", (e) => fail(e.message));
ws.on("unexpected-response", (_req, res) => fail(`HTTP ${res.statusCode} instead of a WebSocket`));
ws.on("message", (data) => {
  const frame = JSON.parse(data.toString());
  if (!established) {
    if (frame.type !== "SessionEstablished") fail(`first frame ${data}`);
    established = true;
    ws.send(JSON.stringify({ from: "client:ui", ...JSON.parse(request), id, timestamp: Date.now() }));
    return;
  }
  if (frame.replyTo !== id) return;
  if (frame.type !== expected) fail(`expected ${expected}, got ${data}`);
  console.log(JSON.stringify(frame));
  ws.close(1000);
  process.exit(0);
});
