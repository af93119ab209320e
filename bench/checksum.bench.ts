// Internet checksum throughput: the Wasm core (SIMD) against a plain JavaScript loop, same run,
// same bytes. The Wasm side is timed through the raw export on bytes already in linear memory,
// which is how the data path calls it; each call still pays the JS→Wasm crossing.
import { core } from "../host/wasm/module.js";
import { copyIn } from "../host/wasm/scratch.js";
import { referenceChecksum } from "../host/wasm/reference/checksum.js";
import { report, secondsPerCall, type BenchRow } from "./measure.js";

const rows: BenchRow[] = [];
for (const size of [64, 576, 1500]) {
  const bytes = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 0xff);
  const wasm = core();
  const pointer = copyIn(bytes);
  if (wasm.internetChecksum(pointer, size, 0) !== referenceChecksum(bytes)) throw new Error(`checksum mismatch at ${size} B`);
  const iterations = Math.ceil(20_000_000 / size);
  const wasmSeconds = secondsPerCall(() => wasm.internetChecksum(pointer, size, 0), iterations);
  const javascriptSeconds = secondsPerCall(() => referenceChecksum(bytes), Math.ceil(iterations / 8));
  rows.push({
    metric: `checksum ${size} B`,
    unit: "GB/s",
    podnet: size / wasmSeconds / 1e9,
    baseline: size / javascriptSeconds / 1e9,
    baselineName: "plain JavaScript loop",
  });
}
report("checksum", rows);
