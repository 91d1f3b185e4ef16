// The Durable Object that bench/storage-cost.mjs drives: each RPC call is one event; `put` writes
// five keys (about a turn's worth), `noop` writes nothing. The entry point times `n` calls per
// object on `k` objects at once, from inside workerd (Date.now advances across awaited I/O).
import { DurableObject } from "cloudflare:workers";

export class Probe extends DurableObject {
  n = 0;
  noop() {
    return 0;
  }
  put() {
    const n = this.n++;
    const entries = {};
    for (let i = 0; i < 5; i++) {
      entries[`e/t/${String(n * 5 + i).padStart(20, "0")}`] = JSON.stringify([`task-${n}-${i}`, { priority: 1, payload: { n } }]);
    }
    this.ctx.storage.put(entries); // not awaited: the output gate holds the reply until it is stored
    return n;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const op = url.searchParams.get("op");
    const n = Number(url.searchParams.get("n"));
    const k = Number(url.searchParams.get("k"));
    const tag = url.searchParams.get("tag");
    const stubs = [...Array(k)].map((_, i) => env.PROBE.get(env.PROBE.idFromName(`${tag}-${i}`)));
    await Promise.all(stubs.map((s) => s[op]())); // activations, untimed
    const start = Date.now();
    await Promise.all(stubs.map(async (s) => { for (let i = 0; i < n; i++) await s[op](); }));
    return Response.json({ usPerCall: ((Date.now() - start) * 1000) / (n * k) });
  },
};
