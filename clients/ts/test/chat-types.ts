// Type-level tests (compiled, never run: `npm run typecheck`): the chat example's generated API
// (examples/chat, `@duract/client/chat`) types its asks, and mistakes do not compile.
import type { Client } from "../src/index.js";
import type { ChatMessage, History, Joined, Posted, SessionApi, UserStats } from "../src/generated/chat.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

declare const chat: Client<SessionApi>;

export async function typedChat(): Promise<void> {
  const joined = await chat.ask("room:lobby", { type: "join", payload: { name: "ann", session: "s1" } });
  assertType<Equal<typeof joined, Joined>>(true);
  assertType<Equal<typeof joined.history, ChatMessage[]>>(true);
  const posted = await chat.ask("room:lobby", { type: "post", payload: { name: "ann", session: "s1", text: "hi" } });
  assertType<Equal<typeof posted, Posted>>(true);
  const history = await chat.ask("room:lobby", { type: "get_history", payload: {} });
  assertType<Equal<typeof history, History>>(true);
  const user = await chat.ask("user:ann", { type: "get_user", payload: {} });
  assertType<Equal<typeof user, UserStats>>(true);

  // @ts-expect-error: internal: only rooms send it
  await chat.ask("user:ann", { type: "count_post", payload: {} });
  // @ts-expect-error: internal: the room's own timer
  await chat.ask("room:lobby", { type: "idle", payload: {} });
  // @ts-expect-error: post needs its text
  await chat.ask("room:lobby", { type: "post", payload: { name: "ann", session: "s1" } });
  // @ts-expect-error: a kind the gateway does not forward
  await chat.ask("lobby:x", { type: "get_history", payload: {} });
}
