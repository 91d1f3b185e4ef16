// A client of one duract gateway over one WebSocket: typed asks correlated by `replyTo`,
// per-ask timeouts, reconnection with backoff, and at most `maxInflight` requests awaiting
// replies (the gateway's MAX_INFLIGHT: more would be answered `overloaded`), the rest queued.
// No dependencies: browsers' WebSocket, or any constructor with the same interface (the `ws`
// package in Node before 22).

import {
  ERROR_TYPE,
  MAX_FRAME_BYTES,
  MAX_INFLIGHT,
  SESSION_ESTABLISHED,
  type AddressOf,
  type AnyApi,
  type Api,
  type ClientTypes,
  type Envelope,
  type ErrorCode,
  type MessageOf,
  type ReplyOf,
  type RoutesOf,
  type SessionEstablished,
} from "./protocol.js";

/** An event of a socket, as much of it as the client reads. */
export interface SocketEvent {
  data?: unknown;
}

/** What the client needs of a WebSocket (browsers' and `ws`'s have it). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: SocketEvent) => void): void;
}

/** A WebSocket constructor: `WebSocket` in browsers and Node 22+, `ws`'s default export before. */
export type SocketConstructor = new (url: string) => SocketLike;

/** How long to wait between connection attempts: `initialDelayMs * factor^(attempt - 1)`, at
 * most `maxDelayMs`, each spread by ±`jitter` (a fraction); `maxAttempts` in a row, then the
 * client closes (default: no limit). */
export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  jitter?: number;
  maxAttempts?: number;
}

export interface ClientOptions {
  /** The session name (`?session=`). Absent: the gateway picks one, and reconnections reuse it. */
  session?: string;
  /** A session per entity (`?userId=`; it wins over `session`). */
  userId?: string;
  /** A JWT for gateways with authentication (`?token=`); a function is called for each
   * connection, so a token can be renewed. */
  token?: string | (() => string | Promise<string>);
  /** The `from` of requests (default `client:ui`). */
  from?: string;
  /** The WebSocket constructor (default: `globalThis.WebSocket`). */
  WebSocket?: SocketConstructor;
  /** How long an ask waits for its reply, queued time included (default 15000 ms; 0: forever). */
  timeoutMs?: number;
  /** Requests awaiting replies at once (default 64, the gateway's `MAX_INFLIGHT`). */
  maxInflight?: number;
  /** Frames larger than this many UTF-8 bytes are refused here as `too_large` (default
   * 1048576, the gateway's `MAX_FRAME_BYTES`). */
  maxFrameBytes?: number;
  /** Reconnect after a connection is lost (default on); `false`: the client closes. */
  reconnect?: boolean | ReconnectOptions;
}

/** `connecting` (first attempt), `open`, `reconnecting` (waiting or trying again), `closed`. */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

/** A request that failed: an `Error` reply (its `code` and `envelope`), or this client's own
 * `timeout`, `too_large`, `disconnected` (the socket went away after the request was sent: it
 * may have been handled) or `closed`. */
export class DuractError extends Error {
  readonly code: ErrorCode;
  /** The `Error` reply, when the gateway or an actor answered. */
  readonly envelope: Envelope | undefined;

  constructor(code: ErrorCode, message: string, envelope?: Envelope) {
    super(message);
    this.name = "DuractError";
    this.code = code;
    this.envelope = envelope;
  }
}

interface Pending {
  id: string;
  type: string;
  frame: string;
  resolve: (payload: unknown) => void;
  reject: (error: DuractError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  sent: boolean;
  /** Timed out after it was sent: rejected, but it keeps its slot until its reply arrives. */
  abandoned: boolean;
}

interface Settle {
  resolve: (session: SessionEstablished) => void;
  reject: (error: DuractError) => void;
}

const DEFAULT_RECONNECT: Required<Omit<ReconnectOptions, "maxAttempts">> = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/**
 * A connection to a gateway. `A` is the generated API (`SessionApi`): it types the addresses,
 * the messages each accepts and their replies. Requests made before the session is established,
 * or while reconnecting, wait in a queue.
 *
 * ```ts
 * import { Client } from "@duract/client";
 * import type { SessionApi } from "@duract/client/example";
 * const client = new Client<SessionApi>("https://example.com", { session: "s1" });
 * const { workerId } = await client.ask("coordinator:main", { type: "register_worker", payload: {} });
 * ```
 */
export class Client<A extends Api = AnyApi> {
  /** Resolves once the first session is established; rejects if the client closes first. */
  readonly ready: Promise<SessionEstablished>;

  readonly #url: URL;
  readonly #options: ClientOptions;
  readonly #Socket: SocketConstructor;
  readonly #from: string;
  readonly #timeoutMs: number;
  readonly #maxInflight: number;
  readonly #maxFrameBytes: number;
  readonly #reconnect: (Required<Omit<ReconnectOptions, "maxAttempts">> & { maxAttempts?: number }) | undefined;
  readonly #idPrefix = randomPrefix();
  #counter = 0;
  #state: ClientState = "connecting";
  #socket: SocketLike | undefined;
  #sessionId: string | undefined;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests not sent yet, in order. */
  #queue: Pending[] = [];
  /** Requests sent and awaiting their replies, by id. */
  #sent = new Map<string, Pending>();
  #pushListeners = new Set<(frame: Envelope) => void>();
  #stateListeners = new Set<(state: ClientState) => void>();
  #settleReady: Settle;
  #closed: Promise<void> | undefined;

