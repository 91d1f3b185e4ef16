// What the client's tests share: the `ws` package of e2e/ (Node 20 has no WebSocket) and a
// scripted gateway for what workerd cannot be made to do on cue (never answer, push, refuse
// connections). The example in workerd comes from e2e/lib/worker.mjs.
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

const e2e = createRequire(new URL("../../../e2e/package.json", import.meta.url));
const ws = e2e("ws");
/** `ws`'s WebSocket: the constructor the client takes in Node before 22. */
export const WebSocket = ws.WebSocket;
export const WebSocketServer = ws.WebSocketServer;

export function uid(prefix = "t") {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A WebSocket constructor that records the sockets it made (to cut one from the test). */
export function recordingSocket() {
  const sockets = [];
  class Recording extends WebSocket {
    constructor(url) {
      super(url);
      sockets.push(this);
    }
  }
  return { Recording, sockets };
}

/**
 * A scripted gateway on a free port: sends SessionEstablished on each connection, then calls
 * `onRequest(frame, socket, connection)` for each frame (answer with `reply`). Resolves to
 * `{ url, connections, requests, reply, push, close, reopen }`.
 */
export async function scriptedGateway({ onRequest = () => {}, port = 0 } = {}) {
  const connections = [];
  const requests = [];
  let server;
  const listen = (p) =>
    new Promise((resolve) => {
      server = new WebSocketServer({ host: "127.0.0.1", port: p }, () => resolve(server.address().port));
      server.on("connection", (socket, req) => {
        const url = new URL(req.url, "http://x");
        const connection = { socket, url, index: connections.length };
        connections.push(connection);
        const sessionId = url.searchParams.get("session") ?? "random-1";
        socket.send(JSON.stringify(envelope("client:ui", "SessionEstablished", { sessionId })));
        socket.on("message", (data) => {
          const frame = JSON.parse(data.toString());
          requests.push(frame);
          onRequest(frame, socket, connection);
        });
      });
    });
  const actualPort = await listen(port);
  const gateway = {
    url: `http://127.0.0.1:${actualPort}`,
    connections,
    requests,
    /** Answers `request` with a success reply carrying `payload`, or an Error with `code`. */
    reply(socket, request, payload, { code } = {}) {
      const type = code ? "Error" : `${request.type}Response`;
      const body = code ? { error: `failed: ${code}`, code } : payload;
      socket.send(JSON.stringify({ ...envelope("client:ui", type, body), replyTo: request.id }));
    },
    /** Sends an envelope that answers nothing. */
    push(socket, type, payload) {
      socket.send(JSON.stringify(envelope("client:ui", type, payload)));
    },
    /** Stops listening and drops every connection. */
    async close() {
      for (const c of server.clients) c.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
    /** Listens again on the same port. */
    async reopen() {
      await listen(actualPort);
    },
  };
  return gateway;
}

function envelope(to, type, payload) {
  return { to, from: "session:scripted", type, payload, id: uid("srv"), timestamp: Date.now() };
}

/** Resolves when `predicate()` holds (checked every 5 ms), rejects after `withinMs`. */
export async function until(predicate, withinMs = 5000) {
  const deadline = Date.now() + withinMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
