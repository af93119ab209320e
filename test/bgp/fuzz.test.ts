// The BGP codec under 100,000 mutated messages with a fixed seed in every test run; `npm run fuzz`
// runs a million with a fresh seed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fuzzBgp } from "../fuzz/bgp-fuzz";

test("100,000 mutated BGP messages of every type decode or name their NOTIFICATION; nothing else is thrown, nothing hangs, seeds round-trip", () => {
  const report = fuzzBgp(20261203, 100_000);
  assert.equal(report.failures, []);
  assert.equal(report.inputs, 100_000);
  // The mutations reach deep: messages that still decode, and many distinct NOTIFICATIONs.
  assert.ok(report.decoded > 10_000, `decoded ${report.decoded}`);
  for (const key of ["1/1", "1/2", "1/3", "2/0", "3/1", "3/9", "3/10"]) assert.ok((report.notifications[key] ?? 0) > 0, `no ${key} in ${JSON.stringify(report.notifications)}`);
});

test.run();
