// The client against the example in workerd (Miniflare, e2e/lib/worker.mjs): typed asks and
// their replies, error codes, the in-flight limit against the gateway's own, reconnection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, DuractError, MAX_INFLIGHT, connect } from "../dist/index.js";
import { startWorker } from "../../../e2e/lib/worker.mjs";
import { WebSocket, recordingSocket, uid, until } from "./support.mjs";

const persist = mkdtempSync(path.join(tmpdir(), "duract-client-"));
const persistLimited = mkdtempSync(path.join(tmpdir(), "duract-client-limited-"));
let worker;
let limited;

before(async () => {
  [worker, limited] = await Promise.all([
    startWorker({ persist, vars: { WORK_MS: "100" } }),
    startWorker({ persist: persistLimited, vars: { MAX_INFLIGHT: "1", WORK_MS: "60000" } }),
  ]);
});
after(async () => {
  await Promise.all([worker?.stop(), limited?.stop()]);
  rmSync(persist, { recursive: true, force: true });
  rmSync(persistLimited, { recursive: true, force: true });
});

/** Rejects with a DuractError whose code is `code`. */
async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof DuractError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test("client: the session is established, asks resolve to their replies' payloads", async () => {
  const session = uid("s");
  const client = await connect(worker.url, { session, WebSocket });
  assert.equal(client.sessionId, session);
  assert.equal(client.state, "open");
  const c = `coordinator:${uid("c")}`;
  const w = uid("w");
  assert.deepEqual(await client.ask(c, { type: "register_worker", payload: { workerId: w } }), {
    status: "registered",
    workerId: w,
  });
  const t = uid("t");
  assert.deepEqual(await client.ask(c, { type: "assign_task", payload: t }), { status: "assigned", taskId: t, workerId: w });
  const state = await client.ask(`worker:${w}`, { type: "get_state" });
  assert.equal(state.workerId, w);
  // Concurrent asks of different types each get their own reply (correlated by replyTo).
  const [status, page, again] = await Promise.all([
    client.ask(c, { type: "get_status" }),
    client.ask(c, { type: "get_status", payload: { limit: 1 } }),
    client.ask(c, { type: "register_worker", payload: { workerId: w } }),
  ]);
  assert.deepEqual(status.workers, [w]);
  assert.equal(page.workerCount, 1);
  assert.equal(again.status, "registered");
  await client.close();
  assert.equal(client.state, "closed");
  await rejectsWith(client.ask(c, { type: "get_status" }), "closed");
});

test("client: Error replies reject with their code and envelope", async () => {
  const client = await connect(worker.url, { WebSocket });
  assert.match(client.sessionId, /.+/);
  const c = `coordinator:${uid("c")}`;
  const t = uid("t");
  await client.ask(c, { type: "assign_task", payload: t });
  await rejectsWith(client.ask(c, { type: "assign_task", payload: { taskId: t } }), "duplicate_task");
  await rejectsWith(client.ask(c, { type: "assign_task", payload: 42 }), "invalid_payload");
  await rejectsWith(client.ask(`worker:${uid("w")}`, { type: "process_task", payload: { taskId: t } }), "forbidden");
  await rejectsWith(client.ask("nosuch:1", { type: "get_status" }), "unknown_actor");
  await rejectsWith(client.ask(c, { type: "nope" }), "unknown_type");
  const error = await client.ask(c, { type: "nope" }).catch((e) => e);
  assert.equal(error.envelope.type, "Error");
  assert.equal(error.envelope.to, "client:ui");
  assert.equal(error.message, "Unknown message type: nope");
  // A frame over the gateway's limit is refused here, before it is sent.
  await rejectsWith(client.ask(c, { type: "assign_task", payload: "x".repeat(1_100_000) }), "too_large");
  await client.close();
});

test(`client: ${MAX_INFLIGHT * 3} asks at once: ${MAX_INFLIGHT} in flight, the rest queued, none overloaded`, async () => {
  const client = await connect(worker.url, { WebSocket });
  const c = `coordinator:${uid("c")}`;
  const asks = Array.from({ length: MAX_INFLIGHT * 3 }, (_, i) => client.ask(c, { type: "assign_task", payload: `t${i}` }));
  assert.equal(client.inflight, MAX_INFLIGHT);
  assert.equal(client.queued, MAX_INFLIGHT * 2);
  const replies = await Promise.all(asks);
  assert.deepEqual(
    replies.map((r) => r.position),
    replies.map((_, i) => i + 1),
  );
  assert.equal(client.inflight + client.queued, 0);
  await client.close();
});

test("client: against a gateway with MAX_INFLIGHT=1, maxInflight 1 is never overloaded, 8 is", async () => {
  const c = `coordinator:${uid("c")}`;
  const careful = await connect(limited.url, { WebSocket, maxInflight: 1 });
  const replies = await Promise.all(Array.from({ length: 8 }, () => careful.ask(c, { type: "get_status" })));
  assert.equal(replies.length, 8);
  await careful.close();
  // Each eager ask goes to a fresh coordinator, whose activation reads storage, so the first is
  // still in flight when the others arrive (a loaded one can answer before the next frame).
  const eager = await connect(limited.url, { WebSocket, maxInflight: 8 });
  try {
    const codes = await Promise.all(
      Array.from({ length: 8 }, () =>
        eager.ask(`coordinator:${uid("c")}`, { type: "get_status" }).then(() => "ok", (e) => e.code),
      ),
    );
    assert.ok(codes.includes("overloaded"), codes.join());
  } finally {
    await eager.close();
  }
});

test("client: a lost connection rejects what was sent, reconnects to the same session and sends the queue", async () => {
  const { Recording, sockets } = recordingSocket();
  const client = await connect(worker.url, {
    WebSocket: Recording,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  const session = client.sessionId;
  const states = [];
  client.onState((s) => states.push(s));
  const c = `coordinator:${uid("c")}`;
  await client.ask(c, { type: "register_worker", payload: { workerId: "w1" } });
  const sent = client.ask(c, { type: "get_status" });
  assert.equal(client.inflight, 1);
  sockets[0].terminate(); // the network goes away, with the request sent and not answered
  await rejectsWith(sent, "disconnected");
  await until(() => client.state === "reconnecting");
  const queued = client.ask(c, { type: "get_status" }); // waits for the new connection
  assert.deepEqual((await queued).workers, ["w1"]);
  assert.deepEqual(states, ["reconnecting", "open"]);
  assert.equal(sockets.length, 2);
  assert.equal(client.sessionId, session);
  assert.equal(new URL(sockets[1].url).searchParams.get("session"), session);
  await client.close();
});
