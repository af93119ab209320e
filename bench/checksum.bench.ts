// Internet checksum throughput: the Wasm core (SIMD) against a plain JavaScript loop, the fastest
// JavaScript we could write, and raw-socket's native createChecksum (the npm package a Node user
// reaches for) — same run, same bytes. The Wasm side is timed through the raw export on bytes
// already in linear memory, as the data path calls it; each call still pays the JS→Wasm crossing.
import { createRequire } from "node:module";
import { core } from "../host/wasm/module";
import { copyIn } from "../host/wasm/scratch";
import { referenceChecksum } from "../test/helpers/reference/checksum";
import { fastJavascriptChecksum } from "./javascript-checksum";
import { report, secondsPerCall, type BenchRow } from "./measure";

const rawSocket = createRequire(import.meta.url)("raw-socket") as { createChecksum(buffer: Buffer): number };

const rows: BenchRow[] = [];
for (const size of [64, 576, 1500]) {
  const bytes = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 0xff);
  const buffer = Buffer.from(bytes);
  const wasm = core();
  const pointer = copyIn(bytes);
  const expected = referenceChecksum(bytes);
  for (const [name, value] of [["wasm", wasm.internetChecksum(pointer, size, 0)], ["fast js", fastJavascriptChecksum(bytes)], ["raw-socket", rawSocket.createChecksum(buffer)]] as const) {
    if (value !== expected) throw new Error(`${name} checksum ${value} differs from the reference ${expected} at ${size} B`);
  }
  const iterations = Math.ceil(20_000_000 / size);
  const gigabytesPerSecond = (seconds: number) => size / seconds / 1e9;
  const wasmRate = gigabytesPerSecond(secondsPerCall(() => wasm.internetChecksum(pointer, size, 0), iterations));
  const baselines: Array<[string, () => unknown]> = [
    ["plain JavaScript loop", () => referenceChecksum(bytes)],
    ["fastest JavaScript", () => fastJavascriptChecksum(bytes)],
    ["raw-socket createChecksum", () => rawSocket.createChecksum(buffer)],
  ];
  for (const [baselineName, work] of baselines) {
    rows.push({ metric: `checksum ${size} B`, unit: "GB/s", podnet: wasmRate, baseline: gigabytesPerSecond(secondsPerCall(work, Math.ceil(iterations / 4))), baselineName });
  }
}
report("checksum", rows);
