// Starts the built example worker (examples/system/build) in workerd through Miniflare, with
// the bindings, variables and compatibility date of examples/system/wrangler.toml, and its
// Durable Object storage in a folder on disk (so a restart on the same folder keeps state).
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const EXAMPLE_DIR = fileURLToPath(new URL("../../examples/system/", import.meta.url));
export const BUILD_DIR = path.join(EXAMPLE_DIR, "build");

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
      throw new Error(`${path.join(BUILD_DIR, file)} is missing: run scripts/build-example first`);
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
  return { url, mf, stop: () => mf.dispose() };
}
