// The example's live dashboard: one WebSocket through the gateway (the TypeScript client of
// clients/ts, typed by the generated API), `watch_dashboard` once, then every update is a
// `dashboard_update` the coordinator pushes (throttled there); no polling. The watch is
// renewed within its `watchMs` (a keep-alive that also moves the page), and after a reconnect.
//
// Query parameters: `coordinator` (default `main`), `token` (a JWT, when the gateway has
// AUTH_SECRET), `rows` (rows per list, default 20).
// Built by scripts/build-dashboard into ../assets/dashboard.js (esbuild), served by the worker.

import { Client, DuractError } from "../../../../clients/ts/src/index.js";
import type { DashboardView, SessionApi } from "../../../../clients/ts/src/generated/example.js";

const params = new URLSearchParams(location.search);
const coordinator = `coordinator:${params.get("coordinator") || "main"}` as const;
const rows = Math.min(100, Math.max(1, Number(params.get("rows")) || 20));
const token = params.get("token") ?? undefined;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
};

/** Where each list's page starts, and the cursors of the pages before it. */
const pages = {
  workers: { cursor: null as string | null, back: [] as (string | null)[] },
  active: { cursor: null as string | null, back: [] as (string | null)[] },
};
let latest: DashboardView | undefined;
/** Local time minus the coordinator's, for lease countdowns. */
let skew = 0;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let painted = false;

const client = new Client<SessionApi>(location.origin, { token, timeoutMs: 10_000 });
client.onState((state) => {
  $("connection").textContent = state;
  $("connection").dataset.state = state;
  if (state === "open" && latest) void watch(); // the session is the same: refresh the view
});
client.onPush((frame) => {
  if (frame.type === "dashboard_update") render(frame.payload as DashboardView);
});

/** Watches (or renews, or moves the page): the reply is the current view. */
async function watch(): Promise<void> {
  clearTimeout(renewTimer);
  const session = client.sessionId;
  if (!session) return;
  try {
    const view = await client.ask(coordinator, {
      type: "watch_dashboard",
      payload: { session, limit: rows, workersCursor: pages.workers.cursor, activeCursor: pages.active.cursor },
    });
    render(view);
    renewTimer = setTimeout(() => void watch(), Math.max(1_000, view.watchMs / 2));
  } catch (error) {
    note(`watch: ${describe(error)}`, true);
    renewTimer = setTimeout(() => void watch(), 5_000);
  }
}

function render(view: DashboardView): void {
  latest = view;
  skew = Date.now() - view.now;
  $("worker-count").textContent = String(view.workerCount);
  $("queued-count").textContent = String(view.queuedTasks);
  $("active-count").textContent = String(view.activeCount);
  const lastMinute = view.throughput.reduce((sum, b) => sum + b.completed, 0);
  $("done-count").textContent = String(lastMinute);
  fill(
    "workers",
    view.workers.map((w) => [w.workerId, w.state, w.task ?? "", w.capabilities.join(", ")]),
    (row, w) => (row.dataset.state = view.workers[w]?.state ?? ""),
  );
  fill(
    "active",
    view.active.map((a) => [a.taskId, a.workerId, leaseText(a.leaseExpiresAt)]),
    (row, i) => (row.dataset.expires = String(view.active[i]?.leaseExpiresAt ?? 0)),
  );
  fill(
    "completed",
    view.completed.map((d) => [d.taskId, d.workerId, time(d.at)]),
  );
  fill(
    "incidents",
    view.incidents.map((i) => [time(i.at), i.code, i.message]),
  );
  pager("workers", view.nextWorkers, view.workers.length, view.workerCount);
  pager("active", view.nextActive, view.active.length, view.activeCount);
  chart(view);
  if (!painted) {
    painted = true;
    requestAnimationFrame(() => {
      performance.mark("dashboard:first-view");
      document.body.dataset.ready = "1";
    });
  }
}

/** Replaces the body rows of table `#<id>`. */
function fill(id: string, data: string[][], decorate?: (row: HTMLTableRowElement, index: number) => void): void {
  const body = $(id).querySelector("tbody");
  if (!body) return;
  const fresh = data.map((cells, index) => {
    const row = document.createElement("tr");
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    decorate?.(row, index);
    return row;
  });
  body.replaceChildren(...fresh);
}

function pager(list: "workers" | "active", next: string | null, shown: number, total: number): void {
  const page = pages[list];
  $(`${list}-page`).textContent = total === 0 ? "none" : `${shown} shown of ${total}`;
  $<HTMLButtonElement>(`${list}-prev`).disabled = page.back.length === 0;
  $<HTMLButtonElement>(`${list}-next`).disabled = next === null;
  $(`${list}-next`).dataset.cursor = next ?? "";
}

