// The live dashboard in workerd: the worker serves its files at /dashboard with DASHBOARD=on (without:
// 404), and `watch_dashboard` makes the coordinator push `dashboard_update`s to the watching
// session, throttled by DASHBOARD_PUSH_MS, capped by MAX_DASHBOARD_WATCHERS, and with
// authentication only to the principal's own session. (The page itself in a real browser:
// e2e/browser/dashboard.test.mjs.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHmac } from "node:crypto";
import path from "node:path";
import { startWorker } from "../lib/worker.mjs";
import { collectHitsPerTest } from "../lib/hits.mjs";
import { connectClient, DuractError, uid } from "../lib/client.mjs";

const SECRET = "dashboard-secret";
const folders = [];
let open;
let auth;

function folder() {
  const dir = mkdtempSync(path.join(tmpdir(), "duract-dashboard-"));
  folders.push(dir);
  return dir;
}

before(async () => {
  open = await startWorker({
    persist: folder(),
    vars: { DASHBOARD: "on", WORK_MS: "300", DASHBOARD_PUSH_MS: "200", MAX_DASHBOARD_WATCHERS: "3" },
  });
  auth = await startWorker({ persist: folder(), vars: { DASHBOARD: "on", AUTH_SECRET: SECRET, DASHBOARD_PUSH_MS: "0" } });
});
collectHitsPerTest(import.meta.url);
after(async () => {
  await open?.stop();
  await auth?.stop();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A client whose `dashboard_update` pushes are collected in `updates`, watching `coordinator`. */
async function watcher(url, coordinator, options = {}) {
  const client = await connectClient(url, { session: uid("page"), ...options });
  const updates = [];
  client.onPush((frame) => frame.type === "dashboard_update" && updates.push(frame.payload));
  const view = await client.ask(coordinator, { type: "watch_dashboard", payload: { session: client.sessionId } });
  return { client, updates, view };
}

/** Waits until `check()` is true (pushes arrive on their own), at most `ms`. */
async function until(check, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function code(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof DuractError, String(e));
    return e.code;
  }
  return "no error";
}

test("the worker serves the dashboard's page and files at /dashboard, and nothing else", async () => {
  const page = await fetch(`${open.url}/dashboard`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy"), /default-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/dashboard\/dashboard.js">/);
  const script = await fetch(`${open.url}/dashboard/dashboard.js`);
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(await script.text(), /watch_dashboard/);
  for (const other of ["/", "/dashboard/nope", "/dashboards"]) {
    assert.equal((await fetch(`${open.url}${other}`)).status, 404, other);
  }
  assert.equal((await fetch(`${open.url}/dashboard`, { method: "POST", body: "x" })).status, 404);
  const off = await startWorker({ persist: folder() });
  try {
    assert.equal((await fetch(`${off.url}/dashboard`)).status, 404, "off without DASHBOARD=on");
  } finally {
    await off.stop();
  }
});

test("a watching session is pushed workers, active tasks with leases, completions and throughput", async () => {
  const coordinator = `coordinator:${uid("dash")}`;
  const { client: page, updates, view } = await watcher(open.url, coordinator);
  assert.equal(view.workerCount, 0);
  assert.equal(view.watchMs, 60000);
  const other = await connectClient(open.url, { session: uid("s") });
  const otherPushes = [];
  other.onPush((f) => otherPushes.push(f));
  await other.ask(coordinator, { type: "register_worker", payload: { workerId: "w1", capabilities: ["gpu"] } });
  await other.ask(coordinator, { type: "assign_task", payload: "t1" });
  await other.ask(coordinator, { type: "assign_task", payload: "t2" });
  await until(() => updates.some((u) => u.activeCount === 1 && u.queuedTasks === 1), 5000, "t1 active, t2 queued");
  const busy = updates.find((u) => u.activeCount === 1 && u.queuedTasks === 1);
  assert.deepEqual(busy.workers, [{ workerId: "w1", state: "busy", task: "t1", capabilities: ["gpu"] }]);
  assert.equal(busy.active[0].taskId, "t1");
  assert.ok(busy.active[0].leaseExpiresAt > busy.now, "the lease ends later");
  await until(() => updates.at(-1)?.completed.length === 2, 5000, "both done");
  const done = updates.at(-1);
  assert.deepEqual(done.completed.map((d) => d.taskId), ["t2", "t1"]);
  assert.equal(done.workers[0].state, "idle");
  const sum = (f) => done.throughput.reduce((s, b) => s + b[f], 0);
  assert.deepEqual([sum("assigned"), sum("completed")], [2, 2]);
  assert.ok(updates.length < 10, `throttled: ${updates.length} pushes`);
  assert.deepEqual(otherPushes, [], "only the watching session is pushed");
  await page.close();
  await other.close();
});

test("a burst of changes is coalesced into few pushes (DASHBOARD_PUSH_MS)", async () => {
  const coordinator = `coordinator:${uid("burst")}`;
  const { client: page, updates } = await watcher(open.url, coordinator);
  const other = await connectClient(open.url, { session: uid("s") });
  await Promise.all(Array.from({ length: 60 }, (_, n) => other.ask(coordinator, { type: "assign_task", payload: `t${n}` })));
  await until(() => updates.at(-1)?.queuedTasks === 60, 5000, "the last push");
  assert.ok(updates.length <= 6, `60 changes in ${updates.length} pushes`);
  await page.close();
  await other.close();
});

test("watch_dashboard refuses bad pages and more watchers than MAX_DASHBOARD_WATCHERS", async () => {
  const coordinator = `coordinator:${uid("cap")}`;
  const client = await connectClient(open.url, { session: uid("s") });
  const watch = (payload) => client.ask(coordinator, { type: "watch_dashboard", payload });
  assert.equal(await code(watch({ limit: 5 })), "invalid_payload", "no session");
  assert.equal(await code(watch({ session: "a", limit: 0 })), "invalid_payload");
  assert.equal(await code(watch({ session: "a", workersCursor: "x" })), "invalid_payload");
  for (const session of ["a", "b", "c"]) await watch({ session });
  assert.equal(await code(watch({ session: "d" })), "limit_exceeded");
  const renewed = await watch({ session: "a", limit: 1 });
  assert.equal(renewed.incidents[0].code, "limit_exceeded", "the refusal is an incident");
  await client.close();
});

test("pages: each list pages with its cursor", async () => {
  const coordinator = `coordinator:${uid("pages")}`;
  const client = await connectClient(open.url, { session: uid("s") });
  for (const n of [0, 1, 2]) await client.ask(coordinator, { type: "register_worker", payload: { workerId: `w${n}` } });
  const watch = (payload) => client.ask(coordinator, { type: "watch_dashboard", payload: { session: client.sessionId, limit: 2, ...payload } });
  const first = await watch({});
  assert.deepEqual(first.workers.map((w) => w.workerId), ["w0", "w1"]);
  const second = await watch({ workersCursor: first.nextWorkers });
  assert.deepEqual(second.workers.map((w) => w.workerId), ["w2"]);
  assert.equal(second.nextWorkers, null);
  await client.close();
});

const b64url = (data) => Buffer.from(data).toString("base64url");
function jwt(claims) {
  const signed = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${createHmac("sha256", SECRET).update(signed).digest("base64url")}`;
}

test("with authentication a watch pushes to the principal's own session, in its tenant only", async () => {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const token = (sub, tenant) => jwt({ sub, tenant, exp });
  // Alice and mallory both call their session "s"; mallory watches naming "s".
  const alice = await connectClient(auth.url, { session: "s", token: token("alice", "acme") });
  const alicePushes = [];
  alice.onPush((f) => alicePushes.push(f));
  const mallory = await watcher(auth.url, "coordinator:main", { session: "s", token: token("mallory", "acme") });
  const rival = await watcher(auth.url, "coordinator:main", { session: "s", token: token("bob", "globex") });
  await alice.ask("coordinator:main", { type: "assign_task", payload: uid("t") });
  await until(() => mallory.updates.length > 0, 5000, "mallory's push");
  assert.equal(mallory.updates.at(-1).queuedTasks, 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(alicePushes, [], "alice's session is not mallory's");
  assert.deepEqual(rival.updates, [], "another tenant's coordinator");
  for (const c of [alice, mallory.client, rival.client]) await c.close();
});
