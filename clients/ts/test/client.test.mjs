// The client against a scripted gateway, for what workerd cannot be made to do on cue: never
// answer (timeouts), push, refuse connections (backoff, giving up).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, DuractError, connect } from "../dist/index.js";
import { WebSocket, recordingSocket, scriptedGateway, until } from "./support.mjs";

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof DuractError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test("timeouts: an unanswered ask rejects with timeout and keeps its slot until its reply comes", async () => {
  const held = [];
  const gateway = await scriptedGateway({ onRequest: (frame, socket) => held.push({ frame, socket }) });
  const client = await connect(gateway.url, { WebSocket, maxInflight: 1 });
  await rejectsWith(client.ask("coordinator:main", { type: "slow" }, { timeoutMs: 30 }), "timeout");
  // The gateway still counts it: the next ask waits in the queue.
  const next = client.ask("coordinator:main", { type: "next" });
  assert.deepEqual([client.inflight, client.queued], [1, 1]);
  await until(() => held.length === 1);
  gateway.reply(held[0].socket, held[0].frame, { late: true }); // the late reply frees the slot
  await until(() => held.length === 2);
  assert.equal(held[1].frame.type, "next");
  gateway.reply(held[1].socket, held[1].frame, { ok: 1 });
  assert.deepEqual(await next, { ok: 1 });
  // A queued ask times out too, and is never sent.
  const blocker = client.ask("coordinator:main", { type: "block" });
  await rejectsWith(client.ask("coordinator:main", { type: "never" }, { timeoutMs: 20 }), "timeout");
  await until(() => held.length === 3);
  gateway.reply(held[2].socket, held[2].frame, null);
  assert.equal(await blocker, null);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    gateway.requests.map((f) => f.type),
    ["slow", "next", "block"],
  );
  await client.close();
  await gateway.close();
});

test("requests: full envelopes from client:ui with unique ids; Error replies carry their code", async () => {
  const gateway = await scriptedGateway({
    onRequest: (frame, socket) => gateway.reply(socket, frame, null, { code: frame.type === "bad" ? "duplicate_task" : undefined }),
  });
  const client = await connect(gateway.url, { WebSocket, from: "client:tester" });
  assert.equal(await client.ask("worker:w:1", { type: "good" }), null);
  const error = await client.ask("worker:w:1", { type: "bad", payload: { x: 1 } }).catch((e) => e);
  assert.ok(error instanceof DuractError);
  assert.equal(error.code, "duplicate_task");
  assert.equal(error.message, "failed: duplicate_task");
  const [good, bad] = gateway.requests;
  for (const frame of [good, bad]) {
    assert.equal(frame.to, "worker:w:1");
    assert.equal(frame.from, "client:tester");
    assert.equal(typeof frame.timestamp, "number");
  }
  assert.equal(good.payload, null);
  assert.deepEqual(bad.payload, { x: 1 });
  assert.notEqual(good.id, bad.id);
  await client.close();
  await gateway.close();
});

test("pushes: frames that answer no request go to the subscribers until they unsubscribe", async () => {
  const gateway = await scriptedGateway();
  const client = await connect(gateway.url, { WebSocket });
  const pushed = [];
  const unsubscribe = client.onPush((frame) => pushed.push(frame));
  const socket = gateway.connections[0].socket;
  gateway.push(socket, "chat", { text: "hello" });
  gateway.reply(socket, { id: "not-ours", type: "x" }, 1); // a reply to no request of ours
  await until(() => pushed.length === 2);
  assert.equal(pushed[0].type, "chat");
  assert.deepEqual(pushed[0].payload, { text: "hello" });
  assert.equal(pushed[1].replyTo, "not-ours");
  unsubscribe();
  gateway.push(socket, "chat", { text: "unheard" });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(pushed.length, 2);
  await client.close();
  await gateway.close();
});

