// The frame limit with the example's own configuration (wrangler.toml: MAX_FRAME_BYTES =
// 1048576): a frame of exactly 1 MiB is served, one byte more is too_large, and so is a much
// larger one; the socket keeps answering.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker } from "../lib/worker.mjs";
import { openSession, uid } from "../lib/client.mjs";
import { collectHitsPerTest } from "../lib/hits.mjs";

collectHitsPerTest(import.meta.url);

const persist = mkdtempSync(path.join(tmpdir(), "duract-limits-"));
let worker;
before(async () => {
  worker = await startWorker({ persist });
});
after(async () => {
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
});

/** A frame of exactly `bytes` UTF-8 bytes (an ignored payload field pads it). */
function frameOf(bytes, to, id) {
  const envelope = (pad) => ({ to, from: "client:ui", type: "assign_task", payload: { taskId: id, pad }, id, timestamp: Date.now() });
  const base = JSON.stringify(envelope(""));
  const frame = JSON.stringify(envelope("y".repeat(bytes - base.length)));
  assert.equal(Buffer.byteLength(frame), bytes);
  return frame;
}

test("limits: 1 MiB is served, 1 MiB + 1 byte and 16 MiB are too_large, and the socket stays open", async () => {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  const c = `coordinator:${uid("c")}`;
  const id = uid("req");
  const served = new Promise((resolve) => {
    s.ws.on("message", (d) => {
      const f = JSON.parse(d.toString());
      if (f.replyTo === id) resolve(f);
    });
  });
  s.ws.send(frameOf(1048576, c, id));
  assert.equal((await served).type, "assign_taskResponse");
  for (const bytes of [1048577, 16 * 1048576]) {
    const reply = await s.raw(frameOf(bytes, c, uid("req")));
    assert.equal(reply.type, "Error");
    assert.equal(reply.payload.code, "too_large");
    assert.equal(reply.replyTo, undefined);
  }
  const status = await s.request(c, "get_status", null);
  assert.equal(status.payload.queuedTasks, 1);
  await s.close();
});

test("lone surrogates: an id or a field name holding one is read as JSON.parse reads it, and the id comes back in replyTo", async () => {
  const s = await openSession(worker.url, `session=${uid("s")}`);
  const c = `coordinator:${uid("c")}`;
  const id = `\ud800${uid("r")}`; // a lone high surrogate: JSON.stringify writes "\ud800"
  const frame = JSON.stringify({ to: c, from: "client:ui", type: "get_status", payload: null, id, timestamp: Date.now(), ["x\udc01"]: 1 });
  assert.match(frame, /\\ud800/);
  const reply = await new Promise((resolve) => {
    s.ws.on("message", (d) => {
      const f = JSON.parse(d.toString());
      if (f.type !== "SessionEstablished") resolve(f);
    });
    s.ws.send(frame);
  });
  assert.equal(reply.type, "get_statusResponse");
  assert.equal(reply.replyTo, id, "the id, lone surrogate included");
  await s.close();
});
