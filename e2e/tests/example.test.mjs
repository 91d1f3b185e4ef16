// The example system in workerd (Miniflare), in the seven categories of the seed's methodology,
// against protocol.md. Every request has a unique id and every reply is found by its replyTo;
// waits poll a condition with a bound, never a guessed sleep. The gateway's checks and the
// envelopes it writes are tested with raw frames (openSession); what the actors answer, through
// the TypeScript client (connectClient).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker } from "../lib/worker.mjs";
import { collectHitsPerTest } from "../lib/hits.mjs";
import { openSession, connectClient, uid, eventually } from "../lib/client.mjs";

const WORK_MS = 150;
const VARS = { WORK_MS: String(WORK_MS), MAX_FRAME_BYTES: "4096" };
const persist = mkdtempSync(path.join(tmpdir(), "duract-example-"));
let worker;

async function start(vars = VARS) {
  worker = await startWorker({ persist, vars });
}

before(() => start());
collectHitsPerTest(import.meta.url); // checklist runs only (DURACT_HITS_DIR)
after(async () => {
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
});

/** A session on a fresh name, and a fresh coordinator address for the test. */
async function fresh() {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  return { s, c: `coordinator:${uid("c")}` };
}

/** The TypeScript client on a fresh session, and a fresh coordinator address for the test. */
async function freshClient() {
  const client = await connectClient(worker.url, { session: uid("s") });
  return { client, c: `coordinator:${uid("c")}` };
}

/** Asks `get_status` of `c`. */
const status = (client, c, payload) => client.ask(c, { type: "get_status", payload });
/** Asks `get_state` of worker `w`. */
const state = (client, w) => client.ask(`worker:${w}`, { type: "get_state" });

function assertEnvelope(frame) {
  for (const field of ["to", "from", "type", "id"]) {
    assert.equal(typeof frame[field], "string", `${field} in ${JSON.stringify(frame)}`);
    assert.notEqual(frame[field], "");
  }
  assert.equal(typeof frame.timestamp, "number");
  assert.ok("payload" in frame, "payload present");
}

function assertError(frame, code) {
  assertEnvelope(frame);
  assert.equal(frame.type, "Error", JSON.stringify(frame));
  assert.equal(frame.payload.code, code, JSON.stringify(frame));
  assert.equal(typeof frame.payload.error, "string");
  assert.equal(frame.to, "client:ui", "errors go to client:ui");
}

// 1. Connection -------------------------------------------------------------------------------

test("connection: upgrade, then SessionEstablished with the session id as the first frame", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  assertEnvelope(s.established);
  assert.equal(s.established.type, "SessionEstablished");
  assert.equal(s.established.to, "client:ui");
  assert.equal(s.established.from, `session:${name}`);
  assert.deepEqual(s.established.payload, { sessionId: name });
  await s.close();
});

test("connection: a request to /ws that is not an upgrade gets 400 Expected WebSocket", async () => {
  const res = await fetch(`${worker.url}/ws`);
  assert.equal(res.status, 400);
  assert.equal(await res.text(), "Expected WebSocket");
});

// 2. Routing ----------------------------------------------------------------------------------

test("routing: coordinator messages reply to client:coordinator-proxy", async () => {
  const { s, c } = await fresh();
  const name = s.established.payload.sessionId;
  const reg = await s.request(c, "register_worker", { workerId: "w1" });
  assertEnvelope(reg);
  assert.equal(reg.type, "register_workerResponse");
  assert.equal(reg.to, "client:coordinator-proxy");
  assert.equal(reg.from, `session:${name}`);
  assert.deepEqual(reg.payload, { status: "registered", workerId: "w1" });
  const task = await s.request(c, "assign_task", uid("t"));
  assert.equal(task.type, "assign_taskResponse");
  assert.equal(task.to, "client:coordinator-proxy");
  const status = await s.request(c, "get_status", null);
  assert.equal(status.type, "get_statusResponse");
  assert.equal(status.to, "client:coordinator-proxy");
  await s.close();
});

test("routing: get_state reaches a worker and replies to client:worker-proxy", async () => {
  const { s } = await fresh();
  const w = uid("w");
  const state = await s.request(`worker:${w}`, "get_state", {});
  assert.equal(state.type, "get_stateResponse");
  assert.equal(state.to, "client:worker-proxy");
  assert.deepEqual(state.payload, { workerId: w, currentTask: null, processedCount: 0 });
  await s.close();
});

// 3. Protocol validation ----------------------------------------------------------------------

