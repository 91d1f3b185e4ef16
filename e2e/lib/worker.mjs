// Starts the built example worker (examples/system/build) in workerd through Miniflare, with
// the bindings, variables and compatibility date of examples/system/wrangler.toml, and its
// Durable Object storage in a folder on disk (so a restart on the same folder keeps state).
// With DURACT_CHECKLIST_BUILD=1 it starts the checklist build (examples/system/build-checklist,
// `DURACT_CHECKLIST=1 scripts/build-example`) instead of the production one; with DURACT_HITS_DIR
// set, `stop` first collects the branch hits the worker recorded (lib/hits.mjs).
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { collectHits, live } from "./hits.mjs";

export const EXAMPLE_DIR = fileURLToPath(new URL("../../examples/system/", import.meta.url));
/** True when DURACT_CHECKLIST_BUILD asks for the build with the hit recorder. */
export const CHECKLIST_BUILD = !["", "0", undefined].includes(process.env.DURACT_CHECKLIST_BUILD);
export const BUILD_DIR = path.join(EXAMPLE_DIR, CHECKLIST_BUILD ? "build-checklist" : "build");

/** The example's wrangler.toml, as wrangler reads it. */
export function exampleConfig() {
  return unstable_readConfig({ config: path.join(EXAMPLE_DIR, "wrangler.toml") }, { hideWarnings: true });
}

/**
 * Starts the worker. Options: `persist` (folder for Durable Object storage; required),
 * `vars` (overrides of [vars]), `port` (0 = any free port), `onLog` (called with each line
 * workerd writes). Resolves to `{ url, mf, stop }`.
 */
export async function startWorker({ persist, vars = {}, port = 0, onLog } = {}) {
  if (!persist) throw new Error("startWorker: `persist` folder required");
  for (const file of ["index.js", "index_bg.wasm"]) {
    if (!existsSync(path.join(BUILD_DIR, file))) {
      const build = CHECKLIST_BUILD ? "DURACT_CHECKLIST=1 scripts/build-example" : "scripts/build-example";
      throw new Error(`${path.join(BUILD_DIR, file)} is missing: run ${build} first`);
    }
  }
  const config = exampleConfig();
  const sqlite = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const durableObjects = {};
  for (const binding of config.durable_objects?.bindings ?? []) {
    durableObjects[binding.name] = { className: binding.class_name, useSQLite: sqlite.has(binding.class_name) };
  }
  const bindings = {};
  for (const [key, value] of Object.entries({ ...config.vars, ...vars })) {
    bindings[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    modulesRoot: BUILD_DIR,
    modules: [
      { type: "ESModule", path: path.join(BUILD_DIR, "index.js") },
      { type: "CompiledWasm", path: path.join(BUILD_DIR, "index_bg.wasm") },
    ],
    bindings,
    durableObjects,
    durableObjectsPersist: persist,
    handleRuntimeStdio: onLog
      ? (stdout, stderr) => {
          for (const stream of [stdout, stderr]) {
            let rest = "";
            stream.on("data", (chunk) => {
              const lines = (rest + chunk.toString()).split("\n");
              rest = lines.pop();
              for (const line of lines) onLog(line);
            });
          }
        }
      : undefined,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const worker = { url, mf };
  worker.stop = async () => {
    // Hits live in workerd's memory: collect them before it goes (a restart would lose them).
    try {
      if (live.delete(worker)) await collectHits(worker);
    } finally {
      await mf.dispose();
    }
  };
  live.add(worker);
  return worker;
}
