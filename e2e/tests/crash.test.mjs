// Crashes of workerd under load (issue 14, item 6): 20 sessions assign tasks at one coordinator
// while workerd is killed with SIGKILL (no graceful stop: whatever it had in memory or on the
// wire is gone) and started again on the same storage folder. Every task the coordinator
// acknowledged (`assigned` or `queued`) must be completed at least once in the end; tasks
// processed more than once are counted and reported, not failed (delivery is at-least-once).
// A task whose request was on the wire when workerd died got no answer: the coordinator may or
// may not have stored it, so it is reported, never counted as lost, and not sent again.
//
// The kill finds workerd as the child process of this Node process (Miniflare spawns it
// directly) through /proc, so this file needs Linux.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { startWorker } from "../lib/worker.mjs";
import { collectHits, collectHitsPerTest, live } from "../lib/hits.mjs";
import { openSession, uid, eventually } from "../lib/client.mjs";

// Short work, and leases short enough to hand out again quickly what a kill lost, yet well
// above the work so that a lease runs out only when a crash lost the work or its report.
const VARS = { WORK_MS: "50", TASK_LEASE_MS: "1500" };
const SESSIONS = 20;
const REPLY_MS = 30000; // a request on a live socket must be answered within this

collectHitsPerTest(import.meta.url); // checklist runs only (DURACT_HITS_DIR)

const clusters = new Set();
after(async () => {
  for (const cluster of clusters) await cluster.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Pids of the live workerd processes this Node process spawned (read from /proc). */
function workerdChildren() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(" ");
    if (Number(ppid) === process.pid && state !== "Z" && comm.startsWith("workerd")) pids.push(Number(entry));
  }
  return pids;
}

/** True while process `pid` exists and is not a zombie. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * The example on one storage folder, across crashes: `worker` is the running one, `ready` the
 * promise of the URL to (re)connect to, replaced at the start of each crash so that sessions
 * that lose their socket wait for the restarted worker.
 */
class Cluster {
  constructor() {
    this.persist = mkdtempSync(path.join(tmpdir(), "duract-crash-"));
    this.worker = null;
    this.ready = null;
    this.crashing = null; // resolves when the next crash begins
    this.restarts = []; // ms from the kill to the restarted worker being ready
    clusters.add(this);
  }

  async start() {
    const before = new Set(workerdChildren());
    const worker = await startWorker({ persist: this.persist, vars: VARS });
    const spawned = workerdChildren().filter((pid) => !before.has(pid));
    if (spawned.length !== 1) {
      await worker.stop();
      throw new Error(`expected one new workerd child of pid ${process.pid}, found ${JSON.stringify(spawned)}`);
    }
    worker.pid = spawned[0];
    this.worker = worker;
    this.ready = Promise.resolve(worker.url);
    this.#armCrash();
  }

