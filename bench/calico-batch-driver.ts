// Runs inside the calico bench's node namespace (`node --import tsx bench/calico-batch-driver.ts
// ROUTES batched|unbatched TOR_ADDRESS`): a Calico-mode agent in this process, on an embedded store
// that names the top-of-rack BIRD as a BGPPeer, so its event loop can be watched. Prints one JSON
// line: milliseconds from the first route the speaker learned (BIRD's first UPDATE read) to the
// last of ROUTES in the kernel, and to 99 % of them, and the longest gap of the event loop meanwhile.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent } from "../host/agent/agent";
import { keepYoungGenerationSmall } from "../host/agent/heap";
import { AgentMetrics } from "../host/agent/metrics";
import { CalicoControlPlane } from "../host/agent/calico/control-plane";
import { createBackend } from "../host/backend/registry";
import { systemKernel } from "../host/net/system-kernel";
import { parseResource } from "../host/resources/kinds";
import { ResourceStore } from "../host/resources/store";
import { SqliteKv } from "../host/store/sqlite-kv";

const [routesText, batching, torAddress] = process.argv.slice(2);
const ROUTES = Number(routesText);
// As `podnet agent` runs.
keepYoungGenerationSmall();
const directory = mkdtempSync(join(tmpdir(), "podnet-calico-batch-"));
const store = new SqliteKv(join(directory, "store.db"));
await new ResourceStore(store).apply([parseResource({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata: { name: "tor" }, spec: { peerIP: torAddress, asNumber: 64513 } })]);

const log = pino({ level: "warn" });
const metrics = new AgentMetrics();
const plane = new CalicoControlPlane({
  kv: store, prefix: "/podnet.io/calico", nodeName: "node", publicIp: "198.18.0.1", ipv4Address: () => "198.18.0.1/24",
  nodeTtlSeconds: 300, emptyBlockGraceSeconds: 600, gracefulRestartSeconds: 120, leakGraceSeconds: 900, log,
});
const agent = new Agent({
  plane, backendFor: (type) => createBackend(type, { log, metrics, kernel: systemKernel(), userspace: false }),
  publicIp: "198.18.0.1", interfaceName: "eth0", underlayMtu: 1500, reconcileIntervalSeconds: 3600, log, metrics,
  batchRouteChanges: batching === "batched",
});

await agent.start();
let first: number | undefined;
let lastLearned = 0;
plane.speaker!.onRoute(() => {
  lastLearned = performance.now();
  first ??= lastLearned;
});
// The loop's gaps, from a 1-ms ticker (a blocked loop records nothing until it runs again).
let longest = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  if (first !== undefined) longest = Math.max(longest, now - Math.max(last, first));
  last = now;
}, 1);
process.stdout.write("ready\n");
const deadline = Date.now() + 300_000;
let ninetyNine: number | undefined;
while (agent.programmed.size < ROUTES) {
  if (agent.programmed.size >= ROUTES * 0.99) ninetyNine ??= performance.now();
  if (Date.now() > deadline) throw new Error(`only ${agent.programmed.size} of ${ROUTES} routes after 300 s`);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
const done = performance.now();
clearInterval(ticker);
longest = Math.max(longest, done - Math.max(last, first!));
await agent.stop();
await store.close();
rmSync(directory, { recursive: true, force: true });
// learnedMilliseconds: until the speaker had read the last route (BIRD sends 99 % at once and the
// last UPDATE ~3 s later); ninetyNineMilliseconds: until 99 % were in the kernel (podnet's own pace).
ninetyNine ??= done;
console.log(JSON.stringify({ routes: ROUTES, batching, milliseconds: done - first!, learnedMilliseconds: lastLearned - first!, ninetyNineMilliseconds: ninetyNine - first!, longestStallMilliseconds: longest }));
