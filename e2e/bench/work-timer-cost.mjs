// What waiting out a task's work on an alarm costs against waiting inside the call, in workerd:
// 10 workers × 300 tasks of 10 ms, tasks/s until drained, both ways with the same writes (see
// work-timer-cost.worker.mjs). Storage in a fresh folder under --dir (default: the system's
// temporary folder: on disk here), so a run with --dir /dev/shm shows the disk's share. It is how
// the example (a durable timer per task) and the peer (a sleep inside the call) do fan-out's work.
//
//   node bench/work-timer-cost.mjs [--dir DIR] [--reps N]
import { Miniflare } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import os from "node:os";
import path from "node:path";
import { median } from "./stats.mjs";

const { values } = parseArgs({
  options: { dir: { type: "string", default: os.tmpdir() }, reps: { type: "string", default: "3" } },
});
const dir = mkdtempSync(path.join(values.dir, "duract-work-timer-cost-"));
const mf = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL("./work-timer-cost.worker.mjs", import.meta.url)),
  compatibilityDate: "2026-01-01",
  durableObjects: {
    COORDINATOR: { className: "Coordinator", useSQLite: true },
    WORKER: { className: "Worker", useSQLite: true },
  },
  durableObjectsPersist: dir,
});
try {
  await mf.ready;
  const runs = { rpc: [], alarm: [] };
  for (let rep = 1; rep <= Number(values.reps); rep++) {
    for (const mode of ["rpc", "alarm"]) {
      const url = `http://probe/?mode=${mode}&workers=10&tasks=300&tag=${mode}-${rep}`;
      const { tasksPerSecond } = await (await mf.dispatchFetch(url)).json();
      runs[mode].push(tasksPerSecond);
      console.error(`rep ${rep}: ${mode} ${tasksPerSecond.toFixed(0)} tasks/s`);
    }
  }
  const ratios = runs.alarm.map((a, i) => a / runs.rpc[i]);
  console.log(`Storage in ${values.dir}; ${values.reps} alternating repetitions; load average ${os.loadavg()[0].toFixed(2)}.`);
  console.log(`work inside the call: ${median(runs.rpc).toFixed(0)} tasks/s; on an alarm: ${median(runs.alarm).toFixed(0)} tasks/s; ` +
    `alarm/call ${median(ratios).toFixed(2)}x (per repetition ${ratios.map((r) => r.toFixed(2)).join(", ")})`);
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
