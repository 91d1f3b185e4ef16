#!/usr/bin/env node
// Removes the custom sections `name` and `producers` of a wasm module in place (debug names:
// about a quarter of the example's .wasm; workerd never needs them).
//   node scripts/strip-wasm.mjs examples/system/build/index_bg.wasm
import { readFileSync, writeFileSync } from "node:fs";

const DROP = new Set(["name", "producers"]);
const file = process.argv[2];
if (!file) {
  console.error("usage: strip-wasm.mjs FILE.wasm");
  process.exit(2);
}
const data = readFileSync(file);
if (data.readUInt32LE(0) !== 0x6d736100) {
  console.error(`${file} is not a wasm module`);
  process.exit(1);
}

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = data[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

const kept = [data.subarray(0, 8)];
let at = 8;
while (at < data.length) {
  const start = at;
  const id = data[at];
  const [size, body] = leb(at + 1);
  const end = body + size;
  let drop = false;
  if (id === 0) {
    const [len, nameAt] = leb(body);
    drop = DROP.has(data.subarray(nameAt, nameAt + len).toString("utf8"));
  }
  if (!drop) kept.push(data.subarray(start, end));
  at = end;
}
writeFileSync(file, Buffer.concat(kept));
