// CNI ADD and DEL latency, p50 and p99 over 100 pods, as a runtime sees it (exec with env + stdin,
// timed from inside the node's namespace by bench/cni-driver.mjs): podnet in bridge and routed
// mode through the agent, and podnet bridge in-process (no agent answering: the client execs
// podnet-standalone), each next to Debian's Go `bridge` + `host-local` plugins measured the same
// way in the same run; and routed pods with block IPAM through a Calico-mode agent. 100 pods, so the p99 is the second slowest call and not just the first ADD,
// which also creates the bridge. Root only: everything runs in namespaces made (and removed) here.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupNamespaces, createNamespace } from "../test/netns/namespaces";
import { startCluster, type ClusterNode } from "../test/netns/cluster";
import { installPlugin, nodeConfig, type Installed } from "../test/netns/cni-runtime";
import { calicoNodes, podConfig, podnet, startAgent, stopAgent, type StoreChoice } from "../test/netns/calico-cluster";
import { createLab } from "../test/bgp/lab";
import { report, type BenchRow, sized } from "./measure";

const PODS = sized(100, 5);
const driver = fileURLToPath(new URL("./cni-driver.mjs", import.meta.url));

interface Latencies {
  add: number[];
  del: number[];
}

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

let runs = 0;

/** Execs `binary` ADD for PODS new pods, then DEL for each, inside `namespace`; returns the times. */
function run(namespace: string, binary: string, config: Record<string, unknown>, label: string): Latencies {
  const run = ++runs;
  const pods = Array.from({ length: PODS }, (_, index) => createNamespace(`b${run}-${index}`));
  const jobs = (command: string) =>
    pods.map((pod, index) => ({
      binary,
      env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: `${label}-${index}`, CNI_NETNS: `/var/run/netns/${pod}`, CNI_IFNAME: "eth0", CNI_PATH: "/usr/lib/cni" },
      stdin: JSON.stringify(config),
    }));
  const drive = (command: string) => {
    const output = execFileSync("ip", ["netns", "exec", namespace, process.execPath, driver], { input: JSON.stringify(jobs(command)), encoding: "utf8", maxBuffer: 64 << 20 });
    const results = JSON.parse(output) as Array<{ ms: number; status: number; stdout: string }>;
    const failed = results.find((result) => result.status !== 0);
    if (failed) throw new Error(`${label} ${command} failed: ${failed.stdout}`);
    return results.map((result) => result.ms);
  };
  return { add: drive("ADD"), del: drive("DEL") };
}

function rows(name: string, podnet: Latencies, baseline: Latencies): BenchRow[] {
  const baselineName = "Go bridge + host-local";
  const row = (metric: string, of: (latencies: Latencies) => number): BenchRow => ({ metric: `CNI ${metric}, ${name}`, unit: "ms", podnet: of(podnet), baseline: of(baseline), baselineName, lowerIsBetter: true });
  return [
    row("ADD p50", (l) => percentile(l.add, 0.5)),
    row("ADD p99", (l) => percentile(l.add, 0.99)),
    row("DEL p50", (l) => percentile(l.del, 0.5)),
    row("DEL p99", (l) => percentile(l.del, 0.99)),
  ];
}

/** The same through a Calico-mode agent: routed pods, addresses from its blocks in the store. */
async function calicoRun(client: string): Promise<Latencies> {
  const lab = createLab("cnibench-calico", 1);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  if (podnet(store, "apply", "-f", pool).status !== 0) throw new Error("cannot apply the IPPool");
  const [node] = calicoNodes(lab);
  startAgent(node, store, ["--reconcile-interval", "30"]);
  try {
    for (let waited = 0; !node.output.includes("BGP speaker up"); waited += 100) {
      if (waited > 20_000) throw new Error(`the Calico-mode agent did not start: ${node.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return run(node.namespace, client, { ...podConfig(node, store), cniVersion: "1.0.0" }, "pc");
  } finally {
    await stopAgent(node);
    lab.remove();
  }
}

try {
  // The agent reconciles at its 30-s default, not the tests' 1 s: each reconcile's `ip` runs would
  // land among the timed calls (on two cores).
  const cluster = await startCluster({ name: "cnibench", backend: "vxlan", nodes: 1, agentArgs: () => ["--reconcile-interval", "30"] });
  const node: ClusterNode = cluster.nodes[0];
  const installed: Installed = installPlugin();
  const client = join(installed.binDir, "podnet");
  // The Go plugins on a node of their own (no agent), the same bridge layout on another /24.
  const goNode = createNamespace("cnibench-go");
  const goConfig = {
    cniVersion: "1.0.0", name: "gobridge", type: "bridge", bridge: "cni0", isGateway: true, isDefaultGateway: true, hairpinMode: true, mtu: 1450,
    ipam: { type: "host-local", subnet: "10.244.250.0/24", dataDir: mkdtempSync(join(tmpdir(), "podnet-bench-hostlocal-")) },
  };
  const go = () => run(goNode, "/usr/lib/cni/bridge", goConfig, "go");
  // Alternate podnet and Go runs so both see the same machine state.
  const bridgeAgent = run(node.namespace, client, nodeConfig(installed, node, { cniVersion: "1.0.0" }), "pb");
  const goFirst = go();
  const routedAgent = run(node.namespace, client, nodeConfig(installed, node, { cniVersion: "1.0.0", mode: "routed" }), "pr");
  const goSecond = go();
  const inProcess = run(node.namespace, client, nodeConfig(installed, node, { cniVersion: "1.0.0", agentSocket: join(installed.directory, "no-agent.sock") }), "pi");
  const goThird = go();
  const blocks = await calicoRun(client);
  const goFourth = go();
  if (!readFileSync(node.subnetFile, "utf8").includes("FLANNEL_SUBNET")) throw new Error("agent lost its subnet file");
  report("cni", [
    ...rows("bridge via agent", bridgeAgent, goFirst),
    ...rows("routed via agent", routedAgent, goSecond),
    ...rows("bridge in-process (agent down)", inProcess, goThird),
    ...rows("routed with block IPAM via a Calico-mode agent", blocks, goFourth),
  ]);
} finally {
  cleanupNamespaces();
}
