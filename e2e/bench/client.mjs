// The one client both implementations are driven with: a WebSocket to the session gateway
// (`ws` package, no compression), envelopes of protocol.md, replies matched by `replyTo`, and a
// closed-loop load driver. Latency of a request: from just before `send` to the arrival of its
// reply (parsed), in milliseconds.
import WebSocket from "ws";

let sequence = 0;

/**
 * Opens `ws://…/ws?session=<name>` and resolves, once SessionEstablished arrived, to a connection
 * with `request(to, type, payload)` → Promise<{ frame, ms }>. A request with no reply within
 * `timeoutMs` resolves to `{ frame: null, ms, timeout: true }`.
 */
export async function connect(baseUrl, session, { timeoutMs = 60000 } = {}) {
  const url = `${baseUrl.replace(/^http/, "ws")}/ws?session=${encodeURIComponent(session)}`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const pending = new Map(); // id -> { resolve, t0 }
  const tag = `r${(sequence++).toString(36)}-`;
  let n = 0;
  let stray = 0;
  let established;
  const first = new Promise((resolve, reject) => {
    established = { resolve, reject };
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
  let opened = false;
  ws.on("message", (data) => {
    const now = performance.now();
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      stray++;
      return;
    }
    if (!opened) {
      opened = true;
      if (frame.type === "SessionEstablished") established.resolve(frame);
      else established.reject(new Error(`first frame was ${data.toString().slice(0, 200)}`));
      return;
    }
    const waiter = frame && pending.get(frame.replyTo);
    if (!waiter) {
      stray++;
      return;
    }
    pending.delete(frame.replyTo);
    waiter.resolve({ frame, ms: now - waiter.t0 });
  });
  ws.on("close", () => {
    for (const [id, w] of pending) {
      pending.delete(id);
      w.resolve({ frame: null, ms: performance.now() - w.t0, closed: true });
    }
  });
  await first;
  // One sweeper per connection instead of a timer per request (Map order = send order).
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const [id, w] of pending) {
      if (now - w.t0 < timeoutMs) break;
      pending.delete(id);
      w.resolve({ frame: null, ms: now - w.t0, timeout: true });
    }
  }, 500);
  sweeper.unref();

  return {
    request(to, type, payload) {
      const id = tag + (n++).toString(36);
      return new Promise((resolve) => {
        const t0 = performance.now();
        pending.set(id, { resolve, t0 });
        ws.send(JSON.stringify({ to, from: "client:bench", type, payload, id, timestamp: Date.now() }));
      });
    },
    /** Frames that answered no pending request (none expected). */
    stray: () => stray,
    close() {
      clearInterval(sweeper);
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      const closed = new Promise((resolve) => ws.once("close", resolve));
      ws.close(1000);
      return Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

/** Tally of one batch of requests: latencies, errors by code, elapsed wall time. */
export class Tally {
  constructor() {
    this.latencies = [];
    this.errors = {}; // code -> count ("timeout" and "closed" for missing replies)
    this.count = 0;
  }
  add(result) {
    this.count++;
    this.latencies.push(result.ms);
    let code = null;
    if (!result.frame) code = result.timeout ? "timeout" : "closed";
    else if (result.frame.type === "Error") code = result.frame.payload?.code ?? "error";
    if (code) this.errors[code] = (this.errors[code] ?? 0) + 1;
    return result;
  }
}

/**
 * Closed-loop load: `sessions` sockets (already connected: `conns`), each sending `perSession`
 * requests with at most `window` awaiting their reply at a time (window ≤ MAX_INFLIGHT).
 * `next(s, i, lane)` gives the i-th request of socket s as [to, type, payload] (lane: which of the
 * socket's `window` loops sends it); `onReply(result, s, i, lane)` is called for each reply.
 * Resolves to a Tally with `elapsedMs` (first send to last reply).
 */
export async function drive(conns, perSession, window, next, onReply) {
  const tally = new Tally();
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (conn, s) => {
      let i = 0;
      const lanes = [];
      for (let lane = 0; lane < Math.min(window, perSession); lane++) {
        lanes.push(
          (async () => {
            while (i < perSession) {
              const k = i++;
              const [to, type, payload] = next(s, k, lane);
              const r = tally.add(await conn.request(to, type, payload));
              if (onReply) onReply(r, s, k, lane);
            }
          })(),
        );
      }
      await Promise.all(lanes);
    }),
  );
  tally.elapsedMs = performance.now() - t0;
  return tally;
}

/** Opens `n` sockets on sessions `<prefix>-<i>`. */
export async function connectMany(url, prefix, n, options) {
  return Promise.all(Array.from({ length: n }, (_, i) => connect(url, `${prefix}-${i}`, options)));
}

export async function closeAll(conns) {
  await Promise.all(conns.map((c) => c.close()));
}