test("protocol: every error code, with replyTo whenever the frame had an id", async () => {
  const { s, c } = await fresh();
  const badJson = await s.raw("{not json");
  assertError(badJson, "invalid_format");
  assert.equal(badJson.payload.error, "Invalid message format");
  assert.equal(badJson.replyTo, undefined);

  const invalidTo = await s.request("invalidformat", "get_status", null);
  assertError(invalidTo, "invalid_address");
  assert.match(invalidTo.payload.error, /Invalid 'to' field/);

  for (const to of ["session:x", "client:ui", "nosuch:1"]) {
    const r = await s.request(to, "get_status", null);
    assertError(r, "unknown_actor");
    assert.match(r.payload.error, /Unknown actor type/);
  }
  assertError(await s.request(`worker:${uid("w")}`, "process_task", { taskId: "t" }), "forbidden");
  assertError(await s.request(c, "task_complete", { taskId: "t", workerId: "w" }), "forbidden");
  const wrongTarget = await s.request(c, "process_task", { taskId: "t" });
  assertError(wrongTarget, "unknown_type");
  assert.equal(wrongTarget.payload.error, "Unknown message type: process_task");
  assertError(await s.request(c, "register_worker", { workerId: "" }), "invalid_payload");
  assertError(await s.request(c, "register_worker", { workerId: 5 }), "invalid_payload");
  assertError(await s.request(c, "assign_task", 42), "invalid_payload");
  assertError(await s.request(c, "assign_task", ""), "invalid_payload");
  const t = uid("t");
  await s.request(c, "assign_task", t);
  assertError(await s.request(c, "assign_task", { taskId: t }), "duplicate_task");
  await s.close();
});

test("protocol: a frame missing a field is invalid_format and still correlated by its id", async () => {
  const { s } = await fresh();
  const id = uid("req");
  const reply = new Promise((resolve) => {
    s.ws.on("message", (d) => {
      const f = JSON.parse(d.toString());
      if (f.replyTo === id) resolve(f);
    });
  });
  s.ws.send(JSON.stringify({ from: "client:ui", type: "get_status", id, timestamp: Date.now() }));
  assertError(await reply, "invalid_format");
  await s.close();
});

test("protocol: binary frames are unsupported_frame and oversize frames too_large, without replyTo", async () => {
  const { s, c } = await fresh();
  const binary = await s.raw(Buffer.from([1, 2, 3]), { binary: true });
  assertError(binary, "unsupported_frame");
  assert.equal(binary.replyTo, undefined);
  const big = JSON.stringify({ to: c, from: "client:ui", type: "assign_task", payload: "x".repeat(5000), id: uid(), timestamp: 1 });
  const tooLarge = await s.raw(big);
  assertError(tooLarge, "too_large");
  assert.equal(tooLarge.replyTo, undefined);
  await s.close();
});

test("protocol: a reply is a full envelope correlated by replyTo, with a fresh id", async () => {
  const { s, c } = await fresh();
  const id = uid("req");
  const reply = new Promise((resolve) => {
    s.ws.on("message", (d) => {
      const f = JSON.parse(d.toString());
      if (f.replyTo === id) resolve(f);
    });
  });
  s.ws.send(JSON.stringify({ to: c, from: "client:ui", type: "get_status", payload: null, id, timestamp: Date.now(), extra: 1 }));
  const r = await reply;
  assertEnvelope(r);
  assert.equal(r.replyTo, id);
  assert.notEqual(r.id, id);
  assert.deepEqual(r.payload, { workers: [], queuedTasks: 0, activeTasks: [] });
  await s.close();
});

// 4. Complete workflows -----------------------------------------------------------------------

test("workflow: register -> assign -> process -> complete -> status", async () => {
  const { client, c } = await freshClient();
  const w = uid("w");
  const t = uid("t");
  await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  const assigned = await client.ask(c, { type: "assign_task", payload: { taskId: t } });
  assert.deepEqual(assigned, { status: "assigned", taskId: t, workerId: w });
  const done = await eventually(
    () => status(client, c),
    (r) => r.activeTasks.length === 0,
  );
  assert.deepEqual(done, { workers: [w], queuedTasks: 0, activeTasks: [] });
  assert.deepEqual(await state(client, w), { workerId: w, currentTask: null, processedCount: 1 });
  await client.close();
});

test("workflow: tasks queued before any worker go out oldest first as workers register", async () => {
  const { client, c } = await freshClient();
  const [t1, t2, t3] = [uid("t"), uid("t"), uid("t")];
  assert.equal((await client.ask(c, { type: "assign_task", payload: t1 })).position, 1);
  assert.equal((await client.ask(c, { type: "assign_task", payload: t2 })).position, 2);
  assert.equal((await client.ask(c, { type: "assign_task", payload: t3 })).position, 3);
  const w = uid("w");
  await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  const now = await status(client, c);
  assert.deepEqual(now.activeTasks, [[t1, w]]);
  assert.equal(now.queuedTasks, 2);
  // Auto-assignment on completion: the same worker works through the queue in order.
  const finished = await eventually(
    () => state(client, w),
    (r) => r.processedCount === 3,
  );
  assert.equal(finished.currentTask, null);
  await client.close();
});