test("connection: session, userId and token go in the query; a token function runs per connection", async () => {
  const gateway = await scriptedGateway();
  let tokens = 0;
  const { Recording, sockets } = recordingSocket();
  const client = await connect(gateway.url, {
    WebSocket: Recording,
    session: "s 1",
    token: async () => `jwt-${++tokens}`,
    reconnect: { initialDelayMs: 5 },
  });
  assert.equal(client.sessionId, "s 1");
  const first = gateway.connections[0].url;
  assert.equal(first.pathname, "/ws");
  assert.equal(first.searchParams.get("session"), "s 1");
  assert.equal(first.searchParams.get("token"), "jwt-1");
  sockets[0].terminate();
  await until(() => gateway.connections.length === 2 && client.state === "open");
  assert.equal(gateway.connections[1].url.searchParams.get("token"), "jwt-2");
  await client.close();
  const byUser = await connect(`${gateway.url.replace("http", "ws")}/ws`, { WebSocket, userId: "bob", session: "ignored" });
  const third = gateway.connections[2].url;
  assert.equal(third.searchParams.get("userId"), "bob");
  assert.equal(third.searchParams.get("session"), null);
  await byUser.close();
  await gateway.close();
});

test("reconnect: attempts back off while the gateway is down, then the queue goes out", async () => {
  const gateway = await scriptedGateway({ onRequest: (frame, socket) => gateway.reply(socket, frame, "pong") });
  const { Recording, sockets } = recordingSocket();
  const made = [];
  class Timed extends Recording {
    constructor(url) {
      super(url);
      made.push(Date.now());
    }
  }
  const client = await connect(gateway.url, {
    WebSocket: Timed,
    reconnect: { initialDelayMs: 20, factor: 2, maxDelayMs: 160, jitter: 0 },
  });
  try {
    await gateway.close(); // drops the connection and refuses new ones
    await until(() => client.state === "reconnecting");
    const queued = client.ask("coordinator:main", { type: "ping" }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 700));
    const gaps = made.slice(1).map((t, i) => t - made[i]);
    // Retry i (from 1) waits min(20 * 2^(i-1), 160) ms after the failure of the one before:
    // 20, 40, 80, 160, 160, ... Timers never fire early, so each gap is at least its delay (a
    // loaded machine only makes gaps longer, never shorter); about 5 attempts fit in 700 ms.
    assert.ok(gaps.length >= 3 && gaps.length <= 8, `attempts: ${gaps.join()}`);
    for (let i = 1; i < gaps.length; i++) {
      const delay = Math.min(20 * 2 ** i, 160);
      assert.ok(gaps[i] >= delay - 2, `gap ${i} under its delay ${delay}: ${gaps.join()}`);
    }
    await gateway.reopen();
    assert.equal(await queued, "pong");
    assert.equal(client.state, "open");
    assert.ok(sockets.length >= 4);
  } finally {
    await client.close();
    await gateway.close();
  }
});

test("giving up: maxAttempts, reconnect off and an unreachable gateway close the client", async () => {
  const gateway = await scriptedGateway();
  const limitedTries = await connect(gateway.url, { WebSocket, reconnect: { initialDelayMs: 5, maxAttempts: 2 } });
  const noRetry = await connect(gateway.url, { WebSocket, reconnect: false });
  const states = [];
  noRetry.onState((s) => states.push(s));
  const sent = noRetry.ask("coordinator:main", { type: "x" });
  await gateway.close();
  await rejectsWith(sent, "disconnected");
  assert.deepEqual(states, ["closed"]);
  await until(() => limitedTries.state === "closed");
  await rejectsWith(limitedTries.ask("coordinator:main", { type: "x" }), "closed");
  // Never connected: `ready` rejects (reconnect off), or `connect` times out (reconnect on).
  const port = new URL(gateway.url).port;
  await rejectsWith(connect(`http://127.0.0.1:${port}`, { WebSocket, reconnect: false }), "disconnected");
  await rejectsWith(connect(`http://127.0.0.1:${port}`, { WebSocket, connectTimeoutMs: 100 }), "timeout");
  const lazy = new Client(`http://127.0.0.1:${port}`, { WebSocket, reconnect: false });
  await rejectsWith(lazy.ask("coordinator:main", { type: "x" }), "disconnected");
  await rejectsWith(lazy.ready, "disconnected");
});

test("construction: without a WebSocket the client says what to pass", () => {
  if (globalThis.WebSocket) return; // Node 22+ has one
  assert.throws(() => new Client("http://127.0.0.1:1"), /options\.WebSocket/);
});
