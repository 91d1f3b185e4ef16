// Type-level tests (compiled, never run: `npm run typecheck`): the generated API types every
// ask of the example, and mistakes do not compile.
import { Client, DuractError, type ErrorCode } from "../src/index.js";
import type { Assignment, Registered, SessionApi, Status, WorkerState } from "../src/generated/example.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

declare const client: Client<SessionApi>;

export async function typed(): Promise<void> {
  const registered = await client.ask("coordinator:main", { type: "register_worker", payload: { workerId: "w1" } });
  assertType<Equal<typeof registered, Registered>>(true);
  // Every field of register_worker is optional: the payload may be left out.
  await client.ask("coordinator:main", { type: "register_worker" });
  const assignment = await client.ask("coordinator:main", { type: "assign_task", payload: "t1" });
  assertType<Equal<typeof assignment, Assignment>>(true);
  if (assignment.status === "queued") assertType<Equal<typeof assignment.position, number>>(true);
  await client.ask("coordinator:main", { type: "assign_task", payload: { taskId: "t2", priority: 5 } });
  const status = await client.ask("coordinator:main", { type: "get_status", payload: { limit: 10 } });
  assertType<Equal<typeof status, Status>>(true);
  const state = await client.ask("worker:w1", { type: "get_state" });
  assertType<Equal<typeof state, WorkerState>>(true);
  // An id may hold `:`, and be known only at run time.
  await client.ask("worker:pool:7", { type: "get_state" });
  const id: string = "w2";
  const other = await client.ask(`worker:${id}`, { type: "get_state" });
  assertType<Equal<typeof other, WorkerState>>(true);

  // @ts-expect-error: a kind the gateway does not forward
  await client.ask("session:s1", { type: "get_state" });
  // @ts-expect-error: a type the coordinator does not handle
  await client.ask("coordinator:main", { type: "get_state" });
  // @ts-expect-error: internal: only actors send it
  await client.ask("worker:w1", { type: "process_task", payload: { taskId: "t" } });
  // @ts-expect-error: internal
  await client.ask("coordinator:main", { type: "task_complete", payload: { taskId: "t", workerId: "w" } });
  // @ts-expect-error: assign_task needs its payload
  await client.ask("coordinator:main", { type: "assign_task" });
  // @ts-expect-error: a payload of the wrong shape
  await client.ask("coordinator:main", { type: "assign_task", payload: { priority: 1 } });
  // @ts-expect-error: a field of the wrong type
  await client.ask("coordinator:main", { type: "register_worker", payload: { workerId: 5 } });
}

export async function errors(): Promise<void> {
  try {
    await client.ask("coordinator:main", { type: "assign_task", payload: "t1" });
  } catch (error) {
    if (error instanceof DuractError) {
      const code: ErrorCode = error.code;
      if (code === "duplicate_task" || code === "limit_exceeded" || code === "overloaded") return;
    }
  }
}

export async function untyped(): Promise<void> {
  // Without an API: any address and type, replies unknown.
  const loose = new Client("http://127.0.0.1:8787", { session: "s" });
  const reply = await loose.ask("anything:x", { type: "whatever", payload: [1, 2] });
  assertType<Equal<typeof reply, unknown>>(true);
  // Addresses computed at run time.
  const to: string = ["worker", "w1"].join(":");
  await loose.ask(to, { type: "get_state" });
}

export function browserWebSocket(): Client<SessionApi> {
  // The DOM's WebSocket fits the client's constructor type.
  return new Client<SessionApi>("https://example.com", { WebSocket, token: () => "jwt" });
}
