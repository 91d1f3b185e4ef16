// protocol.md revision 3 in workerd: authentication and tenants (AUTH_SECRET set), session
// names checked before the upgrade, and every limit answering its code. Two workers: one with
// authentication on, one with small limits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { startWorker } from "../lib/worker.mjs";
import { collectHitsPerTest } from "../lib/hits.mjs";
import { openSession, connectClient, uid } from "../lib/client.mjs";

const SECRET = "e2e-secret";
const persistAuth = mkdtempSync(path.join(tmpdir(), "duract-auth-"));
const persistLimits = mkdtempSync(path.join(tmpdir(), "duract-limits3-"));
let auth;
let limited;

before(async () => {
  auth = await startWorker({ persist: persistAuth, vars: { AUTH_SECRET: SECRET, WORK_MS: "50" } });
  limited = await startWorker({
    persist: persistLimits,
    vars: { MAX_WORKERS: "2", MAX_QUEUED_TASKS: "2", MAX_INFLIGHT: "1", WORK_MS: "60000" },
  });
});
collectHitsPerTest(import.meta.url);
after(async () => {
  await auth?.stop();
  await limited?.stop();
  rmSync(persistAuth, { recursive: true, force: true });
  rmSync(persistLimits, { recursive: true, force: true });
});

const b64url = (data) => Buffer.from(data).toString("base64url");