test("workflow: fire-and-forget: the work goes on after the assign reply", async () => {
  const { client, c } = await freshClient();
  const w = uid("w");
  const t = uid("t");
  await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  await client.ask(c, { type: "assign_task", payload: t });
  const working = await eventually(
    () => state(client, w),
    (r) => r.currentTask === t || r.processedCount === 1,
  );
  assert.ok(working.currentTask === t || working.processedCount === 1);
  await client.close();
});

test("workflow: workerId defaults to the sender's id; registering again is idempotent", async () => {
  const { client, c } = await freshClient();
  const r = await client.ask(c, { type: "register_worker" }); // payload null
  assert.deepEqual(r, { status: "registered", workerId: "ui" });
  const t = uid("t");
  await client.ask(c, { type: "assign_task", payload: t }); // ui is busy with t now
  const again = await client.ask(c, { type: "register_worker", payload: {} });
  assert.deepEqual(again, { status: "registered", workerId: "ui" });
  assert.deepEqual((await status(client, c)).workers, ["ui"]);
  await client.close();
});

test("workflow: get_status pages with {limit, cursor}; an unreadable cursor is invalid_payload", async () => {
  const { client, c } = await freshClient();
  for (const w of ["a", "b", "c"]) await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  const first = await status(client, c, { limit: 2 });
  assert.deepEqual(first.workers, ["a", "b"]);
  assert.equal(first.workerCount, 3);
  const second = await status(client, c, { limit: 2, cursor: first.nextCursor });
  assert.deepEqual(second.workers, ["c"]);
  assert.equal(second.nextCursor, null);
  await assert.rejects(status(client, c, { limit: 2, cursor: "bogus" }), { code: "invalid_payload" });
  await client.close();
});

// 6. Direct actor calls -------------------------------------------------------------------------
// In workerd every call from outside passes the gateway (anything but /ws is 404); actor-to-actor
// calls happen inside: the coordinator sends process_task to the worker, the worker sends
// task_complete back. The workflow tests above depend on both; this one shows the worker was
// called by the coordinator and reported back without any client message to the worker.

test("direct calls: the coordinator calls the worker and the worker calls the coordinator", async () => {
  const { client, c } = await freshClient();
  const w = uid("w");
  await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  await client.ask(c, { type: "assign_task", payload: uid("t") });
  await eventually(
    () => status(client, c),
    (r) => r.activeTasks.length === 0,
  );
  assert.equal((await state(client, w)).processedCount, 1);
  await client.close();
});

// 7. Edge cases ---------------------------------------------------------------------------------

test("edge: the socket still answers after every kind of error", async () => {
  const { s, c } = await fresh();
  const w = `worker:${uid("w")}`;
  const provoke = [
    () => s.raw(Buffer.from([0]), { binary: true }),
    () => s.raw("x".repeat(5000)),
    () => s.raw("[]"),
    () => s.request("nocolon", "get_state", null),
    () => s.request("session:x", "get_state", null),
    () => s.request(w, "process_task", { taskId: "t" }),
    () => s.request(w, "nope", null),
    () => s.request(c, "assign_task", 1),
  ];
  for (const [i, p] of provoke.entries()) {
    const err = await p();
    assert.equal(err.type, "Error", `case ${i}`);
    const ok = await s.request(w, "get_state", null);
    assert.equal(ok.type, "get_stateResponse", `after case ${i}`);
  }
  await s.close();
});

test("edge: many sessions at once each see only their own replies", async () => {
  const sessions = await Promise.all(Array.from({ length: 12 }, () => openSession(worker.url, `session=${uid("s")}`)));
  const replies = await Promise.all(sessions.map((s, i) => s.request(`worker:${uid(`w${i}`)}`, "get_state", null)));
  for (const [i, r] of replies.entries()) {
    assert.equal(r.from, `session:${sessions[i].established.payload.sessionId}`);
    assert.match(r.payload.workerId, new RegExp(`^w${i}-`));
  }
  await Promise.all(sessions.map((s) => s.close()));
});

