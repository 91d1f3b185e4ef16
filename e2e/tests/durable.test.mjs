// End-to-end tests of the Durable Object host in workerd (Miniflare) that hold for any actors:
// the entry's session naming and HTTP answers, hibernation, the launcher. The example worker as
// built by scripts/build-example is driven over real HTTP and WebSockets; the example's own
// behaviour (routing, fire-and-forget, alarms, restarts) is in example.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startWorker } from "../lib/worker.mjs";
import { collectHitsPerTest } from "../lib/hits.mjs";
import { openSession, uid } from "../lib/client.mjs";

const VARS = { DURACT_TRACE: "1" };
const persist = mkdtempSync(path.join(tmpdir(), "duract-e2e-"));
const logs = [];
let worker;

async function start() {
  worker = await startWorker({ persist, vars: VARS, onLog: (line) => logs.push(line) });
}

before(start);
collectHitsPerTest(import.meta.url); // checklist runs only (DURACT_HITS_DIR)
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

test("upgrade: the query is decoded as a form (percent escapes, + as space), its first value counts", async () => {
  const tag = uid("q");
  const a = await openSession(worker.url, `session=${tag}%20a+b&session=${tag}-second`);
  assert.equal(a.established.payload.sessionId, `${tag} a b`);
  const b = await openSession(worker.url, `userId=${tag}%2Fx&userId=other`);
  assert.equal(b.established.payload.sessionId, `user:${tag}/x`);
  await Promise.all([a, b].map((s) => s.close()));
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

test("hibernation: an idle session is evicted and still answers", async () => {
  const name = uid("s");
  const s = await openSession(worker.url, `session=${name}`);
  const first = await s.request(`worker:${uid("w")}`, "get_state", null);
  assert.equal(first.type, "get_stateResponse");
  const activations = () => logs.filter((l) => l.includes(`duract: activate SessionActor ${name}`)).length;
  assert.equal(activations(), 1);
  // workerd evicts an object whose only connections are hibernatable sockets after about
  // 10 s without events (waited 14 s for margin); the trace shows the next event constructing it again.
  await new Promise((r) => setTimeout(r, 14_000));
  const second = await s.request(`worker:${uid("w")}`, "get_state", null);
  assert.equal(second.type, "get_stateResponse");
  assert.equal(second.from, `session:${name}`, "the revived object knows its session");
  assert.equal(activations(), 2, "the session object was evicted and constructed again");
  await s.close();
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
  const state = await s.request(`worker:${uid("w")}`, "get_state", null);
  assert.equal(state.type, "get_stateResponse");
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
