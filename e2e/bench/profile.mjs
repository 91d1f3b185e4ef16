#!/usr/bin/env node
// A CPU profile of one implementation's request path (bench/README.md, "Where a request's time
// goes"): starts it in Miniflare with workerd's inspector, registers 10 workers on a coordinator,
// warms up, then samples workerd's isolate (DevTools `Profiler`, 50 µs) while one session sends
// `--requests` get_status one after the other (or `--scenario writes`: register/assign
// alternating). Prints self time per function in µs per request, the heaviest first.
//
//   cd e2e && node bench/profile.mjs [--impl example|peer] [--requests N] [--scenario status|writes]
//                                    [--top N] [--peer DIR] [--json FILE]
//
// Rust function names show only when the wasm keeps its name section (`DURACT_KEEP_NAMES=1
// scripts/build-example`); otherwise wasm functions show as `wasm-function[N]`.
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { DEFAULT_PEER_DIR, checkSources, commonVars, startImpl } from "./servers.mjs";
import { connect } from "./client.mjs";

const { values } = parseArgs({
  options: {
    impl: { type: "string", default: "example" },
    requests: { type: "string", default: "3000" },
    scenario: { type: "string", default: "status" },
    top: { type: "string", default: "30" },
    peer: { type: "string", default: DEFAULT_PEER_DIR },
    json: { type: "string" },
  },
});
const requests = Number(values.requests);
const peerDir = path.resolve(values.peer);
checkSources(peerDir);

/** A free TCP port (asked of the OS). */
async function freePort() {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The DevTools session of the user worker's isolate. */
async function inspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((t) => /core:user/.test(t.id)) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let n = 0;
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    const w = msg.id !== undefined && waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(JSON.stringify(msg.error)));
    else w.resolve(msg.result);
  });
  return {
    target: target.id,
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++n;
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time (µs) per function of a DevTools profile, heaviest first. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = new Map();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    total.set(key, (total.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...total.entries()].sort((a, b) => b[1] - a[1]);
}

const persist = mkdtempSync(path.join(os.tmpdir(), "duract-profile-"));
const inspectorPort = await freePort();
const server = await startImpl(values.impl, {
  peerDir,
  persist,
  vars: commonVars(peerDir, { WORK_MS: "10" }),
  inspectorPort,
});
try {
  const conn = await connect(server.url, "profile");
  const coord = "coordinator:profile";
  for (let i = 0; i < 10; i++) await conn.request(coord, "register_worker", { workerId: `pw${i}` });
  let k = 0;
  const one = () =>
    values.scenario === "writes"
      ? k++ % 2 === 0
        ? conn.request(coord, "register_worker", { workerId: `pr${k}` })
        : conn.request(coord, "assign_task", { taskId: `pt${k}`, workMs: 10 })
      : conn.request(coord, "get_status", {});
  for (let i = 0; i < 600; i++) await one();
  const devtools = await inspector(inspectorPort);
  await devtools.send("Profiler.enable");
  await devtools.send("Profiler.setSamplingInterval", { interval: 50 });
  await devtools.send("Profiler.start");
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) {
    const { frame } = await one();
    if (!frame || frame.type === "Error") throw new Error(`request failed: ${JSON.stringify(frame)}`);
  }
  const elapsed = performance.now() - t0;
  const { profile } = await devtools.send("Profiler.stop");
  devtools.close();
  await conn.close();
  const sampled = profile.endTime - profile.startTime;
  const rows = selfTimes(profile);
  const busy = rows.filter(([k]) => k !== "(idle)").reduce((s, [, us]) => s + us, 0);
  console.log(`${values.impl}, ${values.scenario}: ${requests} requests in ${elapsed.toFixed(0)} ms (${((requests / elapsed) * 1000).toFixed(0)} req/s under the profiler); isolate ${devtools.target}`);
  console.log(`sampled ${(sampled / 1000).toFixed(0)} ms, not idle ${(busy / requests).toFixed(1)} µs/request\n`);
  console.log("| function | µs/request |\n|---|---:|");
  for (const [key, us] of rows.slice(0, Number(values.top))) console.log(`| ${key} | ${(us / requests).toFixed(1)} |`);
  if (values.json) writeFileSync(values.json, JSON.stringify(profile));
} finally {
  await server.stop();
  rmSync(persist, { recursive: true, force: true });
}
