// Two clients of the session gateway. `openSession`: raw frames, for the tests of the
// gateway's own checks and of the envelopes it writes; it sends envelopes and finds each reply
// by its `replyTo`, never by position. `connectClient`: the TypeScript client of clients/ts
// (built by `npm test`'s pretest), for tests of what the actors answer.
import WebSocket from "ws";
import { randomUUID } from "node:crypto";
import { connect } from "../../clients/ts/dist/index.js";

export { DuractError } from "../../clients/ts/dist/index.js";

/**
 * The TypeScript client (clients/ts) connected to the gateway at `baseUrl`, over `ws`:
 * `client.ask(to, { type, payload })` resolves to the reply's payload or rejects with a
 * `DuractError` carrying the `Error` reply's `code`. Options are the client's (`session`,
 * `userId`, `token`, `maxInflight`, ...).
 */
export function connectClient(baseUrl, options = {}) {
  return connect(baseUrl, { WebSocket, ...options });
}

export function uid(prefix = "t") {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Opens `ws://…/ws?<query>` and resolves once the first frame (SessionEstablished) arrived. */
export async function openSession(baseUrl, query = "") {
  const url = `${baseUrl.replace(/^http/, "ws")}/ws${query ? `?${query}` : ""}`;
  const ws = new WebSocket(url);
  const waiting = new Map(); // replyTo -> resolve
  const unmatched = [];
  let resolveFirst;
  let rejectFirst;
  const first = new Promise((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  let established = null;
  ws.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      unmatched.push(data.toString());
      return;
    }
    if (!established) {
      established = frame;
      resolveFirst(frame);
      return;
    }
    const key = frame.replyTo ?? null;
    const waiter = waiting.get(key);
    if (waiter) {
      waiting.delete(key);
      waiter(frame);
    } else {
      unmatched.push(frame);
    }
  });
  ws.on("error", (e) => rejectFirst(e));
  ws.on("unexpected-response", (_req, res) => rejectFirst(new Error(`HTTP ${res.statusCode}`)));
  await first;

  /** Waits for the frame whose replyTo is `key` (null: the next frame without replyTo). */
  function replyTo(key, timeoutMs = 15000) {
    const early = unmatched.findIndex((f) => typeof f === "object" && (f.replyTo ?? null) === key);
    if (early >= 0) return Promise.resolve(unmatched.splice(early, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(key);
        reject(new Error(`no reply to ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(key, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  return {
    ws,
    established,
    /** Sends a request envelope to `to` and resolves to its reply. */
    async request(to, type, payload, { from = "client:ui", timeoutMs } = {}) {
      const id = uid("req");
      const reply = replyTo(id, timeoutMs);
      ws.send(JSON.stringify({ to, from, type, payload, id, timestamp: Date.now() }));
      return reply;
    },
    /** Sends raw data (a string or a Buffer) and resolves to the next reply without replyTo. */
    async raw(data, { binary = false, timeoutMs } = {}) {
      const reply = replyTo(null, timeoutMs);
      ws.send(data, { binary });
      return reply;
    },
    /** Resolves to the next frame that is not a reply (no replyTo), e.g. a broadcast. */
    next(timeoutMs) {
      return replyTo(null, timeoutMs);
    },
    /** Frames received that no request or `next` claimed. */
    unclaimed() {
      return [...unmatched];
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once("close", resolve));
      ws.close(1000);
      await closed;
    },
  };
}

/** Polls `probe` until `done(value)` holds, every `everyMs`, for at most `withinMs`. */
export async function eventually(probe, done, { withinMs = 15000, everyMs = 100 } = {}) {
  const deadline = Date.now() + withinMs;
  let last;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${withinMs} ms; last value: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
