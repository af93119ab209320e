// Calico mode's mesh convergence, in namespaces made here: N agents (N = 5, 10, 20) on one
// embedded store, each with a block of its own (claimed before its agent starts, as after a first
// pod): seconds from starting the agents until every node's kernel holds every other node's block
// route and its own blackhole, then again after one more node joins; and each agent's resident
// memory. Baseline, same lab and run: Flannel mode (leases, the store's watch, host-gw routes)
// converging the same N.
// Then a BIRD top-of-rack router announces 10,000 /26s to one Calico-mode agent (calico-batch-driver.ts,
// the agent in process): milliseconds from the first route learned to the last in the kernel, and
// the agent's longest event-loop stall, with route changes batched and, as before, one by one.
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupNamespaces, spawnIn } from "../test/netns/namespaces";
import { createLab, startBird, type Lab } from "../test/bgp/lab";
import { distPath } from "../test/helpers/paths";
import { SqliteKv } from "../host/store/sqlite-kv";
import { ResourceStore } from "../host/resources/store";
import { parseResource } from "../host/resources/kinds";
import { BlockIpam } from "../host/ipam/ipam";
import { report, type BenchRow, sized } from "./measure";

const SIZES = process.env.PODNET_BENCH_CALICO_SIZES ? process.env.PODNET_BENCH_CALICO_SIZES.split(",").map(Number) : sized([5, 10, 20], [2]);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

