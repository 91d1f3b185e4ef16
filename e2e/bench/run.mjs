#!/usr/bin/env node
// End-to-end benchmark (issue 13): duract's example system (production build) against the plain
// JavaScript peer (../shared/peer), each in its own Miniflare (workerd) with Durable Object storage
// on disk, driven through the gateway WebSocket by the same client, runs alternating
// example, peer, example, peer, ... Prints one Markdown table. See bench/README.md.
//
//   cd e2e && npm run bench -- [--quick] [--reps N] [--only KEY,KEY] [--work-ms MS] [--peer DIR]
//                              [--baseline DIR] [--json FILE] [--keep] [--verbose]
import { parseArgs } from "node:util";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { commitBounds, measureCommit } from "./storage-cost.mjs";
import { IMPLS, DEFAULT_PEER_DIR, checkSources, commonVars, snapshotExampleBuild, startImpl as startFrom } from "./servers.mjs";
import { SCENARIOS, SIZES } from "./scenarios.mjs";
import { markdownTable, repLines, summarize } from "./stats.mjs";
import { closeAll, connectMany, drive } from "./client.mjs";

const USAGE = `usage: node bench/run.mjs [options]
  --quick          smaller scenarios (about a minute; figures not comparable to a default run)
  --reps N         repetitions per implementation and scenario (default 3)
  --only K1,K2     only these scenarios: ${SCENARIOS.map((s) => s.key).join(", ")}
  --work-ms MS     WORK_MS of both implementations (default 10)
  --peer DIR       the peer's folder (default ${DEFAULT_PEER_DIR})
  --baseline DIR   race another build of the example (DIR holds its index.js and index_bg.wasm,
                   e.g. a copy of examples/system/build from an earlier commit) in the peer's place
  --json FILE      also write every run's figures as JSON
  --keep           keep the storage folders (printed) instead of deleting them
  --verbose        print workerd's own output`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      reps: { type: "string", default: "3" },
      only: { type: "string" },
      "work-ms": { type: "string", default: "10" },
      peer: { type: "string", default: DEFAULT_PEER_DIR },
      baseline: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }));
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps < 1) {
  console.error(`--reps ${values.reps}: expected a positive integer`);
  process.exit(2);
}
const peerDir = path.resolve(values.peer);
const size = values.quick ? SIZES.quick : SIZES.default;
let scenarios = SCENARIOS;
if (values.only) {
  const keys = values.only.split(",").map((k) => k.trim());
  const unknown = keys.filter((k) => !SCENARIOS.some((s) => s.key === k));
  if (unknown.length) {
    console.error(`--only: unknown scenario ${unknown.join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  scenarios = SCENARIOS.filter((s) => keys.includes(s.key));
}
try {
  checkSources(peerDir);
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exit(1);
}

const log = (line) => console.error(line);
// workerd's own output (console.* of either implementation, runtime warnings): counted and the first
// lines kept for the report; printed as it comes with --verbose.
const workerdOutput = { example: { count: 0, first: [] }, peer: { count: 0, first: [] } };
const onLog = (impl) => (line) => {
  if (!line.trim()) return;
  const o = workerdOutput[impl];
  o.count++;
  if (o.first.length < 10) o.first.push(line.slice(0, 300));
  if (values.verbose) log(`  [${impl}] ${line}`);
};
const baseVars = commonVars(peerDir, { WORK_MS: values["work-ms"] });
// Deep state: the workers must keep their task (else the 10,000 queued tasks drain away), so the
// work lasts an hour and the lease two.
const deepVars = { ...baseVars, WORK_MS: "3600000", TASK_LEASE_MS: "7200000" };
const root = mkdtempSync(path.join(os.tmpdir(), "duract-bench-"));
const runId = Date.now().toString(36);
const build = snapshotExampleBuild(path.join(root, "example-build"));
// With --baseline, another build of the example runs in the peer's place (an A/B of two builds).
const baseline = values.baseline ? snapshotExampleBuild(path.join(root, "baseline-build"), path.resolve(values.baseline)) : null;
/** startImpl with the example from the snapshot taken above (and the baseline's in the peer's place). */
const startImpl = (impl, options) =>
  impl === "peer" && baseline
    ? startFrom("example", { ...options, exampleBuild: baseline.dir })
    : startFrom(impl, { ...options, exampleBuild: build.dir });
// Interrupted (Ctrl-C, SIGTERM: wrangler's and Miniflare's own handlers exit the process and stop
// workerd) or not, the storage folders go with the process.
process.on("exit", () => {
  if (!values.keep) rmSync(root, { recursive: true, force: true });
});
const started = performance.now();
const loadBefore = os.loadavg()[0];
const runsByKey = new Map(scenarios.map((s) => [s.key, []]));

function describe(r) {
  if (r.failed) return `FAILED: ${r.failed}`;
  const v = r.lowerIsBetter ? `${r.value.toFixed(0)} ms` : `${r.value.toFixed(0)}/s`;
  const lat = Number.isFinite(r.p50) ? ` p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms` : "";
  const errs = Object.keys(r.errors ?? {}).length ? ` errors ${JSON.stringify(r.errors)}` : "";
  return `${v}${lat}${errs}${r.note ? ` ${r.note}` : ""}`;
}

async function record(scenario, impl, rep, fn) {
  let r;
  try {
    r = await fn();
  } catch (e) {
    r = { failed: e.message, errors: {} };
  }
  Object.assign(r, { impl, rep, lowerIsBetter: !!scenario.lowerIsBetter });
  runsByKey.get(scenario.key).push(r);
  log(`${scenario.key} #${rep} ${impl.padEnd(7)} ${describe(r)}`);
}

/** Starts both implementations in their own Miniflare, storage in <root>/<pool>-<impl>. */
async function startPool(pool, vars) {
  const servers = {};
  for (const impl of IMPLS) {
    const persist = path.join(root, `${pool}-${impl}`);
    mkdirSync(persist, { recursive: true });
    servers[impl] = await startImpl(impl, { peerDir, persist, vars, onLog: onLog(impl) });
  }
  return servers;
}

async function stopPool(servers) {
  for (const s of Object.values(servers)) await s.stop();
}

/** Untimed warm-up of an instance: reads and writes on a throwaway coordinator. */
async function warmUp(server) {
  const coord = `coordinator:warmup-${runId}-${server.impl}`;
  const conns = await connectMany(server.url, `warmup-${runId}-${server.impl}`, 4);
  await drive(conns, 150, 4, (s, i) =>
    i % 3 === 0
      ? [coord, "register_worker", { workerId: `warmup-${runId}-${server.impl}-w${s}-${i}` }]
      : i % 3 === 1
        ? [coord, "assign_task", { taskId: `warmup-t${s}-${i}` }]
        : [coord, "get_status", null],
  );
  await closeAll(conns);
  await new Promise((r) => setTimeout(r, 500)); // let the warm-up's tasks finish
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the scenarios of `pool`: both implementations started once for all its runs, or, with
 * `fresh`, a new instance on new storage for every run (deep state: its 1,000 busy workers stay
 * live Durable Objects, and the peer's workerd failed with SQLITE_NOMEM at about 2,900 of them).
 */
async function runPool(pool, vars, { fresh = false } = {}) {
  const mine = scenarios.filter((s) => s.pool === pool);
  if (!mine.length) return;
  log(`-- ${pool}: ${fresh ? "a fresh instance per run" : "both implementations started once"} (WORK_MS=${vars.WORK_MS})`);
  let servers = null;
  try {
    if (!fresh) {
      servers = await startPool(pool, vars);
      for (const impl of IMPLS) await warmUp(servers[impl]);
    }
    for (const scenario of mine) {
      for (let rep = 1; rep <= reps; rep++) {
        for (const impl of IMPLS) {
          const tag = `${scenario.key}-${runId}-${rep}-${impl}`;
          await pause(250);
          await record(scenario, impl, rep, async () => {
            if (!fresh) return scenario.run(servers[impl], { tag, size, log });
            const persist = path.join(root, tag);
            mkdirSync(persist, { recursive: true });
            const server = await startImpl(impl, { peerDir, persist, vars, onLog: onLog(impl) });
            try {
              await warmUp(server);
              return await scenario.run(server, { tag, size, log });
            } finally {
              await server.stop();
            }
          });
        }
      }
    }
  } finally {
    if (servers) await stopPool(servers);
  }
}

async function runCold() {
  for (const scenario of scenarios.filter((s) => s.pool === "cold")) {
    log(`-- ${scenario.key}: loading one coordinator per implementation (untimed)`);
    const prepared = {};
    const persist = {};
    for (const impl of IMPLS) {
      persist[impl] = path.join(root, `${scenario.key}-${impl}`);
      mkdirSync(persist[impl], { recursive: true });
      const server = await startImpl(impl, { peerDir, persist: persist[impl], vars: baseVars, onLog: onLog(impl) });
      try {
        prepared[impl] = await scenario.prepare(server, { tag: `${scenario.key}-${runId}-${impl}`, size, log });
        log(`  ${impl}: loaded in ${(prepared[impl].loadMs / 1000).toFixed(1)} s`);
      } catch (e) {
        prepared[impl] = { failed: e.message };
        log(`  ${impl}: loading FAILED: ${e.message}`);
      } finally {
        await server.stop();
      }
    }
    for (let rep = 1; rep <= reps; rep++) {
      for (const impl of IMPLS) {
        const tag = `${scenario.key}-${runId}-${rep}-${impl}`;
        await record(scenario, impl, rep, async () => {
          if (prepared[impl].failed) throw new Error(`not loaded: ${prepared[impl].failed}`);
          const start = () => startImpl(impl, { peerDir, persist: persist[impl], vars: baseVars, onLog: onLog(impl) });
          return scenario.run(start, { tag, size, log, prepared: prepared[impl] });
        });
      }
    }
  }
}

const miniflareVersion = JSON.parse(
  readFileSync(new URL("../node_modules/miniflare/package.json", import.meta.url), "utf8"),
).version;
log(`bench: ${values.quick ? "quick" : "default"} sizes, ${reps} repetitions, storage in ${root}`);
log(`bench: example build copied from examples/system/build, wasm ${build.bytes} bytes, sha256 ${build.sha256.slice(0, 12)}`);
if (baseline) log(`bench: in the peer's place, the example build from ${values.baseline}, wasm ${baseline.bytes} bytes, sha256 ${baseline.sha256.slice(0, 12)}`);
// What a commit costs on this storage, now: the write scenarios are bound by it (README.md).
const commit = await measureCommit({ parent: root, reps: 3, objects: 1, calls: 500 });
const bounds = commitBounds(commit.write);
log(`bench: a write event costs ${commit.write.toFixed(0)} µs here (${commit.put.toFixed(0)} against ${commit.noop.toFixed(0)} without a write)`);
try {
  await runPool("main", baseVars);
  await runPool("deep", deepVars, { fresh: true });
  await runCold();
} finally {
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
const fmt = (n) => Math.round(n).toLocaleString("en-US");

const rows = scenarios.map((s) => summarize({ ...s, title: s.title(size) }, runsByKey.get(s.key)));
const cpus = os.cpus();
const out = [
  `## duract example vs ${baseline ? "a baseline build of it" : "JS peer"}, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `${cpus.length} x ${cpus[0]?.model ?? "cpu"}, Node ${process.version}, Miniflare ${miniflareVersion}; ` +
    `example build: wasm ${build.bytes.toLocaleString("en-US")} bytes, sha256 ${build.sha256.slice(0, 12)}; ` +
    `${values.quick ? "--quick sizes" : "default sizes"}, ${reps} alternating repetitions per implementation; ` +
    `Durable Object storage in ${path.dirname(root)}${root.startsWith("/dev/shm") ? " (tmpfs: commits without a disk)" : " (on disk)"}; WORK_MS=${baseVars.WORK_MS} (deep state: ${deepVars.WORK_MS}), ` +
    `MAX_INFLIGHT=${baseVars.MAX_INFLIGHT}, other limits at protocol.md's defaults; run took ${seconds.toFixed(0)} s; ` +
    `1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after.`,
  ...(baseline
    ? [
        "",
        `**Baseline run**: the "peer" columns are the example build from ${values.baseline} ` +
          `(wasm ${baseline.bytes.toLocaleString("en-US")} bytes, sha256 ${baseline.sha256.slice(0, 12)}), not the JavaScript peer.`,
      ]
    : []),
  "",
  `A write event costs ${commit.write.toFixed(0)} µs on this storage (${commit.put.toFixed(0)} µs against ` +
    `${commit.noop.toFixed(0)} µs for an event without a write, bench/storage-cost.mjs, measured at the start): ` +
    `commits alone bound register/assign at ~${fmt(bounds.writesPerSecond)} req/s, fan-out at ` +
    `~${fmt(bounds.tasksPerSecond)} tasks/s and the deep state at ~${fmt(bounds.deepPerSecond)} req/s, ` +
    "for either implementation (README.md, \"Writes are bound by the storage commit\").",
  "",
  markdownTable(rows),
  "",
  "Medians over the repetitions; p50/p99 are each run's request latencies (send to reply), medians over the runs. " +
    "Ratio: median of the per-repetition ratios, example/peer for a throughput and peer/example for a time, " +
    "so above 1.00x the example is better.",
  "",
  "Per repetition:",
  "",
  repLines(rows, runsByKey),
];
const errorLines = [];
for (const [key, runs] of runsByKey) {
  for (const r of runs) {
    if (r.failed) errorLines.push(`- ${key} #${r.rep} ${r.impl}: failed: ${r.failed}`);
    else if (Object.keys(r.errors ?? {}).length) errorLines.push(`- ${key} #${r.rep} ${r.impl}: error replies ${JSON.stringify(r.errors)}`);
  }
}
out.push("", errorLines.length ? `Errors:\n\n${errorLines.join("\n")}` : "No error replies, timeouts or failed runs.");
for (const impl of IMPLS) {
  const o = workerdOutput[impl];
  out.push("", `workerd output of the ${impl}: ${o.count} line(s)${o.count ? ", first:" : "."}`);
  for (const line of o.first) out.push(`    ${line}`);
}
console.log(out.join("\n"));
if (values.json) {
  const runs = Object.fromEntries(runsByKey);
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), quick: values.quick, reps, seconds, build, runs }, null, 2));
}
process.exit(errorLines.some((l) => l.includes("failed:")) ? 1 : 0);
