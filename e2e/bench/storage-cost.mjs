// What one storage commit costs workerd on this machine: RPC events to SQLite-backed Durable
// Objects that write five keys each, against events that write nothing; one object at a time and
// 16 at once. Issue 13's write scenarios are bounded by it (see README.md, "Writes are bound by
// the commit"). Storage goes to a fresh folder under --dir (default: the system's temporary
// folder, as the bench's), so running it once on disk and once on tmpfs (/dev/shm) tells the
// disk's share.
//
//   node bench/storage-cost.mjs [--dir DIR] [--reps N]
import { Miniflare } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : dflt;
};
const parent = flag("--dir", os.tmpdir());
const reps = Number(flag("--reps", "3"));
const dir = mkdtempSync(path.join(parent, "duract-storage-cost-"));
const mf = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL("./storage-cost.worker.mjs", import.meta.url)),
  compatibilityDate: "2025-04-01",
  durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
  durableObjectsPersist: dir,
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = [
  { op: "noop", k: 1, n: 1000 },
  { op: "put", k: 1, n: 1000 },
  { op: "noop", k: 16, n: 100 },
  { op: "put", k: 16, n: 100 },
];
try {
  await mf.ready;
  const results = new Map(cases.map((c) => [`${c.op}/${c.k}`, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const c of cases) {
      const url = `http://probe/?op=${c.op}&k=${c.k}&n=${c.n}&tag=${c.op}-${rep}`;
      const { usPerCall } = await (await mf.dispatchFetch(url)).json();
      results.get(`${c.op}/${c.k}`).push(usPerCall);
      console.error(`rep ${rep + 1}: ${c.op}, ${c.k} object(s): ${usPerCall.toFixed(0)} µs per event`);
    }
  }
  console.log(`Storage in ${parent} (${dir}); ${reps} repetitions, medians; load average ${os.loadavg()[0].toFixed(2)}.\n`);
  console.log("| objects | event without a write (µs) | event writing 5 keys (µs) | the write's cost (µs) |");
  console.log("|---:|---:|---:|---:|");
  for (const k of [1, 16]) {
    const noop = median(results.get(`noop/${k}`));
    const put = median(results.get(`put/${k}`));
    console.log(`| ${k} | ${noop.toFixed(0)} | ${put.toFixed(0)} | ${(put - noop).toFixed(0)} |`);
  }
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
