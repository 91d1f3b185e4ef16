// The chat room in workerd, driven over WebSockets by the TypeScript client (clients/ts): two
// members of a room get each other's messages as pushes, the room's history and the users'
// counts, and every bound a client meets, each refused with its code. The worker is served by
// the duract command, which gives its URL in DURACT_URL:
//   duract dev examples/chat --port 0 --run 'node --test e2e/'
// (scripts/chat-check), and with the hit recorder by `duract checklist --e2e 'node --test e2e/'`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { DuractError, connect } from "../../../clients/ts/dist/index.js";

// Node 20 has no WebSocket client: `ws`, from e2e/'s packages (scripts/install-tools).
const WebSocket = globalThis.WebSocket ?? createRequire(new URL("../../../e2e/package.json", import.meta.url))("ws");

const BASE_URL = process.env.DURACT_URL;
if (!BASE_URL) throw new Error("DURACT_URL is not set: run this through `duract dev --run` or `duract checklist --e2e`");

const uid = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;
const clients = [];
after(() => Promise.all(clients.map((c) => c.close())));

/** A connected client on a session of its own, with the pushes it receives. */
async function member() {
  const client = await connect(BASE_URL, { session: uid("s"), WebSocket });
  clients.push(client);
  const pushes = [];
  client.onPush((frame) => pushes.push(frame));
  return { client, pushes, session: client.sessionId };
}