test("edge: two sockets of one session: a reply goes only to the socket that asked", async () => {
  const name = uid("s");
  const a = await openSession(worker.url, `session=${name}`);
  const b = await openSession(worker.url, `session=${name}`);
  const seenByB = [];
  b.ws.on("message", (d) => seenByB.push(JSON.parse(d.toString())));
  const r = await a.request(`worker:${uid("w")}`, "get_state", null);
  await b.request(`worker:${uid("w")}`, "get_state", null); // b's own reply arrives after a's
  assert.ok(!seenByB.some((f) => f.replyTo === r.replyTo), "b never saw a's reply");
  await Promise.all([a.close(), b.close()]);
});

// 5. Persistence (last: it restarts workerd) ----------------------------------------------------

test("persistence: coordinator and worker state survive a restart of workerd, queued and active tasks included", async () => {
  const { client, c } = await freshClient();
  const w = uid("w");
  const [t1, t2] = [uid("t"), uid("t")];
  await client.ask(c, { type: "register_worker", payload: { workerId: w } });
  await client.ask(c, { type: "assign_task", payload: t1 });
  await client.ask(c, { type: "assign_task", payload: t2 });
  const before = await status(client, c);
  assert.equal(before.queuedTasks + before.activeTasks.length, 2);
  await client.close();

  await worker.stop();
  await start();

  const client2 = await connectClient(worker.url, { session: uid("s") });
  assert.deepEqual((await status(client2, c)).workers, [w]);
  // Both tasks are still known (queued or active), or already done by the resumed worker.
  const done = await eventually(
    () => state(client2, w),
    (r) => r.processedCount >= 2,
  );
  assert.equal(done.currentTask, null);
  assert.deepEqual(await status(client2, c), { workers: [w], queuedTasks: 0, activeTasks: [] });
  await client2.close();
});

test("persistence: after a restart, a coordinator with 1,030 queued tasks answers from its stored count and reads its queue when first needed", async () => {
  const { client, c } = await freshClient();
  const n = 1030; // over duract's COUNTED_FROM (1,024): the queue keeps its count, its rows stay in storage
  const tasks = Array.from({ length: n }, (_, i) => `t${i}`);
  for (let i = 0; i < n; i += 32) {
    await Promise.all(tasks.slice(i, i + 32).map((t) => client.ask(c, { type: "assign_task", payload: t })));
  }
  await client.close();

  await worker.stop();
  await start();

  const client2 = await connectClient(worker.url, { session: uid("s") });
  assert.deepEqual(await status(client2, c), { workers: [], queuedTasks: n, activeTasks: [] });
  // The first change reads the queue's 1,030 rows (kv.list): all of them, in order.
  assert.equal((await client2.ask(c, { type: "assign_task", payload: "late" })).position, n + 1);
  await assert.rejects(client2.ask(c, { type: "assign_task", payload: "t7" }), { code: "duplicate_task" });
  const w = uid("w");
  await client2.ask(c, { type: "register_worker", payload: { workerId: w } });
  assert.deepEqual((await status(client2, c)).activeTasks, [["t0", w]], "the oldest task first");
  await client2.close();
});

test("leases: a task whose worker does not report within TASK_LEASE_MS goes back to the queue", async () => {
  // Work (1500 ms) outlasts the lease (400 ms). t0: t -> slow. t0+400: the lease expires, t goes
  // back to the queue and slow, counting as idle, takes the better task, urgent. t0+1500: the
  // work timer of t fires on a worker now busy with urgent and changes nothing. t0+1900: urgent
  // is done and slow takes t again.
  await worker.stop();
  await start({ ...VARS, WORK_MS: "1500", TASK_LEASE_MS: "400" });
  const { client, c } = await freshClient();
  const slow = uid("w");
  const [t, urgent] = [uid("t"), uid("t")];
  await client.ask(c, { type: "register_worker", payload: { workerId: slow } });
  assert.equal((await client.ask(c, { type: "assign_task", payload: t })).workerId, slow);
  assert.equal((await client.ask(c, { type: "assign_task", payload: { taskId: urgent, priority: 5 } })).status, "queued");
  const expired = await eventually(
    () => status(client, c),
    (r) => r.activeTasks.some(([task]) => task === urgent),
    { withinMs: 10000, everyMs: 50 },
  );
  assert.deepEqual(expired.activeTasks, [[urgent, slow]]);
  assert.equal(expired.queuedTasks, 1, "t waits in the queue");
  const again = await eventually(
    () => status(client, c),
    (r) => r.activeTasks.some(([task]) => task === t),
    { withinMs: 15000 },
  );
  assert.deepEqual(again.activeTasks, [[t, slow]]);
  assert.equal((await state(client, slow)).processedCount, 1, "urgent was done once; the stale timer of t did nothing");
  await client.close();
});
