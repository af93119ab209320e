// The agent's control plane at scale, on each store, with the single executable as operators run
// it: the time from writing 1,000 nodes' leases to the agent's peer table holding them all, the
// latency from one lease change to the agent acting on it (p50, p99 over 100 changes), and the
// agent's resident memory with 1,000 peers (all of it, and the private part without the
// executable's shared file pages). Baselines are the targets the issue set.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { KvStore } from "../host/store/kv";
import { SqliteKv } from "../host/store/sqlite-kv";
import { EtcdKv } from "../host/store/etcd-kv";
import { freePort, startEtcd } from "../test/helpers/etcd-server";
import { distPath } from "../test/helpers/paths";
import { report, type BenchRow, sized } from "./measure";

const NODES = sized(1000, 20);
const CHANGES = sized(100, 5);
const PREFIX = "/coreos.com/network/subnets/";
const leaseKey = (index: number) => `${PREFIX}10.${200 + (index >> 8)}.${index & 255}.0-24`;
const leaseValue = (index: number) => JSON.stringify({ PublicIP: `198.18.${index >> 8}.${index & 255}`, PublicIPv6: null, BackendType: "none", BackendData: null });
const rows: BenchRow[] = [];
const directory = mkdtempSync(join(tmpdir(), "podnet-agent-bench-"));
const etcd = await startEtcd();

try {
  for (const storeName of ["sqlite", "etcd"] as const) {
    const storePath = join(directory, `${storeName}.db`);
    const kv: KvStore = storeName === "sqlite" ? new SqliteKv(storePath) : new EtcdKv({ endpoints: [etcd.endpoint] });
    const metricsPort = await freePort();
    const agent = spawn(distPath("podnet"), ["agent", "--store", storeName, "--store-path", storePath, "--etcd-endpoints", etcd.endpoint,
      "--public-ip", "198.18.255.254", "--iface", "eth0", "--subnet-file", join(directory, `${storeName}.env`), "--metrics-address", `127.0.0.1:${metricsPort}`,
      "--network-config", '{"Network":"10.0.0.0/8","SubnetLen":24,"SubnetMin":"10.1.0.0","SubnetMax":"10.1.255.0"}', "--backend", "none", "--cni-socket", "none", "--log-format", "json"], { stdio: ["ignore", "ignore", "pipe"] });
    // Every "peer added"/"peer removed" line, with the time it arrived.
    const seen = new Map<string, number>();
    createInterface({ input: agent.stderr! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === "peer added" || entry.msg === "peer removed") seen.set(`${entry.msg} ${entry.subnet}`, performance.now());
      } catch {
        // not a log line
      }
    });
    const known = async () => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return Number(/^podnet_leases_known (\d+)/m.exec(text)?.[1] ?? 0);
      } catch {
        return -1;
      }
    };
    while ((await known()) < 0) await new Promise((resolve) => setTimeout(resolve, 20));

    // 1,000 leases written as fast as the store takes them; the clock runs from the first write.
    const started = performance.now();
    await Promise.all(Array.from({ length: NODES }, (_, index) => kv.create(leaseKey(index), leaseValue(index), 0)));
    while ((await known()) < NODES) await new Promise((resolve) => setTimeout(resolve, 5));
    const complete = (performance.now() - started) / 1000;

    // One change at a time: delete and re-create a lease, timing until the agent logs it.
    const latencies: number[] = [];
    for (let change = 0; change < CHANGES; change++) {
      const index = change % NODES;
      const subnet = leaseKey(index).slice(PREFIX.length).replace("-", "/");
      const wanted = `peer removed ${subnet}`;
      seen.delete(wanted);
      const before = performance.now();
      await kv.delete(leaseKey(index));
      while (!seen.has(wanted)) await new Promise((resolve) => setImmediate(resolve));
      latencies.push(seen.get(wanted)! - before);
      await kv.create(leaseKey(index), leaseValue(index), 0);
      while ((await known()) < NODES) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    latencies.sort((a, b) => a - b);
    const status = readFileSync(`/proc/${agent.pid}/status`, "utf8");
    const megabytes = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
    agent.kill("SIGTERM");
    await new Promise((resolve) => agent.once("exit", resolve));
    await kv.close();
    rows.push(
      { metric: `${storeName}: ${NODES} leases written → peer table complete`, unit: "s", podnet: complete, baseline: 1, baselineName: "target", lowerIsBetter: true },
      { metric: `${storeName}: watch latency p50`, unit: "ms", podnet: latencies[Math.floor(CHANGES / 2)], baseline: 10, baselineName: "target", lowerIsBetter: true },
      // The issue set a p50 target only; the p99 is shown, not compared with it.
      { metric: `${storeName}: watch latency p99`, unit: "ms", podnet: latencies[Math.floor(CHANGES * 0.99)], baseline: 0, baselineName: "no p99 target", lowerIsBetter: true },
      { metric: `${storeName}: agent resident memory, ${NODES} peers`, unit: "MB", podnet: megabytes("VmRSS"), baseline: 80, baselineName: "target", lowerIsBetter: true },
      // Most of the resident set is the executable's own pages, shared and reclaimable; this is the agent's private part.
      { metric: `${storeName}: agent private (anonymous) memory, ${NODES} peers`, unit: "MB", podnet: megabytes("RssAnon"), baseline: 0, baselineName: "no target for private memory (the 80 MB target is for all of it, above)", lowerIsBetter: true },
    );
  }
} finally {
  await etcd.stop();
  rmSync(directory, { recursive: true, force: true });
}
report("agent", rows);
