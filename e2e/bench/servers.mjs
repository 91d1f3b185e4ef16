// Starts the two implementations of protocol.md in workerd through Miniflare, each in its own
// Miniflare instance, with Durable Object storage on disk (a folder the caller gives; a restart on
// the same folder keeps the state):
//   - "example": duract's example system, production build (examples/system/build, written by
//     scripts/build-example), with the bindings and compatibility date of
//     examples/system/wrangler.toml, as e2e/lib/worker.mjs starts it;
//   - "peer": the plain-JavaScript peer (../shared/peer), its five ES modules listed one by one,
//     with the bindings and compatibility date of its own wrangler.toml.
// Both get the same variables (the caller's), so limits and WORK_MS match. The example's build is
// copied once at the start (`snapshotExampleBuild`), so that a rebuild during the bench (others
// may be working in the repository) cannot change what is measured halfway.
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLE_DIR = path.join(REPO_DIR, "examples/system");
export const EXAMPLE_BUILD = path.join(EXAMPLE_DIR, "build");
export const DEFAULT_PEER_DIR = path.resolve(REPO_DIR, "../shared/peer");
const PEER_MODULES = ["index", "protocol", "session", "coordinator", "worker"];

export const IMPLS = ["example", "peer"];

function readConfig(dir) {
  return unstable_readConfig({ config: path.join(dir, "wrangler.toml") }, { hideWarnings: true });
}

/** Checks that both implementations are there; throws an Error that says what to do otherwise. */
export function checkSources(peerDir) {
  for (const file of ["index.js", "index_bg.wasm"]) {
    const p = path.join(EXAMPLE_BUILD, file);
    if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/build-example (from the repository root) first`);
  }
  for (const m of PEER_MODULES) {
    const p = path.join(peerDir, "src", `${m}.js`);
    if (!existsSync(p)) throw new Error(`${p} is missing: the peer is expected in ${peerDir} (--peer DIR)`);
  }
  for (const dir of [EXAMPLE_DIR, peerDir]) {
    if (!existsSync(path.join(dir, "wrangler.toml"))) throw new Error(`${dir}/wrangler.toml is missing`);
  }
}

/**
 * The variables both implementations get: the peer's [vars], then the example's (which hold every
 * limit of protocol.md revision 3 at its default), then `overrides`.
 */
export function commonVars(peerDir, overrides = {}) {
  const vars = { ...readConfig(peerDir).vars, ...readConfig(EXAMPLE_DIR).vars, ...overrides };
  const out = {};
  for (const [k, v] of Object.entries(vars)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/**
 * Copies a build of the example (index.js, index_bg.wasm: index.js imports nothing else; from
 * `from`, default examples/system/build) into `dir`; returns `{ dir, sha256, bytes }` of the wasm
 * copied.
 */
export function snapshotExampleBuild(dir, from = EXAMPLE_BUILD) {
  mkdirSync(dir, { recursive: true });
  for (const file of ["index.js", "index_bg.wasm"]) {
    const source = path.join(from, file);
    if (!existsSync(source)) throw new Error(`${source} is missing: not a build of the example`);
    copyFileSync(source, path.join(dir, file));
  }
  const wasm = readFileSync(path.join(dir, "index_bg.wasm"));
  return { dir, sha256: createHash("sha256").update(wasm).digest("hex"), bytes: wasm.length };
}

function miniflareOptions(impl, peerDir, exampleBuild) {
  if (impl === "example") {
    return {
      config: readConfig(EXAMPLE_DIR),
      modulesRoot: exampleBuild,
      modules: [
        { type: "ESModule", path: path.join(exampleBuild, "index.js") },
        { type: "CompiledWasm", path: path.join(exampleBuild, "index_bg.wasm") },
      ],
    };
  }
  if (impl === "peer") {
    return {
      config: readConfig(peerDir),
      modulesRoot: peerDir,
      modules: PEER_MODULES.map((m) => ({ type: "ESModule", path: path.join(peerDir, "src", `${m}.js`) })),
    };
  }
  throw new Error(`unknown implementation ${impl}`);
}

/**
 * Starts `impl` ("example" | "peer") with storage in the folder `persist`, the example from
 * `exampleBuild` (default: examples/system/build itself). Resolves to
 * `{ impl, url, readyMs, stop }` (readyMs: from the call until Miniflare reported ready).
 * `onLog` gets each line workerd prints (default: dropped). `inspectorPort`: workerd's DevTools
 * inspector listens there (bench/profile.mjs).
 */
export async function startImpl(impl, { peerDir, persist, vars, onLog, exampleBuild = EXAMPLE_BUILD, inspectorPort }) {
  const t0 = performance.now();
  const { config, modulesRoot, modules } = miniflareOptions(impl, peerDir, exampleBuild);
  const sqlite = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const durableObjects = {};
  for (const b of config.durable_objects?.bindings ?? []) {
    durableObjects[b.name] = { className: b.class_name, useSQLite: sqlite.has(b.class_name) };
  }
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    modulesRoot,
    modules,
    bindings: vars,
    durableObjects,
    durableObjectsPersist: persist,
    ...(inspectorPort ? { inspectorPort } : {}),
    handleRuntimeStdio: (stdout, stderr) => {
      for (const stream of [stdout, stderr]) {
        let rest = "";
        stream.on("data", (chunk) => {
          const lines = (rest + chunk.toString()).split("\n");
          rest = lines.pop();
          if (onLog) for (const line of lines) onLog(line);
        });
      }
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { impl, url, readyMs: performance.now() - t0, stop: () => mf.dispose() };
}
