// npm run fuzz [-- INPUTS [SEED]]: the full fuzz run (default 1,000,000 inputs) over every parse
// and the batch data path; prints a JSON report and exits 1 on any failure.
import { fuzzWire } from "../test/fuzz/wire-fuzz.js";

const inputs = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(inputs) || inputs <= 0 || !Number.isInteger(seed)) {
  console.error("usage: npm run fuzz -- [INPUTS] [SEED]");
  process.exit(2);
}
const started = Date.now();
const report = fuzzWire(seed, inputs);
console.log(JSON.stringify({ seed, ...report, seconds: (Date.now() - started) / 1000 }, null, 2));
process.exitCode = report.failures.length > 0 ? 1 : 0;
