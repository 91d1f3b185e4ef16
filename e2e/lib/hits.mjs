// Branch hits of the checklist build, collected per test. Only active when DURACT_HITS_DIR is
// set (scripts/checklist sets it, with DURACT_CHECKLIST_BUILD=1 so lib/worker.mjs starts
// examples/system/build-checklist): after each test, and before each worker stops (a restart
// would lose workerd's memory), GET /__duract/hits hands over the hits recorded since the last
// collection, which are written as a hit file (format duract-hits/1, host workerd) with every
// branch attributed to `e2e: <test name>`:
//   $DURACT_HITS_DIR/<test file>-<n>.json   (e.g. example.test-7.json)
// All Durable Objects of the worker run in the entry's isolate, so one request collects every
// instance's hits. Work a test leaves running (a send, an alarm) after it ends is counted to
// the test collected next.
import { afterEach, beforeEach } from "node:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HITS_PATH = "/__duract/hits";
const HITS_FORMAT = "duract-hits/1";

/** Workers started and not stopped yet (lib/worker.mjs adds and removes them). */
export const live = new Set();

let fileTag = path.basename(process.argv[1] ?? "e2e", ".mjs");
let current = null;
let written = 0;

/** The folder hit files go to, or null when hits are not collected. */
export function hitsDir() {
  const dir = process.env.DURACT_HITS_DIR;
  return dir ? path.resolve(dir) : null;
}

/**
 * Registers, for the calling test file, hooks that name the running test and collect the hits
 * of every live worker after each test. `fileUrl`: the test file's `import.meta.url` (names the
 * hit files). Does nothing without DURACT_HITS_DIR.
 */
export function collectHitsPerTest(fileUrl) {
  if (!hitsDir()) return;
  fileTag = path.basename(fileURLToPath(fileUrl), ".mjs");
  beforeEach((t) => {
    current = t.name;
  });
  afterEach(async () => {
    try {
      for (const worker of live) await collectHits(worker);
    } finally {
      current = null;
    }
  });
}

/**
 * Fetches the hits `worker` ({ url }) recorded since the last collection and writes them as a
 * hit file attributed to the running test. Resolves to the file's path, or null when hits are
 * not collected or there were none. Throws when the worker has no hits endpoint (a production
 * build) or answers something that is not a hit file.
 */
export async function collectHits(worker) {
  const dir = hitsDir();
  if (!dir) return null;
  const res = await fetch(`${worker.url}${HITS_PATH}`);
  const body = await res.text();
  if (res.status === 404) {
    throw new Error(
      `${worker.url}${HITS_PATH} is 404: DURACT_HITS_DIR needs the checklist build ` +
        "(DURACT_CHECKLIST=1 scripts/build-example, then DURACT_CHECKLIST_BUILD=1)",
    );
  }
  if (!res.ok) throw new Error(`${worker.url}${HITS_PATH}: ${res.status} ${body}`);
  let file;
  try {
    file = JSON.parse(body);
  } catch (e) {
    throw new Error(`${worker.url}${HITS_PATH} is not JSON: ${e.message}: ${body.slice(0, 200)}`);
  }
  if (file.format !== HITS_FORMAT) {
    throw new Error(`${worker.url}${HITS_PATH}: format ${JSON.stringify(file.format)}, expected ${HITS_FORMAT}`);
  }
  if (Object.keys(file.hits ?? {}).length === 0) return null;
  const test = `e2e: ${current ?? `${fileTag} (outside a test)`}`;
  for (const hits of Object.values(file.hits)) hits.tests = [test];
  written += 1;
  const name = `${fileTag}-${written}`;
  file.source = `${name} (${test})`;
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `${name}.json`);
  const tmp = path.join(dir, `.${name}.json.tmp`);
  writeFileSync(tmp, JSON.stringify(file, null, 2) + "\n");
  renameSync(tmp, target);
  return target;
}
