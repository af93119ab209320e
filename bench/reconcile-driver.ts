// Runs inside the bench's node namespace: an agent with the host-gw backend on an embedded store
// that already holds PEERS leases, started in this process so its event loop can be watched.
// Prints one JSON line: time from start to every peer route in the kernel, the event loop's delay
// (p99 and max) while that ran, and one later periodic reconcile that has nothing to change.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent } from "../host/agent/agent";
import { AgentMetrics } from "../host/agent/metrics";
import { FlannelControlPlane } from "../host/agent/flannel";
import { createBackend } from "../host/backend/registry";
import { systemKernel } from "../host/net/system-kernel";
import { SqliteKv } from "../host/store/sqlite-kv";

const PEERS = Number(process.argv[2] ?? 1000);
const directory = mkdtempSync(join(tmpdir(), "podnet-reconcile-bench-"));
const store = new SqliteKv(join(directory, "store.db"));
await store.create("/coreos.com/network/config", JSON.stringify({ Network: "10.0.0.0/8", SubnetLen: 24, SubnetMin: "10.1.0.0", SubnetMax: "10.8.255.0", Backend: { Type: "host-gw" } }), 0);
for (let index = 0; index < PEERS; index++) {
  const value = JSON.stringify({ PublicIP: `198.18.${1 + (index >> 8)}.${index & 255}`, PublicIPv6: null, BackendType: "host-gw", BackendData: null });
  await store.create(`/coreos.com/network/subnets/10.${2 + (index >> 8)}.${index & 255}.0-24`, value, 0);
}

const log = pino({ level: "warn" });
const metrics = new AgentMetrics();
const plane = new FlannelControlPlane({ store, prefix: "/coreos.com/network", publicIp: "198.18.0.1", subnetFile: join(directory, "subnet.env"), underlayMtu: 1500, ipMasquerade: false, log, metrics });
const agent = new Agent({
  plane, backendFor: (type) => createBackend(type, { log, metrics, kernel: systemKernel(), userspace: false }),
  publicIp: "198.18.0.1", interfaceName: "underlay", underlayMtu: 1500, reconcileIntervalSeconds: 3600, log, metrics,
});

/**
 * Runs `work` with a 1-ms interval ticking beside it; a gap between ticks beyond 1 ms is how long
 * the loop could not run anything else (a blocked loop records nothing in perf_hooks' histogram
 * until it runs again, so gaps are measured directly, the last one up to the end of `work`).
 */
async function watchLoop(work: () => Promise<unknown>): Promise<{ seconds: number; p99: number; max: number }> {
  const gaps: number[] = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  const started = performance.now();
  await work();
  const ended = performance.now();
  clearInterval(ticker);
  gaps.push(ended - last);
  gaps.sort((a, b) => a - b);
  return { seconds: (ended - started) / 1000, p99: gaps[Math.floor(gaps.length * 0.99)], max: gaps[gaps.length - 1] };
}

const start = await watchLoop(() => agent.start());
const idle = await watchLoop(() => agent.reconcile());

await agent.stop();
await store.close();
rmSync(directory, { recursive: true, force: true });
console.log(JSON.stringify({ peers: PEERS, start, idle }));
