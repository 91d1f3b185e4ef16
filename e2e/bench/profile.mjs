#!/usr/bin/env node
// A CPU profile of one implementation's request path (bench/README.md, "Where a request's time
// goes"): starts it in Miniflare with workerd's inspector, registers 10 workers on a coordinator,
// warms up, then samples workerd's isolate (DevTools `Profiler`, 50 µs) while one session sends
// `--requests` get_status one after the other (or `--scenario writes`: register/assign
// alternating; `--sessions S --window W`: S sessions, W in flight each, `--requests` in all).
// Prints self time per function in µs per request, the heaviest first.
//
//   cd e2e && node bench/profile.mjs [--impl example|peer] [--requests N] [--scenario status|writes]
//                                    [--sessions S] [--window W] [--top N] [--peer DIR] [--json FILE]
//
// Rust function names show only when the wasm keeps its name section (`DURACT_KEEP_NAMES=1
// scripts/build-example`); otherwise wasm functions show as `wasm-function[N]`.
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { DEFAULT_PEER_DIR, checkSources, commonVars, startImpl } from "./servers.mjs";
import { connect, connectMany, closeAll, drive } from "./client.mjs";

const { values } = parseArgs({
  options: {
    impl: { type: "string", default: "example" },
    requests: { type: "string", default: "3000" },
    scenario: { type: "string", default: "status" },
    sessions: { type: "string", default: "1" },
    window: { type: "string", default: "1" },
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
if (values.scenario === "cold") {
  await profileColdStart();
  process.exit(0);
}

/** `--scenario cold`: 10,000 queued tasks loaded, workerd restarted, then the profile of the
 * first socket and `get_status` (times in ms, not per request). */
async function profileColdStart() {
  const vars = commonVars(peerDir, { WORK_MS: "10" });
  const coord = "coordinator:cold";
  const first = await startImpl(values.impl, { peerDir, persist, vars });
  const conns = await connectMany(first.url, "load", 8);
  await drive(conns, 1250, 8, (s, i) => [coord, "assign_task", { taskId: `c${s}-${i}` }]);
  await closeAll(conns);
  await first.stop();
  const server = await startImpl(values.impl, { peerDir, persist, vars, inspectorPort });
  try {
    const devtools = await inspector(inspectorPort);
    await devtools.send("Profiler.enable");
    await devtools.send("Profiler.setSamplingInterval", { interval: 50 });
    await devtools.send("Profiler.start");
    const t0 = performance.now();
    const conn = await connect(server.url, "cold");
    const t1 = performance.now();
    const { frame } = await conn.request(coord, "get_status", {});
    const t2 = performance.now();
    const { profile } = await devtools.send("Profiler.stop");
    if (frame?.payload?.queuedTasks !== 10000) throw new Error(`unexpected status ${JSON.stringify(frame).slice(0, 300)}`);
    console.log(`${values.impl}, cold: socket open ${(t1 - t0).toFixed(1)} ms, get_status ${(t2 - t1).toFixed(1)} ms (under the profiler)\n`);
    console.log("| function | ms |\n|---|---:|");
    for (const [key, us] of selfTimes(profile).slice(0, Number(values.top))) console.log(`| ${key} | ${(us / 1000).toFixed(2)} |`);
    await conn.close();
    devtools.close();
  } finally {
    await server.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}
const server = await startImpl(values.impl, {
  peerDir,
  persist,
  vars: commonVars(peerDir, { WORK_MS: "10" }),
  inspectorPort,
});
try {
  const conn = await connect(server.url, "profile");
  const sessions = Number(values.sessions);
  const conns = sessions > 1 ? await connectMany(server.url, "profile-s", sessions) : [conn];
  const coord = "coordinator:profile";
  for (let i = 0; i < 10; i++) await conn.request(coord, "register_worker", { workerId: `pw${i}` });
  let k = 0;
  const next = () =>
    values.scenario === "writes"
      ? k++ % 2 === 0
        ? [coord, "register_worker", { workerId: `pr${k}` }]
        : [coord, "assign_task", { taskId: `pt${k}`, workMs: 10 }]
      : [coord, "get_status", {}];
  const run = async (n) => {
    const tally = await drive(conns, Math.ceil(n / conns.length), Number(values.window), next);
    const failed = Object.keys(tally.errors);
    if (failed.length) throw new Error(`requests failed: ${JSON.stringify(tally.errors)}`);
  };
  await run(600);
  const devtools = await inspector(inspectorPort);
  await devtools.send("Profiler.enable");
  await devtools.send("Profiler.setSamplingInterval", { interval: 50 });
  await devtools.send("Profiler.start");
  const t0 = performance.now();
  await run(requests);
  const elapsed = performance.now() - t0;
  const { profile } = await devtools.send("Profiler.stop");
  devtools.close();
  await conn.close();
  if (conns.length > 1) await closeAll(conns);
  const sampled = profile.endTime - profile.startTime;
  const rows = selfTimes(profile);
  const busy = rows.filter(([k]) => k !== "(idle)").reduce((s, [, us]) => s + us, 0);
  console.log(`${values.impl}, ${values.scenario}, ${conns.length} session(s) x ${values.window} in flight: ${requests} requests in ${elapsed.toFixed(0)} ms (${((requests / elapsed) * 1000).toFixed(0)} req/s under the profiler); isolate ${devtools.target}`);
  console.log(`sampled ${(sampled / 1000).toFixed(0)} ms, not idle ${(busy / requests).toFixed(1)} µs/request\n`);
  console.log("| function | µs/request |\n|---|---:|");
  for (const [key, us] of rows.slice(0, Number(values.top))) console.log(`| ${key} | ${(us / requests).toFixed(1)} |`);
  if (values.json) writeFileSync(values.json, JSON.stringify(profile));
} finally {
  await server.stop();
  rmSync(persist, { recursive: true, force: true });
}
