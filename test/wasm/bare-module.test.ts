// dist/podnet.wasm must be usable by any Wasm runtime: nothing but the standard API here,
// no host/ code, so a dependency of the module on our host would show up as a failure.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { distPath } from "../helpers/paths.js";

const bytes = readFileSync(distPath("podnet.wasm"));

test("the module imports nothing but env.abort", () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  const names = imports.map((entry) => `${entry.module}.${entry.name}`);
  assert.ok(names.every((name) => name === "env.abort"), `unexpected imports: ${names.join(", ")}`);
});

test("the module exports memory, allocate and the checksum functions", () => {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((entry) => entry.name);
  for (const name of ["memory", "allocate", "internetChecksum", "ABI_VERSION"]) {
    assert.ok(exports.includes(name), `missing export ${name}`);
  }
});

test("internetChecksum over the RFC 1071 example through the bare WebAssembly API", async () => {
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort: () => { throw new Error("abort"); } } });
  const exports = instance.exports as {
    memory: WebAssembly.Memory;
    allocate(size: number): number;
    internetChecksum(ptr: number, len: number, initial: number): number;
  };
  const example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
  const pointer = exports.allocate(example.length);
  assert.ok(pointer > 0);
  new Uint8Array(exports.memory.buffer).set(example, pointer);
  // RFC 1071 §3: the sum is 0xddf2, so the checksum is its complement.
  assert.is(exports.internetChecksum(pointer, example.length, 0), 0x220d);
});

test.run();
