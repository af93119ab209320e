// A short fixed-seed fuzz run in every test run; `npm run fuzz` runs the full million.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fuzzWire } from "../fuzz/wire-fuzz";

test("100,000 random and mutated inputs through every parse, encap and decap: no trap, no stray write, defined statuses", () => {
  const report = fuzzWire(20261126, 100_000);
  assert.equal(report.failures, []);
  assert.is(report.executions, 100_000 * 13);
  // The inputs reach deep: some decapsulate, some fail each way a packet can fail.
  for (const status of ["Ok", "Truncated", "BadVersion", "BadHeaderLength", "BadChecksum", "Unsupported", "Malformed", "TtlExpired", "NoRoute"]) {
    assert.ok((report.statuses[status] ?? 0) > 0, `no input ended ${status}`);
  }
});

test.run();