/** Resolves when `predicate()` holds (checked every 10 ms), rejects after `withinMs`. */
async function until(predicate, what, withinMs = 5000) {
  const deadline = Date.now() + withinMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof DuractError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

const chats = (pushes) => pushes.filter((f) => f.type === "chat_message").map((f) => `${f.payload.name}: ${f.payload.text}`);

test("chat: two members of a room receive each other's messages as pushes", async () => {
  const room = `room:${uid("r")}`;
  const [alice, bob, stranger] = await Promise.all([member(), member(), member()]);
  const [aliceName, bobName] = [uid("alice"), uid("bob")];
  await alice.client.ask(room, { type: "join", payload: { name: aliceName, session: alice.session } });
  const joined = await bob.client.ask(room, { type: "join", payload: { name: bobName, session: bob.session } });
  assert.deepEqual(joined.members.sort(), [aliceName, bobName].sort());

  assert.deepEqual(await alice.client.ask(room, { type: "post", payload: { name: aliceName, session: alice.session, text: "hi bob" } }), { seq: 1 });
  await until(() => chats(bob.pushes).length === 1, "bob gets alice's message");
  await bob.client.ask(room, { type: "post", payload: { name: bobName, session: bob.session, text: "hi alice" } });
  const both = [`${aliceName}: hi bob`, `${bobName}: hi alice`];
  await until(() => chats(alice.pushes).length === 2 && chats(bob.pushes).length === 2, "both messages to both");
  assert.deepEqual(chats(alice.pushes), both);
  assert.deepEqual(chats(bob.pushes), both);
  const push = bob.pushes.find((f) => f.type === "chat_message");
  assert.equal(push.payload.room, room.slice("room:".length));
  assert.equal(push.payload.seq, 1);
  assert.equal(push.replyTo, undefined, "a push answers no request");
  assert.equal(push.auth, undefined, "principals stay server-side");
  assert.deepEqual(chats(stranger.pushes), []);

  const history = await stranger.client.ask(room, { type: "get_history", payload: {} });
  assert.deepEqual(history.messages.map((m) => m.text), ["hi bob", "hi alice"]);
  // The rooms count each post at its author's user, after the post (a send).
  await until(async () => (await bob.client.ask(`user:${aliceName}`, { type: "get_user", payload: {} })).posts === 1, "alice's post counted");

  assert.deepEqual(await bob.client.ask(room, { type: "leave", payload: { name: bobName, session: bob.session } }), { members: 1 });
  await alice.client.ask(room, { type: "post", payload: { name: aliceName, session: alice.session, text: "bye" } });
  await until(() => chats(alice.pushes).length === 3, "alice gets her own message");
  assert.equal(chats(bob.pushes).length, 2, "bob left: no more pushes");
  const user = await alice.client.ask(`user:${bobName}`, { type: "get_user", payload: {} });
  assert.deepEqual(user.rooms, []);
});

test("chat: what a client sends is bounded, each refusal with its code", async () => {
  const room = `room:${uid("r")}`;
  const { client, session } = await member();
  const name = uid("n");
  const join = (payload) => client.ask(room, { type: "join", payload });
  await rejectsWith(join({ name: "", session }), "invalid_name");
  await rejectsWith(join({ name: "x".repeat(33), session }), "invalid_name");
  await rejectsWith(join({ name: "a\u0007", session }), "invalid_name");
  await rejectsWith(join({ name, session: "s".repeat(300) }), "invalid_payload");
  await rejectsWith(join({ name: 1, session }), "invalid_payload"); // does not decode
  await join({ name, session });
  assert.deepEqual((await join({ name, session })).members, [name], "joining again changes nothing");
  await rejectsWith(join({ name, session: uid("other") }), "name_taken");
  const post = (text, as = { name, session }) => client.ask(room, { type: "post", payload: { ...as, text } });
  await rejectsWith(post("x".repeat(1001)), "message_too_long");
  await rejectsWith(post(" \n "), "empty_message");
  await rejectsWith(post("hi", { name, session: uid("other") }), "not_a_member");
  await rejectsWith(client.ask(room, { type: "leave", payload: { name: uid("n"), session } }), "not_a_member");
  await rejectsWith(client.ask(room, { type: "post", payload: [] }), "invalid_payload");
  await rejectsWith(client.ask(room, { type: "leave", payload: 7 }), "invalid_payload");
  assert.deepEqual(await post("x".repeat(1000)), { seq: 1 });
  // What rooms tell users, and a room's own timer, are internal.
  await rejectsWith(client.ask(`user:${name}`, { type: "count_post", payload: {} }), "forbidden");
  await rejectsWith(client.ask(room, { type: "idle", payload: {} }), "forbidden");
});

test("chat: a user is in at most MAX_ROOMS_PER_USER rooms, a room has at most MAX_MEMBERS", async () => {
  const { client, session } = await member();
  const name = uid("n");
  const rooms = Array.from({ length: 20 }, () => `room:${uid("r")}`);
  await Promise.all(rooms.map((room) => client.ask(room, { type: "join", payload: { name, session } })));
  await rejectsWith(client.ask(`room:${uid("r")}`, { type: "join", payload: { name, session } }), "too_many_rooms");
  await client.ask(rooms[0], { type: "leave", payload: { name, session } });
  await until(async () => (await client.ask(`user:${name}`, { type: "get_user", payload: {} })).rooms.length === 19, "the leave counted");
  await client.ask(`room:${uid("r")}`, { type: "join", payload: { name, session } });

  const full = `room:${uid("full")}`;
  const names = Array.from({ length: 100 }, () => uid("m"));
  await Promise.all(names.map((n) => client.ask(full, { type: "join", payload: { name: n, session } })));
  await rejectsWith(client.ask(full, { type: "join", payload: { name: uid("m"), session } }), "room_full");
});

/** A raw WebSocket to a session: frames out, the frames that come back. */
async function rawSocket() {
  const socket = new WebSocket(`${BASE_URL.replace(/^http/, "ws")}/ws?session=${uid("raw")}`);
  const frames = [];
  socket.addEventListener("message", (event) => frames.push(JSON.parse(event.data.toString())));
  await until(() => frames.length === 1, "SessionEstablished");
  assert.equal(frames[0].type, "SessionEstablished");
  return { socket, frames };
}

const request = (id, to, type, payload) => JSON.stringify({ id, to, type, payload, from: "client:ui", timestamp: 0 });

test("chat: the gateway answers bad frames with their codes, and a burst over MAX_INFLIGHT with overloaded", async (t) => {
  const { socket, frames } = await rawSocket();
  t.after(() => socket.close());
  const cases = [
    [new Uint8Array([1, 2, 3]), "unsupported_frame"],
    ["x".repeat(1_048_577), "too_large"],
    ["not json", "invalid_format"],
    [request("a", "lobby", "join", {}), "invalid_address"],
    [request("b", "hall:x", "join", {}), "unknown_actor"],
    [request("c", "room:lobby", "shout", {}), "unknown_type"],
  ];
  for (const [frame, code] of cases) {
    const before = frames.length;
    socket.send(frame);
    await until(() => frames.length > before, `the answer to a frame expecting ${code}`);
    assert.equal(frames.at(-1).type, "Error");
    assert.equal(frames.at(-1).payload.code, code);
  }
  // 150 joins at once on one socket: the room handles them one by one (each asks the user's
  // actor and stores), so MAX_INFLIGHT (64) of them await their replies and the rest that come
  // meanwhile are refused at once.
  const room = `room:${uid("r")}`;
  const ids = Array.from({ length: 150 }, (_, i) => `burst-${i}`);
  for (const id of ids) socket.send(request(id, room, "join", { name: id, session: "raw" }));
  const answered = () => ids.filter((id) => frames.some((f) => f.replyTo === id)).length;
  await until(() => answered() === ids.length, "every request of the burst answered", 15000);
  const overloaded = frames.filter((f) => f.payload?.code === "overloaded");
  assert.ok(overloaded.length > 0, "some requests refused as overloaded");
  assert.ok(overloaded.every((f) => ids.includes(f.replyTo)), "each with its request's replyTo");
});