  #armCrash() {
    this.crashing = new Promise((resolve) => (this.#crashBegins = resolve));
  }
  #crashBegins;

  /** SIGKILLs workerd, then starts a new one on the same folder. Resolves once it serves. */
  async crash() {
    const worker = this.worker;
    await collectHits(worker); // checklist runs: what the killed workerd recorded would be lost
    let publish;
    this.ready = new Promise((resolve) => (publish = resolve));
    this.#crashBegins();
    const killedAt = Date.now();
    live.delete(worker); // nothing to collect from a dead workerd
    process.kill(worker.pid, "SIGKILL");
    for (let i = 0; alive(worker.pid); i++) {
      if (i > 500) throw new Error(`workerd ${worker.pid} still alive 5 s after SIGKILL`);
      await sleep(10);
    }
    await worker.mf.dispose(); // Miniflare's own resources; its workerd is already gone
    this.worker = null;
    await this.start();
    this.restarts.push(Date.now() - killedAt);
    publish(this.worker.url);
  }

  async stop() {
    clusters.delete(this);
    try {
      await this.worker?.stop();
    } finally {
      this.worker = null;
      rmSync(this.persist, { recursive: true, force: true });
    }
  }
}

/** Opens session `name` on the cluster's current worker, again after a crash if one intervenes. */
async function connect(cluster, name) {
  for (let attempt = 1; ; attempt++) {
    const url = await cluster.ready;
    const crashing = cluster.crashing; // read after `ready`: a restarted worker arms a new one
    const opening = openSession(url, `session=${name}`);
    try {
      const session = await Promise.race([opening, crashing.then(() => null)]);
      if (session) return session;
      opening.then((late) => late.ws.terminate(), () => {}); // an attempt given up: workerd went away
    } catch (e) {
      if (attempt >= 20) throw e;
      await sleep(100);
    }
  }
}

/**
 * Sends a request on `s` and resolves to its reply, or to null when the socket closes first
 * (workerd was killed). A live socket that does not answer within REPLY_MS rejects.
 */
function ask(s, to, type, payload) {
  return new Promise((resolve, reject) => {
    if (s.ws.readyState !== WebSocket.OPEN) return resolve(null);
    const id = uid("req");
    const onMessage = (data) => {
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (frame.replyTo !== id) return;
      done();
      resolve(frame);
    };
    const onClose = () => {
      done();
      resolve(null);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no reply to ${type} ${JSON.stringify(payload)} to ${to} within ${REPLY_MS} ms`));
    }, REPLY_MS);
    function done() {
      clearTimeout(timer);
      s.ws.off("message", onMessage);
      s.ws.off("close", onClose);
    }
    s.ws.on("message", onMessage);
    s.ws.on("close", onClose);
    s.ws.send(JSON.stringify({ to, from: "client:ui", type, payload, id, timestamp: Date.now() }));
  });
}

/**
 * Runs one session's steps in order, one request at a time. A step is `{to, type, payload,
 * retry, onReply(frame), onLost()}`: when workerd dies before the reply, the session reconnects
 * (same session name) and sends the step again if `retry` (idempotent requests), else calls
 * `onLost` and goes on with the next step.
 */
async function runSession(cluster, name, steps) {
  let s = await connect(cluster, name);
  for (const step of steps) {
    for (;;) {
      const reply = await ask(s, step.to, step.type, step.payload);
      if (reply) {
        step.onReply(reply);
        break;
      }
      s = await connect(cluster, name);
      if (!step.retry) {
        step.onLost();
        break;
      }
    }
  }
  await s.close();
}

/** The record of a load: acknowledged tasks, tasks lost on the wire, unexpected replies. */
function ledger() {
  const acked = new Set();
  const inFlight = new Set();
  const unexpected = [];
  return {
    acked,
    inFlight,
    unexpected,
    register(to, workerId, capabilities) {
      return {
        to,
        type: "register_worker",
        payload: capabilities ? { workerId, capabilities } : { workerId },
        retry: true,
        onReply(r) {
          if (r.type !== "register_workerResponse" || r.payload?.status !== "registered") unexpected.push(r);
        },
      };
    },
    assign(to, taskId, payload) {
      return {
        to,
        type: "assign_task",
        payload,
        retry: false,
        onReply(r) {
          if (r.type === "assign_taskResponse" && ["assigned", "queued"].includes(r.payload?.status)) acked.add(taskId);
          else unexpected.push(r);
        },
        onLost() {
          inFlight.add(taskId);
        },
      };
    },
  };
}

/** Kills workerd once `acked` reaches each threshold while the load runs, then once more after it. */
async function crashDuring(cluster, coordinator, load, acked, thresholds) {
  let finished = false;
  const done = load.finally(() => (finished = true));
  done.catch(() => {});
  const kills = [];
  for (const threshold of thresholds) {
    while (!finished && acked.size < threshold) await sleep(5);
    if (finished) break;
    await cluster.crash();
    kills.push(`after ${acked.size} acks`);
  }
  await done;
  // Once more while the queue is worked through.
  const s = await openSession(cluster.worker.url, `session=${uid("probe")}`);
  const status = await s.request(coordinator, "get_status", null);
  await s.close();
  await cluster.crash();
  const { queuedTasks, activeTasks } = status.payload;
  kills.push(`after the load (${acked.size} acks; ${queuedTasks} queued, ${activeTasks.length} active)`);
  return kills;
}

/** Polls until the coordinator has nothing queued or active and every worker is idle. */
async function settle(s, coordinator, workerIds) {
  await eventually(
    () => s.request(coordinator, "get_status", null),
    (r) => r.payload.queuedTasks === 0 && r.payload.activeTasks.length === 0,
    { withinMs: 40000, everyMs: 200 },
  );
  const states = await eventually(
    () => Promise.all(workerIds.map((w) => s.request(`worker:${w}`, "get_state", null))),
    (rs) => rs.every((r) => r.payload.currentTask === null),
    { withinMs: 20000, everyMs: 200 },
  );
  const status = await s.request(coordinator, "get_status", null);
  return { status: status.payload, counts: new Map(states.map((r) => [r.payload.workerId, r.payload.processedCount])) };
}

test("crash: 20 sessions, 5 workers, 200 tasks, SIGKILL of workerd three times: no acknowledged task lost", { timeout: 120000 }, async (t) => {
  const started = Date.now();
  const cluster = new Cluster();
  try {
    await cluster.start();
    const c = `coordinator:${uid("crash")}`;
    const workers = Array.from({ length: 5 }, (_, i) => `${uid("w")}-${i}`);
    const book = ledger();
    const sessions = Array.from({ length: SESSIONS }, (_, i) => {
      const steps = [];
      if (i < workers.length) steps.push(book.register(c, workers[i]));
      for (let j = 0; j < 10; j++) {
        const task = `${uid("t")}-${i}-${j}`;
        // protocol.md's two forms of assign_task: a bare id and {taskId}.
        steps.push(book.assign(c, task, j % 2 ? { taskId: task } : task));
      }
      return runSession(cluster, uid(`s${i}`), steps);
    });
    const kills = await crashDuring(cluster, c, Promise.all(sessions), book.acked, [60, 130]);

    const s = await openSession(cluster.worker.url, `session=${uid("check")}`);
    const { status, counts } = await settle(s, c, workers);
    await s.close();
    const processed = [...counts.values()].reduce((a, b) => a + b, 0);
    const excess = processed - book.acked.size;
    t.diagnostic(
      `${book.acked.size} acknowledged, ${book.inFlight.size} in flight at a kill (no reply), ` +
        `${processed} processed (per worker ${[...counts.values()].join("/")}): ${excess} more than acknowledged, ` +
        `i.e. in-flight tasks the coordinator had stored, or duplicates`,
    );
    t.diagnostic(`kills: ${kills.join(", ")}; restarts took ${cluster.restarts.join(", ")} ms; ${Date.now() - started} ms in all`);

    assert.deepEqual(book.unexpected, [], "every request answered as the contract says");
    assert.equal(book.acked.size + book.inFlight.size, 200, "every assign answered or lost on the wire");
    assert.deepEqual(new Set(status.workers), new Set(workers), "every worker still registered");
    assert.deepEqual(status, { workers: status.workers, queuedTasks: 0, activeTasks: [] });
    assert.ok(
      processed >= book.acked.size,
      `lost: ${book.acked.size} tasks acknowledged but only ${processed} processed`,
    );
  } finally {
    await cluster.stop();
  }
});

test("crash: per-task accounting (one worker per task), SIGKILL of workerd three times: none lost, duplicates counted", { timeout: 120000 }, async (t) => {
  // Each task requires a capability only its own worker has, so the worker's processedCount is
  // the number of times that very task was processed. Half the tasks are assigned to an idle
  // worker, half are queued first and taken by their worker when it registers.
  const started = Date.now();
  const cluster = new Cluster();
  try {
    await cluster.start();
    const c = `coordinator:${uid("crash")}`;
    const book = ledger();
    const workerOf = new Map();
    const sessions = Array.from({ length: SESSIONS }, (_, i) => {
      const steps = [];
      for (let j = 0; j < 5; j++) {
        const task = `${uid("t")}-${i}-${j}`;
        const worker = `w-${task}`;
        const cap = `cap-${task}`;
        workerOf.set(task, worker);
        const register = book.register(c, worker, [cap]);
        const assign = book.assign(c, task, { taskId: task, requires: cap });
        steps.push(...(j % 2 ? [assign, register] : [register, assign]));
      }
      return runSession(cluster, uid(`s${i}`), steps);
    });
    const kills = await crashDuring(cluster, c, Promise.all(sessions), book.acked, [30, 65]);

    const s = await openSession(cluster.worker.url, `session=${uid("check")}`);
    const { status, counts } = await settle(s, c, [...workerOf.values()]);
    await s.close();
    const timesOf = (task) => counts.get(workerOf.get(task));
    const lost = [...book.acked].filter((task) => timesOf(task) === 0);
    const duplicates = [...workerOf.keys()].filter((task) => timesOf(task) > 1).map((task) => `${task} x${timesOf(task)}`);
    const storedInFlight = [...book.inFlight].filter((task) => timesOf(task) > 0);
    const stray = [...workerOf.keys()].filter((task) => !book.acked.has(task) && !book.inFlight.has(task) && timesOf(task) > 0);
    t.diagnostic(
      `${book.acked.size} acknowledged, ${book.inFlight.size} in flight at a kill (${storedInFlight.length} of them ` +
        `stored and processed, ${book.inFlight.size - storedInFlight.length} never stored); ` +
        `${duplicates.length} processed more than once${duplicates.length ? `: ${duplicates.join(", ")}` : ""}; ${lost.length} lost`,
    );
    t.diagnostic(`kills: ${kills.join(", ")}; restarts took ${cluster.restarts.join(", ")} ms; ${Date.now() - started} ms in all`);

    assert.deepEqual(book.unexpected, [], "every request answered as the contract says");
    assert.equal(book.acked.size + book.inFlight.size, workerOf.size, "every assign answered or lost on the wire");
    assert.equal(status.workers.length, workerOf.size, "every worker registered");
    assert.deepEqual(status, { workers: status.workers, queuedTasks: 0, activeTasks: [] });
    assert.deepEqual(lost, [], "acknowledged tasks never processed");
    assert.deepEqual(stray, [], "no task processed that was never sent");
  } finally {
    await cluster.stop();
  }
});
