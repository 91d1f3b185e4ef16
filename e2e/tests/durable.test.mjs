// End-to-end tests of the Durable Object host in workerd (Miniflare): the example worker as
// built by scripts/build-example, driven over real HTTP and WebSockets.
//
// Until the example's macro-built actors exist, the worker runs the hand-written smoke actors
// of examples/system/src/smoke.rs (same class names and bindings), whose messages these tests
// use: ping, kick (fire-and-forget work), remind/fired (durable timers), bump/get, cycle.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startWorker } from "../lib/worker.mjs";
import { openSession, uid, eventually } from "../lib/client.mjs";

const VARS = { ASK_TIMEOUT_MS: "1500", DURACT_TRACE: "1" };
const persist = mkdtempSync(path.join(tmpdir(), "duract-e2e-"));
const logs = [];
let worker;

async function start() {
  worker = await startWorker({ persist, vars: VARS, onLog: (line) => logs.push(line) });
}

before(start);
after(async () => {
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
});

function assertEnvelope(frame, { from, to, type }) {
  for (const field of ["to", "from", "type", "id"]) {
    assert.equal(typeof frame[field], "string", `${field} is a string in ${JSON.stringify(frame)}`);
  }
  assert.equal(typeof frame.timestamp, "number");
  assert.ok("payload" in frame);
  if (from) assert.equal(frame.from, from);
  if (to) assert.equal(frame.to, to);
  if (type) assert.equal(frame.type, type);
}

test("upgrade: the first frame is SessionEstablished with the session id", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  assertEnvelope(s.established, { from: `session:${name}`, to: "client:ui", type: "SessionEstablished" });
  assert.deepEqual(s.established.payload, { sessionId: name });
  await s.close();
});

test("upgrade: userId wins over session, and no name draws a random one", async () => {
  const user = uid("u");
  const a = await openSession(worker.url, `session=ignored&userId=${user}`);
  assert.equal(a.established.payload.sessionId, `user:${user}`);
  const b = await openSession(worker.url, `userId=&session=${user}`);
  assert.equal(b.established.payload.sessionId, user, "an empty userId counts as absent");
  const r1 = await openSession(worker.url);
  const r2 = await openSession(worker.url, "session=");
  assert.match(r1.established.payload.sessionId, /^[0-9a-f]{32}$/);
  assert.notEqual(r1.established.payload.sessionId, r2.established.payload.sessionId);
  await Promise.all([a, b, r1, r2].map((s) => s.close()));
});

test("HTTP: /ws without an upgrade gets 400 Expected WebSocket, for any method", async () => {
  for (const method of ["GET", "POST", "PUT"]) {
    const res = await fetch(`${worker.url}/ws?session=${uid()}`, { method });
    assert.equal(res.status, 400, method);
    assert.equal(await res.text(), "Expected WebSocket");
  }
});

test("HTTP: every other path gets 404", async () => {
  for (const p of ["/", "/wsx", "/ws/more", "/api"]) {
    const res = await fetch(`${worker.url}${p}`);
    assert.equal(res.status, 404, p);
    await res.arrayBuffer();
  }
});

test("routing: one session reaches two namespaces, replies routed by declaration", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  const c = uid("c");
  const w = uid("w");
  const toCoordinator = await s.request(`coordinator:${c}`, "ping", {});
  assertEnvelope(toCoordinator, { from: `session:${name}`, to: "client:ui", type: "pingResponse" });
  assert.equal(toCoordinator.payload.pong, `coordinator:${c}`);
  assert.equal(toCoordinator.payload.sender, "client:ui");
  const toWorker = await s.request(`worker:${w}`, "ping", {});
  assert.equal(toWorker.payload.pong, `worker:${w}`);
  const kick = await s.request(`coordinator:${c}`, "kick", { workerId: w, ms: 1 });
  assert.equal(kick.to, "client:coordinator-proxy", "kick replies are declared to the proxy");
  const internal = await s.request(`worker:${w}`, "work", { ms: 1 });
  assert.equal(internal.type, "Error");
  assert.equal(internal.payload.code, "forbidden");
  const binary = await s.raw(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal(binary.payload.code, "unsupported_frame");
  const after = await s.request(`worker:${w}`, "ping", {});
  assert.equal(after.type, "pingResponse", "the socket keeps working after errors");
  await s.close();
});

test("fire-and-forget: the send completes after the reply", async () => {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  const c = uid("c");
  const w = uid("w");
  const ms = 400;
  const reply = await s.request(`coordinator:${c}`, "kick", { workerId: w, ms });
  assert.equal(reply.payload.status, "sent");
  const state = await eventually(
    () => s.request(`worker:${w}`, "get", {}),
    (r) => r.payload.done === 1,
  );
  assert.ok(
    state.payload.doneAt >= reply.payload.at + ms,
    `work finished at ${state.payload.doneAt}, the reply was made at ${reply.payload.at}`,
  );
  await s.close();
});

