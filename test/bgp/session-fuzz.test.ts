// Live sessions under a hostile peer: 100,000 mutated UPDATEs with a fixed seed in every test run
// (`npm run fuzz` sends a million with a fresh one). The two good sessions never leave Established,
// every UPDATE they get is well-formed, the hostile one is only ever reset with a NOTIFICATION the
// RFCs name, and the speaker's memory and fds stay bounded. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanupNamespaces } from "../netns/namespaces";
import { fuzzBgpSessions } from "../fuzz/bgp-session-fuzz";

test.after(cleanupNamespaces);

test("100,000 mutated UPDATEs from one peer cost the other two peers nothing", async () => {
  const report = await fuzzBgpSessions(20261208, 100_000);
  assert.equal(report.failures, []);
  assert.is(report.sent, 100_000);
  assert.ok(report.goodSessionsUp, "both good sessions Established to the end");
  assert.not.ok(report.speaker.exitedEarly);
  // Every mutation kind ran, and the resets were of several named kinds.
  assert.is(Object.keys(report.kinds).length, 14, JSON.stringify(report.kinds));
  // Resets only with named NOTIFICATIONs (the driver checks each); with this seed these four kinds.
  assert.equal(Object.keys(report.notifications).sort(), ["1/2", "3/10", "3/2", "3/9"], JSON.stringify(report.notifications));
  assert.ok(report.received.every((count) => count > 1000), `good peers received ${report.received}`);
  assert.ok(report.speaker.rssMaxMiB < report.speaker.rssStartMiB + 150, `RSS ${report.speaker.rssStartMiB} → max ${report.speaker.rssMaxMiB} MiB`);
  assert.ok(report.speaker.fdsMax <= report.speaker.fdsStart + 8, `fds ${report.speaker.fdsStart} → max ${report.speaker.fdsMax}`);
  console.log(`session fuzz: ${JSON.stringify({ ...report, kinds: undefined })}`);
});

test.run();
