// @duract/client: a typed client of duract gateways, for browsers and Node.
export { Client, DuractError, connect } from "./client.js";
export type {
  ClientOptions,
  ClientState,
  ReconnectOptions,
  SocketConstructor,
  SocketEvent,
  SocketLike,
} from "./client.js";
export {
  ERROR_TYPE,
  MAX_FRAME_BYTES,
  MAX_INFLIGHT,
  RESPONSE_SUFFIX,
  SESSION_ESTABLISHED,
} from "./protocol.js";
export type {
  AddressOf,
  AnyApi,
  Api,
  ClientTypes,
  Envelope,
  ErrorCode,
  ErrorPayload,
  KindOf,
  KnownErrorCode,
  MessageOf,
  ReplyOf,
  Route,
  RoutesOf,
  SessionEstablished,
} from "./protocol.js";