test("alarms: several timers on the one alarm fire in due order", async () => {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  const w = `worker:${uid("w")}`;
  await s.request(w, "remind", { tag: "late", delayMs: 600 });
  await s.request(w, "remind", { tag: "early", delayMs: 200 });
  const state = await eventually(
    () => s.request(w, "get", {}),
    (r) => r.payload.fired.length >= 2,
  );
  assert.deepEqual(state.payload.fired, ["early", "late"]);
  await s.close();
});

test("ask cycle: ends in a timeout error, and the actors keep answering", async () => {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  const c = `coordinator:${uid("c")}`;
  const w = uid("w");
  const reply = await s.request(c, "cycle", { workerId: w }, { timeoutMs: 20000 });
  assert.equal(reply.type, "Error");
  assert.equal(reply.payload.code, "timeout", JSON.stringify(reply.payload));
  const ping = await eventually(
    () => s.request(c, "ping", {}),
    (r) => r.type === "pingResponse",
  );
  assert.equal(ping.payload.pong, c);
  await s.close();
});

test("restart: state and pending timers survive a restart on the same folder", async () => {
  const c = `coordinator:${uid("c")}`;
  const w = `worker:${uid("w")}`;
  let s = await openSession(worker.url, `session=${uid("s")}`);
  await s.request(c, "bump", {});
  const bumped = await s.request(c, "bump", {});
  assert.equal(bumped.payload.bumps, 2);
  await s.request(w, "remind", { tag: "across", delayMs: 1500 });
  await s.close();

  await worker.stop();
  await start();

  s = await openSession(worker.url, `session=${uid("s")}`);
  const again = await s.request(c, "bump", {});
  assert.equal(again.payload.bumps, 3, "the counter was reloaded from disk");
  const state = await eventually(
    () => s.request(w, "get", {}),
    (r) => r.payload.fired.includes("across"),
  );
  assert.deepEqual(state.payload.fired, ["across"]);
  await s.close();
});

test("hibernation: an idle session is evicted and still answers", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  const first = await s.request(`worker:${uid("w")}`, "ping", {});
  assert.equal(first.type, "pingResponse");
  const activations = () => logs.filter((l) => l.includes(`duract: activate SessionActor ${name}`)).length;
  assert.equal(activations(), 1);
  // workerd evicts an object whose only connections are hibernatable sockets after about
  // 10 s without events (waited 14 s for margin); the trace shows the next event constructing it again.
  await new Promise((r) => setTimeout(r, 14_000));
  const second = await s.request(`worker:${uid("w")}`, "ping", {});
  assert.equal(second.type, "pingResponse");
  assert.equal(second.from, `session:${name}`, "the revived object knows its session");
  assert.equal(activations(), 2, "the session object was evicted and constructed again");
  await s.close();
});

test("broadcast: an actor's envelope to a session reaches each of its sockets, and only those", async () => {
  const name = uid("s");
  const a = await openSession(worker.url, `session=${name}`);
  const b = await openSession(worker.url, `session=${name}`);
  const other = await openSession(worker.url, `session=${uid("s")}`);
  const text = uid("hello");
  const reply = await other.request(`coordinator:${uid("c")}`, "announce", { sessionId: name, text });
  assert.equal(reply.payload.status, "sent");
  const [fa, fb] = await Promise.all([a.next(), b.next()]);
  for (const frame of [fa, fb]) {
    assertEnvelope(frame, { to: `session:${name}`, type: "announcement" });
    assert.deepEqual(frame.payload, { text });
  }
  const ping = await other.request(`worker:${uid("w")}`, "ping", {});
  assert.equal(ping.type, "pingResponse");
  assert.deepEqual(other.unclaimed(), [], "another session's socket gets nothing");
  await Promise.all([a, b, other].map((s) => s.close()));
});

test("HTTP: a client cannot pose as an actor to broadcast", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  const envelope = { to: `session:${name}`, from: "coordinator:x", type: "announcement", payload: { text: "forged" }, id: uid(), timestamp: Date.now() };
  const res = await fetch(`${worker.url}/ws?session=${name}`, {
    method: "POST",
    headers: { "X-Duract-Call": "1", "Content-Type": "application/json" },
    body: JSON.stringify(envelope),
  });
  assert.equal(res.status, 400);
  assert.equal(await res.text(), "Expected WebSocket");
  const ping = await s.request(`worker:${uid("w")}`, "ping", {});
  assert.equal(ping.type, "pingResponse");
  assert.deepEqual(s.unclaimed(), []);
  await s.close();
});

test("launcher: prints the URL of a worker it serves, stops on SIGTERM", async () => {
  const launcher = fileURLToPath(new URL("../launch.mjs", import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), "duract-launch-"));
  const child = spawn(process.execPath, [launcher, "--persist", dir], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.on("exit", (code) => reject(new Error(`launcher exited with ${code}`)));
    });
    const { url } = JSON.parse(line);
    const res = await fetch(`${url}/ws`);
    assert.equal(res.status, 400);
    await res.text();
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
