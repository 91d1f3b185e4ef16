// The wire contract of duract gateways (docs/protocol.md): envelopes, error payloads, and the
// types that turn a generated API (e.g. `SessionApi` of ./generated/example.ts) into typed
// requests and replies.

/** Every frame on the socket, in both directions. */
export interface Envelope<P = unknown> {
  /** An address `kind:id`. */
  to: string;
  /** An address `kind:id`. */
  from: string;
  /** The message type: `register_worker`, `register_workerResponse`, `Error`, ... */
  type: string;
  /** Absent means `null`. */
  payload?: P;
  /** Unique per request. */
  id: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** On a reply: the `id` of the request it answers. */
  replyTo?: string;
}

/** The payload of an `Error` reply. */
export interface ErrorPayload {
  /** The human message. */
  error: string;
  /** The stable code. */
  code: ErrorCode;
}

/** The payload of `SessionEstablished`, the first frame of a connection. */
export interface SessionEstablished {
  sessionId: string;
}

/** The type of the first frame of a connection. */
export const SESSION_ESTABLISHED = "SessionEstablished";
/** The type of an error reply. */
export const ERROR_TYPE = "Error";
/** What a success reply's type adds to its request's: `register_worker` -> `register_workerResponse`. */
export const RESPONSE_SUFFIX = "Response";
/** Requests a gateway lets one socket have awaiting replies (protocol.md, `MAX_INFLIGHT`). */
export const MAX_INFLIGHT = 64;
/** The gateway's default frame limit in UTF-8 bytes (`MAX_FRAME_BYTES`). */
export const MAX_FRAME_BYTES = 1_048_576;

/** The codes of the protocol, of the framework and of this client. */
export type KnownErrorCode =
  // the gateway's checks, in order
  | "unsupported_frame"
  | "too_large"
  | "invalid_format"
  | "invalid_address"
  | "unknown_actor"
  | "forbidden"
  | "unknown_type"
  | "overloaded"
  | "invalid_payload"
  // calls and limits
  | "actor_error"
  | "timeout"
  | "limit_exceeded"
  // this client: the socket went away with the request sent, or the client was closed
  | "disconnected"
  | "closed";

/** A known code, or a handler's own (the example's `duplicate_task`). */
export type ErrorCode = KnownErrorCode | (string & {});

/** One route: the payload of a request, the payload of its reply, whether only actors send it. */
export interface Route {
  payload: unknown;
  reply: unknown;
  internal: boolean;
}

/** An API as the generator writes it: address kind -> wire type -> route. */
export type Api = { [kind: string]: { [type: string]: Route } };

/** Any address, any type: what an untyped client allows. */
export type AnyApi = { [kind: string]: { [type: string]: { payload: unknown; reply: unknown; internal: false } } };

/** The addresses of an API: `coordinator:${string}` | `worker:${string}` (any string when
 * the API is not known). */
export type AddressOf<A extends Api> = string extends keyof A
  ? string
  : { [K in keyof A & string]: `${K}:${string}` }[keyof A & string];

/** The kind of an address type: `coordinator` of `coordinator:main`. */
export type KindOf<To extends string> = To extends `${infer K}:${string}` ? K : never;

/** The routes an address reaches. */
export type RoutesOf<A extends Api, To extends string> = string extends keyof A ? A[string] : A[KindOf<To>];

/** The types clients may send to a kind: its routes that are not internal. */
export type ClientTypes<R> = {
  [T in keyof R & string]: R[T] extends { internal: true } ? never : T;
}[keyof R & string];

/** Whether a payload may be left out: the handler takes `null` or `{}` (absent is `null`). */
type MayOmit<P> = [null] extends [P] ? true : [{}] extends [P] ? true : false;

/** The message `{type, payload}` of route `T`; `payload` optional when it may be left out. */
export type MessageOf<R, T extends keyof R & string> = R[T] extends { payload: infer P }
  ? MayOmit<P> extends true
    ? { type: T; payload?: P }
    : { type: T; payload: P }
  : never;

/** The reply to message type `T` sent to `To`. */
export type ReplyOf<A extends Api, To extends string, T extends string> = RoutesOf<A, To>[T] extends {
  reply: infer R;
}
  ? R
  : never;
