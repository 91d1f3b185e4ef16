// The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium, scripts/install-tools
// installs it) driven by playwright-core (no browser download) loads /dashboard from the
// example in workerd, registers a worker and assigns tasks through its forms, and sees each
// task go from queued to active to done, pushed; then the first paint of a coordinator with
// 1,000 workers and 10,000 queued tasks. Screenshots and the figures go to target/dashboard/.
// CHROMIUM overrides the browser's path.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startWorker } from "../lib/worker.mjs";
import { connectClient, uid } from "../lib/client.mjs";

const OUT = fileURLToPath(new URL("../../target/dashboard/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const folders = [];
let browser;

function folder() {
  const dir = mkdtempSync(path.join(tmpdir(), "duract-browser-"));
  folders.push(dir);
  return dir;
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
after(async () => {
  await browser?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** The text of each row of table `#id`, cells joined by " | ". */
const rowsOf = (page, id) => page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent).join(" | ")));

test("tasks assigned through the form go from queued to active to done, pushed to the page", async () => {
  const worker = await startWorker({ persist: folder(), vars: { DASHBOARD: "on", WORK_MS: "1500", DASHBOARD_PUSH_MS: "100" } });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    const coordinator = uid("browser");
    await page.goto(`${worker.url}/dashboard?coordinator=${coordinator}`);
    await page.waitForSelector("body[data-ready]");
    assert.equal(await page.textContent("#connection"), "open");
    assert.equal(await page.textContent("#worker-count"), "0");

    await page.fill("#register-form [name=workerId]", "w1");
    await page.click("#register-form button");
    await page.waitForFunction(() => document.querySelector("#workers tbody tr")?.textContent.includes("idle"));

    await page.fill("#assign-form [name=taskId]", "job");
    await page.fill("#assign-form [name=count]", "3");
    await page.click("#assign-form button");
    // One worker: the first task is active, the other two queued.
    await page.waitForFunction(() => document.querySelector("#queued-count").textContent === "2");
    const log = await page.$$eval("#log li", (items) => items.map((i) => i.textContent));
    assert.equal(log.filter((l) => l.includes("queued, position")).length, 2, log.join("\n"));
    assert.equal(log.filter((l) => l.includes("assigned to w1")).length, 1, log.join("\n"));
    const [active] = await rowsOf(page, "active");
    const first = active.split(" | ")[0];
    assert.match(active, /^job-\d \| w1 \| in \d+ s$/);
    assert.match((await rowsOf(page, "workers"))[0], new RegExp(`^w1 \\| busy \\| ${first} \\| $`));
    await page.screenshot({ path: path.join(OUT, "1-queued.png"), fullPage: true });

    // Done one by one: each queued task becomes active, then completed.
    await page.waitForFunction(() => document.querySelector("#queued-count").textContent === "1", null, { timeout: 10_000 });
    const second = (await rowsOf(page, "active"))[0].split(" | ")[0];
    assert.notEqual(second, first);
    assert.equal((await rowsOf(page, "completed"))[0].split(" | ")[0], first);
    await page.screenshot({ path: path.join(OUT, "2-active.png"), fullPage: true });

    await page.waitForFunction(() => document.querySelectorAll("#completed tbody tr").length === 3, null, { timeout: 15_000 });
    assert.equal(await page.textContent("#active-count"), "0");
    assert.equal(await page.textContent("#queued-count"), "0");
    assert.equal(await page.textContent("#done-count"), "3");
    assert.match((await rowsOf(page, "workers"))[0], /^w1 \| idle \|/);
    const bars = await page.$$eval("#chart rect.completed", (r) => r.filter((b) => Number(b.getAttribute("height")) > 0).length);
    assert.ok(bars >= 1, "the chart shows completions");

    // A duplicate is refused: the page says so, and the coordinator lists the incident.
    await page.fill("#assign-form [name=taskId]", "dup");
    await page.fill("#assign-form [name=count]", "1");
    await page.click("#assign-form button");
    await page.click("#assign-form button");
    await page.waitForFunction(() => document.querySelector("#log .failed")?.textContent.includes("duplicate_task"));
    await page.waitForFunction(() => document.querySelector("#incidents tbody")?.textContent.includes("duplicate_task"));
    await page.screenshot({ path: path.join(OUT, "3-done.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await worker.stop();
  }
});

test("first paint with 1,000 workers and 10,000 queued tasks (the page pages)", async () => {
  const worker = await startWorker({ persist: folder(), vars: { DASHBOARD: "on", WORK_MS: "600000", TASK_LEASE_MS: "3600000" } });
  const clients = [];
  try {
    const coordinator = `coordinator:${uid("scale")}`;
    const started = Date.now();
    for (let n = 0; n < 4; n++) clients.push(await connectClient(worker.url, { session: uid("load"), timeoutMs: 120_000 }));
    const spread = async (count, ask) => {
      let next = 0;
      await Promise.all(clients.map(async (client) => {
        const batch = [];
        while (next < count) {
          batch.push(ask(client, next++));
          if (batch.length === 64) await Promise.all(batch.splice(0));
        }
        await Promise.all(batch);
      }));
    };
    await spread(1000, (c, n) => c.ask(coordinator, { type: "register_worker", payload: { workerId: `w${n}` } }));
    await spread(11_000, (c, n) => c.ask(coordinator, { type: "assign_task", payload: `t${n}` }));
    const status = await clients[0].ask(coordinator, { type: "get_status", payload: { limit: 1 } });
    assert.deepEqual([status.workerCount, status.activeCount, status.queuedTasks], [1000, 1000, 10_000]);
    const setupMs = Date.now() - started;

    const runs = [];
    for (let run = 0; run < 3; run++) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      try {
        await page.goto(`${worker.url}/dashboard?coordinator=${coordinator.split(":")[1]}`);
        await page.waitForSelector("body[data-ready]");
        runs.push(await page.evaluate(() => ({
          firstView: performance.getEntriesByName("dashboard:first-view")[0].startTime,
          firstContentfulPaint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
        })));
        assert.equal(await page.textContent("#worker-count"), "1000");
        assert.equal(await page.textContent("#queued-count"), "10000");
        assert.equal(await page.textContent("#active-count"), "1000");
        assert.equal((await rowsOf(page, "workers")).length, 20, "one page of workers");
        assert.equal((await rowsOf(page, "active")).length, 20, "one page of active tasks");
        assert.equal(await page.textContent("#workers-page"), "20 shown of 1000");
        if (run === 2) {
          const firstPage = await rowsOf(page, "workers");
          await page.click("#workers-next");
          await page.waitForFunction((before) => document.querySelector("#workers tbody tr")?.cells[0].textContent !== before, firstPage[0].split(" | ")[0]);
          const secondPage = await rowsOf(page, "workers");
          assert.equal(secondPage.length, 20);
          assert.ok(secondPage.every((row) => !firstPage.includes(row)), "the next 20 workers");
          assert.equal(await page.isDisabled("#workers-prev"), false);
          await page.screenshot({ path: path.join(OUT, "4-scale.png"), fullPage: true });
        }
      } finally {
        await page.close();
      }
    }
    const figures = { workers: 1000, active: 1000, queued: 10_000, setupMs, runs };
    writeFileSync(path.join(OUT, "first-paint.json"), `${JSON.stringify(figures, null, 2)}\n`);
    const ms = runs.map((r) => r.firstView.toFixed(0)).join(", ");
    console.log(`# dashboard first view with 1,000 workers + 10,000 queued: ${ms} ms from navigation (3 loads; setup ${setupMs} ms)`);
  } finally {
    for (const c of clients) await c.close();
    await worker.stop();
  }
});