const podnetRouteCount = (namespace: string) => execFileSync("ip", ["-n", namespace, "route", "show", "proto", "107"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

async function until(condition: () => boolean, what: string): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
  return Date.now();
}

function agentIn(lab: Lab, index: number, args: string[]): ChildProcess {
  const node = lab.nodes[index];
  return spawnIn(node.namespace, distPath("podnet"), [
    "agent", "--public-ip", node.address, "--iface", "eth0", "--cni-socket", "none", "--metrics-address", "127.0.0.1:9808", "--reconcile-interval", "30", "--log-format", "json", ...args,
  ]);
}

async function stopAll(agents: ChildProcess[]): Promise<void> {
  await Promise.all(
    agents.map(
      (agent) =>
        new Promise<void>((resolve) => {
          if (agent.exitCode !== null) return resolve();
          agent.once("exit", () => resolve());
          agent.kill("SIGTERM");
        }),
    ),
  );
}

/** Every node in `namespaces` has `count` podnet routes. */
const converged = (namespaces: string[], count: number) => () => namespaces.every((namespace) => podnetRouteCount(namespace) === count);

async function calico(lab: Lab, count: number): Promise<{ start: number; join: number; memory: number }> {
  const storePath = join(lab.directory, `calico-${count}.db`);
  const kv = new SqliteKv(storePath);
  const resources = new ResourceStore(kv);
  await resources.apply([parseResource({ apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pods" }, spec: { cidr: "10.244.0.0/16" } })]);
  const ipam = new BlockIpam(kv, resources);
  for (let i = 0; i <= count; i++) await ipam.assign(`node${i + 1}`, `bench-node${i + 1}`);
  await kv.close();
  const args = (i: number) => ["--mode", "calico", "--node-name", `node${i + 1}`, "--store-path", storePath, "--bgp-control", join(lab.directory, `bgp-${count}-${i}.ctl`), "--rt-protos-dir", join(lab.directory, "rt_protos.d")];
  const namespaces = lab.nodes.slice(0, count).map((node) => node.namespace);
  const started = Date.now();
  const agents = namespaces.map((_, i) => agentIn(lab, i, args(i)));
  try {
    // Each node: its blackhole and a route per other block.
    const start = ((await until(converged(namespaces, count), `${count} Calico nodes converge`)) - started) / 1000;
    const memory = agents.reduce((sum, agent) => sum + residentBytes(agent.pid!), 0) / agents.length;
    const joinedAt = Date.now();
    agents.push(agentIn(lab, count, args(count)));
    const all = lab.nodes.slice(0, count + 1).map((node) => node.namespace);
    const join = ((await until(converged(all, count + 1), `node ${count + 1} joins`)) - joinedAt) / 1000;
    return { start, join, memory };
  } finally {
    await stopAll(agents);
    for (const namespace of lab.nodes.map((node) => node.namespace)) execFileSync("ip", ["-n", namespace, "route", "flush", "proto", "107"]);
  }
}

async function flannel(lab: Lab, count: number): Promise<{ start: number; join: number; memory: number }> {
  const storePath = join(lab.directory, `flannel-${count}.db`);
  const args = (i: number) => ["--store-path", storePath, "--backend", "host-gw", "--subnet-file", join(lab.directory, `subnet-${count}-${i}.env`), "--network-config", '{"Network":"10.244.0.0/16","SubnetLen":24,"Backend":{"Type":"host-gw"}}'];
  const namespaces = lab.nodes.slice(0, count).map((node) => node.namespace);
  const started = Date.now();
  const agents = namespaces.map((_, i) => agentIn(lab, i, args(i)));
  try {
    // Each node: a route per other node's subnet.
    const start = ((await until(converged(namespaces, count - 1), `${count} Flannel nodes converge`)) - started) / 1000;
    const memory = agents.reduce((sum, agent) => sum + residentBytes(agent.pid!), 0) / agents.length;
    const joinedAt = Date.now();
    agents.push(agentIn(lab, count, args(count)));
    const all = lab.nodes.slice(0, count + 1).map((node) => node.namespace);
    const join = ((await until(converged(all, count), `node ${count + 1} joins`)) - joinedAt) / 1000;
    return { start, join, memory };
  } finally {
    await stopAll(agents);
    for (const namespace of lab.nodes.map((node) => node.namespace)) execFileSync("ip", ["-n", namespace, "route", "flush", "proto", "107"]);
  }
}

const TOR_ROUTES = sized(10_000, 200);

/**
 * The ToR's announcements: /26s from 10.96.0.0 on, outside any pool (an external router's networks).
 * BIRD is passive, so the agent's dial makes the one session (no connection collision to resolve).
 */
function torConfig(routes: number): string {
  const statics = Array.from({ length: routes }, (_, i) => `  route 10.${96 + (i >> 10)}.${(i >> 2) & 255}.${(i & 3) * 64}/26 blackhole;`).join("\n");
  return `router id 198.18.0.2;
protocol device { scan time 10; }
protocol static {
  ipv4;
${statics}
}
protocol bgp podnet {
  local as 64513;
  neighbor 198.18.0.1 as 64512;
  passive on;
  ipv4 { import none; export all; };
}
`;
}

/** One agent learning TOR_ROUTES from BIRD, batched or not: what calico-batch-driver.ts measured. */
async function fromTor(batching: "batched" | "unbatched"): Promise<{ milliseconds: number; learnedMilliseconds: number; ninetyNineMilliseconds: number; longestStallMilliseconds: number }> {
  const tor = createLab(`bench-tor-${batching}`, 2);
  const [node, router] = tor.nodes;
  const driver = spawnIn(node.namespace, process.execPath, ["--import", "tsx", "bench/calico-batch-driver.ts", String(TOR_ROUTES), batching, router.address]);
  let output = "";
  let errors = "";
  driver.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  driver.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  try {
    await until(() => output.includes("ready"), "the agent up");
    const bird = startBird(tor, router, torConfig(TOR_ROUTES));
    try {
      const exit = new Promise<number | null>((resolve) => driver.once("exit", (code) => resolve(code)));
      if ((await exit) !== 0) throw new Error(`calico-batch-driver failed: ${errors.slice(-2000)}`);
      return JSON.parse(output.trim().split("\n").pop()!);
    } finally {
      await bird.stop();
    }
  } finally {
    if (driver.exitCode === null) driver.kill("SIGKILL");
    tor.remove();
  }
}

const lab = createLab("bench-calico", Math.max(...SIZES) + 1);
try {
  const rows: BenchRow[] = [];
  for (const count of SIZES) {
    const ours = await calico(lab, count);
    const theirs = await flannel(lab, count);
    rows.push(
      { metric: `Calico mode: ${count} agents start → every node has every block route`, unit: "s", podnet: ours.start, baseline: theirs.start, baselineName: "podnet Flannel mode (host-gw), same N", lowerIsBetter: true },
      { metric: `Calico mode: node ${count + 1} joins ${count} → every node routes every block`, unit: "s", podnet: ours.join, baseline: theirs.join, baselineName: "podnet Flannel mode (host-gw), same N", lowerIsBetter: true },
      { metric: `Calico mode: resident memory per agent, ${count} nodes`, unit: "bytes", podnet: ours.memory, baseline: theirs.memory, baselineName: "podnet Flannel mode (host-gw), same N", lowerIsBetter: true },
    );
  }
  // Unbatched first: both start from a kernel without the ToR's routes (each run has its own namespaces).
  const unbatched = await fromTor("unbatched");
  const batched = await fromTor("batched");
  rows.push(
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: first UPDATE → last route in the kernel, changes batched`, unit: "ms", podnet: batched.milliseconds, baseline: unbatched.milliseconds, baselineName: "one backend call per change (before)", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: first UPDATE → 99 % of the routes in the kernel, changes batched`, unit: "ms", podnet: batched.ninetyNineMilliseconds, baseline: unbatched.ninetyNineMilliseconds, baselineName: "one backend call per change (before)", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: BIRD's last UPDATE → the last route in the kernel, changes batched`, unit: "ms", podnet: batched.milliseconds - batched.learnedMilliseconds, baseline: unbatched.milliseconds - unbatched.learnedMilliseconds, baselineName: "one backend call per change (before)", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: the agent's longest event-loop stall, changes batched`, unit: "ms", podnet: batched.longestStallMilliseconds, baseline: unbatched.longestStallMilliseconds, baselineName: "one backend call per change (before)", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: first UPDATE → last route in the kernel, against the target (BIRD sends its last UPDATE ~3 s after the rest)`, unit: "ms", podnet: batched.milliseconds, baseline: 1000, baselineName: "target", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: first UPDATE → 99 % in the kernel, against the target`, unit: "ms", podnet: batched.ninetyNineMilliseconds, baseline: 1000, baselineName: "target", lowerIsBetter: true },
    { metric: `BIRD ToR announces ${TOR_ROUTES} /26s: longest stall, against the target`, unit: "ms", podnet: batched.longestStallMilliseconds, baseline: 50, baselineName: "target", lowerIsBetter: true },
  );
  report("calico", rows);
} finally {
  cleanupNamespaces();
  lab.remove();
}