function move(list: "workers" | "active", forward: boolean): void {
  const page = pages[list];
  if (forward) {
    const next = $(`${list}-next`).dataset.cursor;
    if (!next) return;
    page.back.push(page.cursor);
    page.cursor = next;
  } else {
    page.cursor = page.back.pop() ?? null;
  }
  void watch();
}

/** Assignments and completions per second of the last minute, as bars (SVG by hand). */
function chart(view: DashboardView): void {
  const svg = $("chart");
  const width = 600;
  const height = 120;
  const slot = width / 60;
  const end = view.now - (view.now % 1000);
  const peak = Math.max(1, ...view.throughput.map((b) => Math.max(b.assigned, b.completed)));
  const bars: string[] = [];
  for (const b of view.throughput) {
    const x = width - ((end - b.at) / 1000 + 1) * slot;
    if (x < 0) continue;
    const bar = (value: number, offset: number, kind: string) => {
      const h = (value / peak) * (height - 14);
      return `<rect class="${kind}" x="${(x + offset).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${(slot / 2 - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${kind} ${value}</title></rect>`;
    };
    bars.push(bar(b.assigned, 0, "assigned"), bar(b.completed, slot / 2, "completed"));
  }
  svg.innerHTML = `<text x="2" y="11">${peak}/s</text>${bars.join("")}`;
}

function leaseText(expiresAt: number): string {
  const left = Math.round((expiresAt - (Date.now() - skew)) / 1000);
  return left >= 0 ? `in ${left} s` : `${-left} s ago`;
}

function time(ms: number): string {
  return new Date(ms + skew).toLocaleTimeString();
}

function describe(error: unknown): string {
  return error instanceof DuractError ? `${error.code}: ${error.message}` : String(error);
}

/** A line in the form's log, the latest first (at most 50). */
function note(text: string, failed = false): void {
  const item = document.createElement("li");
  item.textContent = text;
  if (failed) item.className = "failed";
  const log = $("log");
  log.prepend(item);
  while (log.children.length > 50) log.lastElementChild?.remove();
}

let counter = 0;
async function assign(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const data = new FormData(form);
  const base = String(data.get("taskId") ?? "").trim() || `task-${Date.now().toString(36)}`;
  const count = Math.min(100, Math.max(1, Number(data.get("count")) || 1));
  const priority = Number(data.get("priority")) || 0;
  const requires = String(data.get("requires") ?? "").trim() || null;
  const asks = Array.from({ length: count }, (_, n) => {
    const taskId = count === 1 ? base : `${base}-${++counter}`;
    return client
      .ask(coordinator, { type: "assign_task", payload: { taskId, priority, requires } })
      .then((reply) =>
        note(reply.status === "assigned" ? `${taskId}: assigned to ${reply.workerId}` : `${taskId}: queued, position ${reply.position}`),
      )
      .catch((error: unknown) => note(`${taskId}: ${describe(error)}`, true));
  });
  await Promise.all(asks);
}

async function register(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const data = new FormData(event.target as HTMLFormElement);
  const workerId = String(data.get("workerId") ?? "").trim();
  const capabilities = String(data.get("capabilities") ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  try {
    const reply = await client.ask(coordinator, {
      type: "register_worker",
      payload: { workerId: workerId || null, capabilities },
    });
    note(`${reply.workerId}: registered`);
  } catch (error) {
    note(`register: ${describe(error)}`, true);
  }
}

$("assign-form").addEventListener("submit", (e) => void assign(e as SubmitEvent));
$("register-form").addEventListener("submit", (e) => void register(e as SubmitEvent));
$("workers-prev").addEventListener("click", () => move("workers", false));
$("workers-next").addEventListener("click", () => move("workers", true));
$("active-prev").addEventListener("click", () => move("active", false));
$("active-next").addEventListener("click", () => move("active", true));
$("coordinator").textContent = coordinator;
// Lease countdowns tick locally between pushes.
setInterval(() => {
  for (const row of $("active").querySelectorAll<HTMLTableRowElement>("tbody tr")) {
    const cell = row.cells[2];
    if (cell) cell.textContent = leaseText(Number(row.dataset.expires));
  }
}, 1000);

client.ready.then(
  (session) => {
    $("session").textContent = session.sessionId;
    void watch();
  },
  (error: unknown) => note(`connect: ${describe(error)}`, true),
);