  constructor(url: string | URL, options: ClientOptions = {}) {
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
    if (!Socket) {
      throw new TypeError("no WebSocket here: pass options.WebSocket (in Node before 22, the `ws` package)");
    }
    this.#Socket = Socket;
    this.#url = gatewayUrl(url);
    this.#options = options;
    this.#from = options.from ?? "client:ui";
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#maxInflight = Math.max(1, options.maxInflight ?? MAX_INFLIGHT);
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    const reconnect = options.reconnect ?? true;
    this.#reconnect = reconnect === false ? undefined : { ...DEFAULT_RECONNECT, ...(reconnect === true ? {} : reconnect) };
    let settle!: Settle;
    this.ready = new Promise<SessionEstablished>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // an unobserved failure is not an unhandled rejection
    this.#settleReady = settle;
    void this.#open();
  }

  /** The connection's state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The session's name, once established (`SessionEstablished`'s `sessionId`). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** Requests sent and awaiting replies (at most `maxInflight`). */
  get inflight(): number {
    return this.#sent.size;
  }

  /** Requests waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Sends `message` to the actor at `to` and resolves to its reply's payload; rejects with a
   * {@link DuractError} carrying the `Error` reply's `code` (or this client's own).
   */
  ask<To extends AddressOf<A>, T extends ClientTypes<RoutesOf<A, To>>>(
    to: To,
    message: MessageOf<RoutesOf<A, To>, T>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyOf<A, To, T>> {
    const { type, payload } = message as { type: string; payload?: unknown };
    if (this.#state === "closed") {
      return Promise.reject(new DuractError("closed", "the client is closed"));
    }
    const id = `${this.#idPrefix}-${++this.#counter}`;
    let frame: string;
    try {
      frame = JSON.stringify({ to, from: this.#from, type, payload: payload ?? null, id, timestamp: Date.now() });
    } catch (error) {
      return Promise.reject(new DuractError("invalid_payload", `the payload does not encode: ${String(error)}`));
    }
    // Each UTF-16 unit is at most 3 UTF-8 bytes: most frames need no encoding to be measured.
    const bytes = frame.length * 3 <= this.#maxFrameBytes ? frame.length : new TextEncoder().encode(frame).length;
    if (bytes > this.#maxFrameBytes) {
      return Promise.reject(
        new DuractError("too_large", `a frame of ${bytes} bytes is over the limit of ${this.#maxFrameBytes}`),
      );
    }
    return new Promise<ReplyOf<A, To, T>>((resolve, reject) => {
      const pending: Pending = {
        id,
        type,
        frame,
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer: undefined,
        sent: false,
        abandoned: false,
      };
      const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        pending.timer = setTimeout(() => this.#timeout(pending, timeoutMs), timeoutMs);
      }
      this.#queue.push(pending);
      this.#pump();
    });
  }

  /** Calls `listener` with every frame that answers no request of this client: pushes from
   * actors, broadcasts. Returns the function that unsubscribes. */
  onPush(listener: (frame: Envelope) => void): () => void {
    this.#pushListeners.add(listener);
    return () => this.#pushListeners.delete(listener);
  }

  /** Calls `listener` with each new state. Returns the function that unsubscribes. */
  onState(listener: (state: ClientState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Closes the connection for good: pending and queued requests reject with `closed`. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#shutdown("closed", "the client is closed");
    this.#closed = new Promise<void>((resolve) => {
      if (!socket) return resolve();
      const done = setTimeout(resolve, 1000); // a peer that never answers the close
      socket.addEventListener("close", () => {
        clearTimeout(done);
        resolve();
      });
      try {
        socket.close(1000, "client closed");
      } catch {
        clearTimeout(done);
        resolve();
      }
    });
    return this.#closed;
  }

  async #open(): Promise<void> {
    let url: string;
    try {
      url = await this.#socketUrl();
    } catch (error) {
      this.#lost(false, `no token: ${String(error)}`);
      return;
    }
    if (this.#state === "closed") return;
    let socket: SocketLike;
    try {
      socket = new this.#Socket(url);
    } catch (error) {
      this.#lost(false, String(error));
      return;
    }
    this.#socket = socket;
    let established = false;
    socket.addEventListener("message", (event) => {
      if (socket !== this.#socket || typeof event.data !== "string") return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!isEnvelope(frame)) return;
      if (!established && frame.type === SESSION_ESTABLISHED) {
        established = true;
        this.#established(frame.payload as SessionEstablished);
      } else {
        this.#frame(frame);
      }
    });
    socket.addEventListener("close", () => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#lost(established, "the connection closed");
    });
    socket.addEventListener("error", () => {}); // a close event follows
  }

  async #socketUrl(): Promise<string> {
    const url = new URL(this.#url);
    const { userId, token } = this.#options;
    const session = this.#options.session ?? this.#sessionId;
    if (userId) url.searchParams.set("userId", userId);
    else if (session) url.searchParams.set("session", session);
    const value = typeof token === "function" ? await token() : token;
    if (value) url.searchParams.set("token", value);
    return url.toString();
  }

  #established(payload: SessionEstablished): void {
    this.#sessionId ??= payload?.sessionId;
    this.#attempt = 0;
    this.#setState("open");
    this.#settleReady.resolve({ sessionId: payload?.sessionId ?? "" });
    this.#pump();
  }

  /** The socket went away (`wasOpen`: after its session was established). */
  #lost(wasOpen: boolean, reason: string): void {
    for (const pending of this.#sent.values()) {
      clearTimeout(pending.timer);
      if (!pending.abandoned) {
        pending.reject(new DuractError("disconnected", `${reason} before the reply to ${pending.type}`));
      }
    }
    this.#sent.clear();
    if (this.#state === "closed") return;
    const reconnect = this.#reconnect;
    this.#attempt = wasOpen ? 1 : this.#attempt + 1;
    if (!reconnect || (reconnect.maxAttempts !== undefined && this.#attempt > reconnect.maxAttempts)) {
      this.#shutdown("disconnected", reason);
      return;
    }
    const base = Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * reconnect.factor ** (this.#attempt - 1));
    const delay = base * (1 - reconnect.jitter + 2 * reconnect.jitter * Math.random());
    if (this.#state === "open") this.#setState("reconnecting");
    this.#reconnectTimer = setTimeout(() => void this.#open(), delay);
  }

  /** Closes the client: every request rejects with `code`. */
  #shutdown(code: ErrorCode, reason: string): void {
    const waiting = [...this.#sent.values(), ...this.#queue];
    this.#sent.clear();
    this.#queue = [];
    for (const pending of waiting) {
      clearTimeout(pending.timer);
      if (!pending.abandoned) pending.reject(new DuractError(code, `${reason}: ${pending.type} not answered`));
    }
    this.#settleReady.reject(new DuractError(code, reason));
    this.#setState("closed");
  }

  #frame(frame: Envelope): void {
    const pending = typeof frame.replyTo === "string" ? this.#sent.get(frame.replyTo) : undefined;
    if (!pending) {
      for (const listener of this.#pushListeners) call(listener, frame);
      return;
    }
    this.#sent.delete(pending.id);
    clearTimeout(pending.timer);
    if (!pending.abandoned) {
      if (frame.type === ERROR_TYPE) {
        const error = (frame.payload ?? {}) as { error?: unknown; code?: unknown };
        const code = typeof error.code === "string" ? error.code : "actor_error";
        const message = typeof error.error === "string" ? error.error : `${pending.type} failed`;
        pending.reject(new DuractError(code, message, frame));
      } else {
        pending.resolve(frame.payload ?? null);
      }
    }
    this.#pump();
  }

  #timeout(pending: Pending, ms: number): void {
    if (pending.sent) {
      if (!this.#sent.has(pending.id)) return;
      pending.abandoned = true; // the gateway still counts it until it answers
    } else {
      const at = this.#queue.indexOf(pending);
      if (at < 0) return;
      this.#queue.splice(at, 1);
    }
    pending.reject(new DuractError("timeout", `no reply to ${pending.type} within ${ms} ms`));
  }

  /** Sends queued requests while fewer than `maxInflight` await replies. */
  #pump(): void {
    const socket = this.#socket;
    if (this.#state !== "open" || !socket) return;
    while (this.#sent.size < this.#maxInflight && this.#queue.length > 0) {
      const pending = this.#queue.shift()!;
      pending.sent = true;
      this.#sent.set(pending.id, pending);
      try {
        socket.send(pending.frame);
      } catch {
        // the socket is closing: its close event rejects the request
      }
    }
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of this.#stateListeners) call(listener, state);
  }
}

/** A client once its session is established; closed and rejected after `connectTimeoutMs`
 * (default 10000) without one. */
export async function connect<A extends Api = AnyApi>(
  url: string | URL,
  options: ClientOptions & { connectTimeoutMs?: number } = {},
): Promise<Client<A>> {
  const client = new Client<A>(url, options);
  const ms = options.connectTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DuractError("timeout", `no session within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([client.ready, late]);
  } catch (error) {
    await client.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** `ws(s)://host/ws` from `http(s)://host`, `ws(s)://host` or a full `/ws` URL. */
function gatewayUrl(url: string | URL): URL {
  const out = new URL(url);
  if (out.protocol === "http:") out.protocol = "ws:";
  if (out.protocol === "https:") out.protocol = "wss:";
  if (out.pathname === "/" || out.pathname === "") out.pathname = "/ws";
  return out;
}

function isEnvelope(value: unknown): value is Envelope {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

/** Calls a listener; what it throws is reported without breaking the client. */
function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

function randomPrefix(): string {
  const bytes = new Uint8Array(6);
  const crypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
