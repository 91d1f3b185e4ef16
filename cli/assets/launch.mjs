// duract dev's launcher: serves a built worker in workerd through Miniflare, its Durable Object
// storage in a folder on disk (a restart on the same folder keeps the state). The duract command
// writes this file and runs it with node, with one argument, a JSON object:
//   { nodeModules, buildDir, persist, host, port, compatibilityDate, compatibilityFlags,
//     bindings: { NAME: "value" }, durableObjects: { BINDING: { className, useSQLite } },
//     kvNamespaces: ["BINDING"], name, stopOnStdinEnd?, hitsOut?, hitsTest? }
// It prints one JSON line on stdout once workerd listens, {"url":"http://127.0.0.1:8787"}, logs
// workerd's output on stderr, and stops workerd on SIGINT or SIGTERM, or when its stdin ends
// with `stopOnStdinEnd` (`duract dev --run`). With `hitsOut` (a checklist build), it first
// collects the branch hits workerd recorded (GET /__duract/hits) into that file, attributed to
// the test `hitsTest`.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const config = JSON.parse(process.argv[2]);
const require = createRequire(path.join(path.dirname(config.nodeModules), "package.json"));
const miniflare = await import(pathToFileURL(require.resolve("miniflare")).href);
const Miniflare = miniflare.Miniflare ?? miniflare.default?.Miniflare;

function lines(stream, write) {
  let rest = "";
  stream.on("data", (chunk) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop();
    for (const line of parts) write(line);
  });
}

const mf = new Miniflare({
  name: config.name,
  host: config.host,
  port: config.port,
  compatibilityDate: config.compatibilityDate,
  compatibilityFlags: config.compatibilityFlags,
  modulesRoot: config.buildDir,
  modules: [
    { type: "ESModule", path: path.join(config.buildDir, "index.js") },
    { type: "CompiledWasm", path: path.join(config.buildDir, "index_bg.wasm") },
  ],
  bindings: config.bindings,
  durableObjects: config.durableObjects,
  durableObjectsPersist: config.persist,
  kvNamespaces: config.kvNamespaces ?? [],
  kvPersist: config.persist,
  handleRuntimeStdio: (stdout, stderr) => {
    lines(stdout, (line) => console.error(line));
    lines(stderr, (line) => console.error(line));
  },
});

let url;
try {
  url = (await mf.ready).toString().replace(/\/$/, "");
} catch (error) {
  console.error(`duract dev: workerd did not start: ${error?.message ?? error}`);
  process.exit(1);
}
console.log(JSON.stringify({ url }));
const ws = url.replace(/^http/, "ws");
console.error(
  `duract dev: serving ${config.name} on ${url} (WebSocket: ${ws}/ws?session=<name>), ` +
    `storage in ${config.persist}; Ctrl-C stops it`,
);

/** Writes the hits workerd recorded into `config.hitsOut` (format duract-hits/1, host workerd). */
async function collectHits() {
  const res = await fetch(`${url}/__duract/hits`);
  const body = await res.text();
  if (!res.ok) throw new Error(`GET /__duract/hits: ${res.status} ${body.slice(0, 200)} (not a checklist build?)`);
  const file = JSON.parse(body);
  for (const hits of Object.values(file.hits ?? {})) hits.tests = [config.hitsTest ?? "e2e"];
  file.source = `${path.basename(config.hitsOut)} (${config.hitsTest ?? "e2e"})`;
  mkdirSync(path.dirname(config.hitsOut), { recursive: true });
  const tmp = `${config.hitsOut}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + "\n");
  renameSync(tmp, config.hitsOut);
  console.error(`duract dev: workerd's hits -> ${config.hitsOut}`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  let status = 0;
  if (config.hitsOut) {
    try {
      await collectHits();
    } catch (error) {
      console.error(`duract dev: cannot collect the hits: ${error?.message ?? error}`);
      status = 1;
    }
  }
  await mf.dispose();
  process.exit(status);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (config.stopOnStdinEnd) {
  process.stdin.on("end", stop);
  process.stdin.resume();
}
