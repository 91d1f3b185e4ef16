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
import { parseArgs } from "node:util";
import os from "node:os";
import path from "node:path";
import { median } from "./stats.mjs";

/**
 * Measures, in a Miniflare of its own with storage in a new folder under `parent`, the µs per
 * RPC event that writes nothing and that writes five keys, on `objects` objects at once, over
 * `calls` calls per object; medians of `reps` repetitions. Returns `{ noop, put, write }` (µs; `write` = put − noop).
 */
export async function measureCommit({ parent = os.tmpdir(), reps = 3, objects = 1, calls = 500, onRep } = {}) {
  const dir = mkdtempSync(path.join(parent, "duract-storage-cost-"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: fileURLToPath(new URL("./storage-cost.worker.mjs", import.meta.url)),
    compatibilityDate: "2025-04-01",
    durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
    durableObjectsPersist: dir,
  });
  try {
    await mf.ready;
    const times = { noop: [], put: [] };
    for (let rep = 0; rep < reps; rep++) {
      for (const op of ["noop", "put"]) {
        const url = `http://probe/?op=${op}&k=${objects}&n=${calls}&tag=${op}-${objects}-${rep}`;
        const { usPerCall } = await (await mf.dispatchFetch(url)).json();
        times[op].push(usPerCall);
        onRep?.(rep, op, usPerCall);
      }
    }
    const noop = median(times.noop);
    const put = median(times.put);
    return { noop, put, write: put - noop, dir };
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bounds commits alone set on the bench's write scenarios (see README.md), for a write of `writeUs` µs. */
export function commitBounds(writeUs) {
  return {
    writesPerSecond: 1e6 / (2.5 * writeUs), // register/assign alternating: (1 + 4) / 2 commits a request
    tasksPerSecond: 1e6 / (4 * writeUs), // fan-out: 4 commits a task
    deepPerSecond: 1e6 / (0.5 * writeUs), // deep state: 0.3 x 1 + 0.1 x 2 commits a request
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { dir: { type: "string", default: os.tmpdir() }, reps: { type: "string", default: "3" } },
  });
  const parent = values.dir;
  const reps = Number(values.reps);
  const results = [];
  for (const [objects, calls] of [[1, 1000], [16, 100]]) {
    const onRep = (rep, op, us) => console.error(`rep ${rep + 1}: ${op}, ${objects} object(s): ${us.toFixed(0)} µs per event`);
    results.push({ objects, ...(await measureCommit({ parent, reps, objects, calls, onRep })) });
  }
  console.log(`Storage in ${parent}; ${reps} repetitions, medians; load average ${os.loadavg()[0].toFixed(2)}.\n`);
  console.log("| objects | event without a write (µs) | event writing 5 keys (µs) | the write's cost (µs) |");
  console.log("|---:|---:|---:|---:|");
  for (const r of results) console.log(`| ${r.objects} | ${r.noop.toFixed(0)} | ${r.put.toFixed(0)} | ${r.write.toFixed(0)} |`);
}
