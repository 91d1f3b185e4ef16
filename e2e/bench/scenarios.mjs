// The scenarios. Each `run` gets a started implementation ({ impl, url }) and a context
// ({ tag: unique per run, size: the sizes below, log }) and resolves to
// { value, p50, p99, errors, note }: value is the throughput (requests/s or tasks/s), or a time in
// ms for the scenarios with `lowerIsBetter`. Every run works on coordinators and workers named
// after its own tag, so no two runs share state.
import { closeAll, connect, connectMany, drive } from "./client.mjs";
import { percentile } from "./stats.mjs";

export const SIZES = {
  default: {
    status1: 1000, // get_status, 1 session, sequential
    status20: [20, 100, 4], // sessions, requests per session, in flight per session
    writes1: 1000,
    writes20: [20, 100, 4],
    fanout: { workers: 10, tasks: 500, window: 16 },
    deep: { workers: 1000, queued: 10000, mixed: [10, 60, 2] },
    cold: { queued: 10000 },
  },
  quick: {
    status1: 300,
    status20: [20, 25, 4],
    writes1: 300,
    writes20: [20, 25, 4],
    fanout: { workers: 10, tasks: 150, window: 16 },
    deep: { workers: 100, queued: 1000, mixed: [10, 20, 2] },
    cold: { queued: 1000 },
  },
};

/** Sessions and window used to build state before timing (not timed). */
const LOAD_SESSIONS = 8;
const LOAD_WINDOW = 8;

function result(tally, value, note) {
  return {
    value,
    p50: percentile(tally.latencies, 50),
    p99: percentile(tally.latencies, 99),
    errors: tally.errors,
    count: tally.count,
    note,
  };
}

function throwOnErrors(what, tally) {
  const codes = Object.entries(tally.errors);
  if (codes.length) throw new Error(`${what}: ${codes.map(([c, n]) => `${n} x ${c}`).join(", ")}`);
}

/** Sends `n` requests over LOAD_SESSIONS sockets (untimed set-up); throws on any error reply. */
async function load(url, tag, n, make) {
  if (n <= 0) return 0;
  const sessions = Math.min(LOAD_SESSIONS, n);
  const per = Math.ceil(n / sessions);
  const conns = await connectMany(url, `${tag}-load`, sessions);
  try {
    const t = await drive(conns, per, LOAD_WINDOW, (s, i) => {
      const k = s * per + i;
      return k < n ? make(k) : make(null);
    });
    throwOnErrors(`set-up of ${tag}`, t);
    return t.elapsedMs;
  } finally {
    await closeAll(conns);
  }
}

async function status(conn, coord) {
  const r = await conn.request(coord, "get_status", null);
  if (!r.frame || r.frame.type !== "get_statusResponse") {
    throw new Error(`get_status of ${coord}: ${r.frame ? JSON.stringify(r.frame).slice(0, 300) : "no reply"}`);
  }
  return r.frame.payload;
}