/** An HS256 JWT of `claims` signed with `secret`. */
function jwt(claims, secret = SECRET) {
  const signed = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
}
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** A raw HTTP request to `/ws?query` with WebSocket upgrade headers: `{status, body}`. */
function upgradeRequest(baseUrl, query, { method = "GET", headers = {} } = {}) {
  const url = new URL(`${baseUrl}/ws${query ? `?${query}` : ""}`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("auth: no token, a forged, an expired or a malformed token get 401 before any upgrade", async () => {
  const forged = jwt({ sub: "alice", exp: inAnHour() }, "not-the-secret");
  const expired = jwt({ sub: "alice", exp: Math.floor(Date.now() / 1000) - 10 });
  const noSub = jwt({ exp: inAnHour() });
  for (const query of ["session=s", `token=${forged}`, `token=${expired}`, `token=${noSub}`, "token=a.b.c"]) {
    const r = await upgradeRequest(auth.url, query);
    assert.deepEqual(r, { status: 401, body: "Unauthorized" }, query);
  }
  const header = await upgradeRequest(auth.url, "", { headers: { Authorization: `Bearer ${expired}` } });
  assert.equal(header.status, 401);
  const plain = await fetch(`${auth.url}/ws`);
  assert.equal(plain.status, 401, "checked before the upgrade check");
});

test("auth: a valid token in the query or the Authorization header opens the named session", async () => {
  const token = jwt({ sub: "alice", exp: inAnHour() });
  const s = await openSession(auth.url, `session=mine&token=${token}`);
  assert.equal(s.established.payload.sessionId, "mine");
  assert.equal(s.established.from, "session:mine");
  await s.close();
  const r = await upgradeRequest(auth.url, "session=hdr", { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 101);
  const notUpgrade = await fetch(`${auth.url}/ws?token=${token}`);
  assert.equal(notUpgrade.status, 400);
  assert.equal(await notUpgrade.text(), "Expected WebSocket");
});

test("tenants: coordinator:main of two tenants are separate, of one tenant shared", async () => {
  const token = (claims) => jwt({ exp: inAnHour(), ...claims });
  const alice = await connectClient(auth.url, { session: uid("s"), token: token({ sub: "alice", tenant: "acme" }) });
  const carol = await connectClient(auth.url, { session: uid("s"), token: token({ sub: "carol", tenant: "acme" }) });
  // bob's frames are written by hand below: one of them tries to forge its principal.
  const bob = await openSession(auth.url, `session=${uid("s")}&token=${token({ sub: "bob" })}`); // tenant: bob
  const w = uid("w");
  const statusOf = (client) => client.ask("coordinator:main", { type: "get_status" });
  const reg = await alice.ask("coordinator:main", { type: "register_worker", payload: { workerId: w } });
  assert.equal(reg.status, "registered");
  assert.ok((await statusOf(carol)).workers.includes(w));
  assert.ok(!(await bob.request("coordinator:main", "get_status", null)).payload.workers.includes(w));
  // An `auth` field in a client's frame is ignored: bob still reaches his own tenant.
  const id = uid("req");
  bob.ws.send(JSON.stringify({
    to: "coordinator:main", from: "client:ui", type: "get_status", payload: null, id,
    timestamp: Date.now(), auth: { sub: "alice", tenant: "acme" }, tenant: "acme", principal: "alice",
  }));
  const forged = await new Promise((resolve) => bob.ws.on("message", (d) => {
    const f = JSON.parse(d.toString());
    if (f.replyTo === id) resolve(f);
  }));
  assert.ok(!forged.payload.workers.includes(w));
  assert.equal(forged.to, "client:coordinator-proxy");
  for (const s of [alice, carol, bob]) await s.close();
});

test("auth off: an `auth` field in a client's frame names no tenant (the gateway never forwards it)", async () => {
  const s = await openSession(limited.url, `session=${uid("s")}`);
  const coordinator = `coordinator:${uid("c")}`;
  const w = uid("w");
  const id = uid("req");
  s.ws.send(JSON.stringify({
    to: coordinator, from: "client:ui", type: "register_worker", payload: { workerId: w }, id,
    timestamp: Date.now(), auth: { sub: "alice", tenant: "acme" },
  }));
  const forged = await new Promise((resolve) => s.ws.on("message", (d) => {
    const f = JSON.parse(d.toString());
    if (f.replyTo === id) resolve(f);
  }));
  assert.equal(forged.type, "register_workerResponse");
  // Had the principal been read, the worker would be in tenant acme's instance, not this one.
  const status = await s.request(coordinator, "get_status", null);
  assert.deepEqual(status.payload.workers, [w]);
  await s.close();
});

test("session names: control characters or over 128 bytes get 400 without an upgrade", async () => {
  for (const query of ["session=abc%0D%0Ax", "userId=x%0Ay", "session=a%00b", `session=${"n".repeat(129)}`, `userId=${"€".repeat(43)}`]) {
    assert.deepEqual(await upgradeRequest(limited.url, query), { status: 400, body: "Invalid session name" }, query);
  }
  const longest = await openSession(limited.url, `userId=${"u".repeat(128)}`);
  assert.equal(longest.established.payload.sessionId, `user:${"u".repeat(128)}`);
  await longest.close();
  // (A POST carrying upgrade headers is refused by workerd's HTTP layer in Miniflare before
  // the worker runs; a POST without them reaches the session and gets 400.)
  const post = await fetch(`${limited.url}/ws?session=p`, { method: "POST", body: "x" });
  assert.equal(post.status, 400);
  assert.equal(await post.text(), "Expected WebSocket");
});

test("limits: MAX_WORKERS and MAX_QUEUED_TASKS answer limit_exceeded and lose nothing", async () => {
  const client = await connectClient(limited.url, { session: uid("s"), maxInflight: 1 });
  const c = `coordinator:${uid("c")}`;
  const assign = (payload) => client.ask(c, { type: "assign_task", payload });
  const register = (workerId) => client.ask(c, { type: "register_worker", payload: { workerId } });
  for (const t of ["t1", "t2"]) assert.equal((await assign(t)).status, "queued");
  await assert.rejects(assign("t3"), { name: "DuractError", code: "limit_exceeded" });
  for (const w of ["w1", "w2"]) assert.equal((await register(w)).status, "registered");
  await assert.rejects(register("w3"), { code: "limit_exceeded" });
  assert.equal((await register("w1")).status, "registered");
  const status = await client.ask(c, { type: "get_status" });
  assert.deepEqual(status.workers, ["w1", "w2"]);
  assert.equal(status.activeTasks.length, 2, "both queued tasks went to the workers");
  await client.close();
});

test("limits: ids over 256 bytes are invalid_payload, a `to` id over 256 bytes invalid_address", async () => {
  const client = await connectClient(limited.url, { session: uid("s"), maxInflight: 1 });
  const c = `coordinator:${uid("c")}`;
  const long = "é".repeat(129);
  for (const [type, payload] of [
    ["register_worker", { workerId: long }],
    ["register_worker", { workerId: "w", capabilities: [long] }],
    ["assign_task", long],
    ["assign_task", { taskId: "t", requires: long }],
  ]) {
    await assert.rejects(client.ask(c, { type, payload }), { code: "invalid_payload" }, `${type} ${JSON.stringify(payload).slice(0, 40)}`);
  }
  await assert.rejects(client.ask(`worker:${"x".repeat(257)}`, { type: "get_state" }), { code: "invalid_address" });
  assert.equal((await client.ask(`worker:${"x".repeat(256)}`, { type: "get_state" })).processedCount, 0);
  await client.close();
});

test("limits: a request beyond MAX_INFLIGHT on one socket is overloaded, with replyTo; the socket goes on", async () => {
  const s = await openSession(limited.url, `session=${uid("s")}`);
  const c = `coordinator:${uid("c")}`;
  // 64 frames written in one go: on a loaded machine a few may each be answered before the next
  // arrives, but not all of them.
  const replies = await Promise.all(Array.from({ length: 64 }, () => s.request(c, "get_status", null)));
  const codes = replies.map((r) => (r.type === "Error" ? r.payload.code : "ok"));
  assert.ok(codes.includes("ok"), codes.join());
  assert.ok(codes.includes("overloaded"), `MAX_INFLIGHT=1 and 64 requests at once: ${codes.join()}`);
  assert.ok(codes.every((code) => code === "ok" || code === "overloaded"), codes.join());
  assert.equal((await s.request(c, "get_status", null)).type, "get_statusResponse");
  await s.close();
});