/** Polls get_status until the queue is empty and no task is active; resolves to the time it showed so. */
async function waitDrained(conn, coord, { everyMs = 20, withinMs = 60000 } = {}) {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const s = await status(conn, coord);
    if (s.queuedTasks === 0 && s.activeTasks.length === 0) return performance.now();
    if (performance.now() > deadline) {
      throw new Error(`${coord} not drained within ${withinMs} ms: ${s.queuedTasks} queued, ${s.activeTasks.length} active`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Registers `n` workers `<tag>-w<i>` on `coord` (sequential, untimed). */
async function registerWorkers(conn, coord, tag, n) {
  for (let i = 0; i < n; i++) {
    const r = await conn.request(coord, "register_worker", { workerId: `${tag}-w${i}` });
    if (r.frame?.type !== "register_workerResponse") throw new Error(`register_worker: ${JSON.stringify(r.frame)}`);
  }
}

async function readScenario(server, { tag, size }, [sessions, perSession, window]) {
  const coord = `coordinator:${tag}`;
  const setup = await connect(server.url, `${tag}-setup`);
  await registerWorkers(setup, coord, tag, 10);
  const conns = await connectMany(server.url, tag, sessions);
  const t = await drive(conns, perSession, window, () => [coord, "get_status", null]);
  await closeAll(conns);
  await setup.close();
  return result(t, (t.count / t.elapsedMs) * 1000);
}

async function writeScenario(server, { tag }, [sessions, perSession, window]) {
  const coord = `coordinator:${tag}`;
  const conns = await connectMany(server.url, tag, sessions);
  const t = await drive(conns, perSession, window, (s, i) =>
    i % 2 === 0
      ? [coord, "register_worker", { workerId: `${tag}-w${s}-${i}` }]
      : [coord, "assign_task", { taskId: `${tag}-t${s}-${i}` }],
  );
  // Let the tasks it started finish before the next run (untimed), so no work bleeds into it.
  const settleStart = performance.now();
  await waitDrained(conns[0], coord, { everyMs: 50 });
  const settled = performance.now() - settleStart;
  await closeAll(conns);
  return result(t, (t.count / t.elapsedMs) * 1000, `(drained ${Math.round(settled)} ms after)`);
}

export const SCENARIOS = [
  {
    key: "status-1",
    pool: "main",
    title: (z) => `get_status, 1 session x ${z.status1} sequential (req/s)`,
    run: (server, ctx) => readScenario(server, ctx, [1, ctx.size.status1, 1]),
  },
  {
    key: "status-20",
    pool: "main",
    title: (z) => `get_status, ${z.status20[0]} sessions x ${z.status20[1]}, ${z.status20[2]} in flight each (req/s)`,
    run: (server, ctx) => readScenario(server, ctx, ctx.size.status20),
  },
  {
    key: "writes-1",
    pool: "main",
    title: (z) => `register/assign alternating, 1 session x ${z.writes1} sequential (req/s)`,
    run: (server, ctx) => writeScenario(server, ctx, [1, ctx.size.writes1, 1]),
  },
  {
    key: "writes-20",
    pool: "main",
    title: (z) => `register/assign alternating, ${z.writes20[0]} sessions x ${z.writes20[1]}, ${z.writes20[2]} in flight each (req/s)`,
    run: (server, ctx) => writeScenario(server, ctx, ctx.size.writes20),
  },
  {
    key: "fan-out",
    pool: "main",
    title: (z) => `fan-out, ${z.fanout.workers} workers x ${z.fanout.tasks} tasks, until drained (tasks/s)`,
    async run(server, { tag, size }) {
      const { workers, tasks, window } = size.fanout;
      const coord = `coordinator:${tag}`;
      const conn = await connect(server.url, `${tag}-0`);
      const poll = await connect(server.url, `${tag}-poll`);
      await registerWorkers(conn, coord, tag, workers);
      const t0 = performance.now();
      const t = await drive([conn], tasks, window, (_s, i) => [coord, "assign_task", { taskId: `${tag}-t${i}` }]);
      const sent = performance.now();
      const end = await waitDrained(poll, coord);
      await conn.close();
      await poll.close();
      const note = `(assigns answered in ${Math.round(sent - t0)} ms, drained ${Math.round(end - t0)} ms after the first)`;
      return result(t, (tasks / (end - t0)) * 1000, note);
    },
  },
  {
    key: "deep",
    pool: "deep",
    title: (z) =>
      `deep state: ${z.deep.workers.toLocaleString("en-US")} workers, ${z.deep.queued.toLocaleString("en-US")} queued; ` +
      `mixed get_status{limit:50}/assign/register, ${z.deep.mixed[0]} sessions x ${z.deep.mixed[1]} (req/s)`,
    async run(server, { tag, size, log }) {
      const { workers, queued, mixed } = size.deep;
      const coord = `coordinator:${tag}`;
      // Tasks first (no worker: all queue), then the workers, each of which takes one at once and keeps it
      // (WORK_MS is long in this pool): `workers` active, `queued` still queued.
      const loadTasks = await load(server.url, `${tag}-lt`, queued + workers, (k) =>
        k === null ? [coord, "get_status", null] : [coord, "assign_task", { taskId: `${tag}-q${k}` }],
      );
      const loadWorkers = await load(server.url, `${tag}-lw`, workers, (k) =>
        k === null ? [coord, "get_status", null] : [coord, "register_worker", { workerId: `${tag}-w${k}` }],
      );
      const check = await connect(server.url, `${tag}-check`);
      const s = await status(check, coord);
      await check.close();
      if (s.workers.length !== workers || s.queuedTasks !== queued || s.activeTasks.length !== workers) {
        throw new Error(`deep state not reached: ${s.workers.length} workers, ${s.queuedTasks} queued, ${s.activeTasks.length} active`);
      }
      log(`  loaded in ${((loadTasks + loadWorkers) / 1000).toFixed(1)} s`);
      const [sessions, perSession, window] = mixed;
      const conns = await connectMany(server.url, tag, sessions);
      const cursors = new Map(); // lane -> cursor of its next page
      const t = await drive(
        conns,
        perSession,
        window,
        (s, i, lane) => {
          const k = i % 10;
          if (k < 6) {
            const cursor = cursors.get(`${s}/${lane}`);
            return [coord, "get_status", cursor ? { limit: 50, cursor } : { limit: 50 }];
          }
          if (k < 9) return [coord, "assign_task", { taskId: `${tag}-m${s}-${i}` }];
          return [coord, "register_worker", { workerId: `${tag}-mw${s}-${i}` }];
        },
        (r, s, _i, lane) => {
          const p = r.frame?.type === "get_statusResponse" ? r.frame.payload : null;
          if (p) cursors.set(`${s}/${lane}`, typeof p.nextCursor === "string" ? p.nextCursor : null);
        },
      );
      await closeAll(conns);
      return result(t, (t.count / t.elapsedMs) * 1000, `(set-up ${((loadTasks + loadWorkers) / 1000).toFixed(1)} s)`);
    },
  },
  {
    key: "cold",
    pool: "cold",
    lowerIsBetter: true,
    title: (z) =>
      `cold start: restart, then first get_status of a coordinator with ${z.cold.queued.toLocaleString("en-US")} queued tasks (ms)`,
    /** Loads the coordinator (untimed) in an instance started by the caller. */
    async prepare(server, { tag, size }) {
      const coord = `coordinator:${tag}`;
      const ms = await load(server.url, tag, size.cold.queued, (k) =>
        k === null ? [coord, "get_status", null] : [coord, "assign_task", { taskId: `${tag}-q${k}` }],
      );
      const check = await connect(server.url, `${tag}-check`);
      const s = await status(check, coord);
      await check.close();
      if (s.queuedTasks !== size.cold.queued) throw new Error(`cold: ${s.queuedTasks} queued after loading`);
      return { coord, loadMs: ms };
    },
    /** `start()` starts the instance on the loaded storage; timed from its call to the reply. */
    async run(start, { tag, size, prepared }) {
      const t0 = performance.now();
      const server = await start();
      let ready, open, end, r;
      try {
        ready = performance.now();
        const conn = await connect(server.url, `${tag}-cold`);
        open = performance.now();
        r = await conn.request(prepared.coord, "get_status", null);
        end = performance.now();
        await conn.close();
      } finally {
        await server.stop();
      }
      const q = r.frame?.payload?.queuedTasks;
      if (r.frame?.type !== "get_statusResponse" || q !== size.cold.queued) {
        throw new Error(`first reply after restart: ${r.frame ? JSON.stringify(r.frame).slice(0, 300) : "none"}`);
      }
      return {
        value: end - t0,
        p50: NaN,
        p99: NaN,
        errors: {},
        note: `(workerd ready ${Math.round(ready - t0)} ms, socket open +${Math.round(open - ready)} ms, get_status +${Math.round(end - open)} ms)`,
      };
    },
  },
];
