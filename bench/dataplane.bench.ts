// Pod-to-pod throughput across two nodes for every backend, with iperf3 (Debian), all in one run
// on this machine: TCP with one stream and with four, and UDP with 64-byte datagrams (packets/s
// the receiver got). Baselines, measured the same way in the same run: routes configured by hand
// as Flannel's host-gw does for podnet's host-gw; kernel VXLAN configured by hand exactly as
// Flannel does for podnet's kernel vxlan; podnet's kernel vxlan for the userspace modes. The bare
// underlay (node to node, no pods, no overlay) is reported for scale. For the userspace modes the
// agents' CPU time per Gbit/s of the single TCP stream is reported too. Every setup runs three
// times, in turns with the others; each figure is the median with the range of the runs. Root
// only: everything runs in namespaces made (and removed) here.
//
// Calico mode, on two nodes of one segment with pods made by podnet's CNI plugin (routed, /32 per
// cali veth): routed (ipipMode Never) next to the same pods' routes configured by hand, and IPIP
// (ipipMode Always; in userspace where the kernel has no ipip module) next to podnet's userspace
// and kernel VXLAN.
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { cleanupNamespaces, createNamespace, spawnIn } from "../test/netns/namespaces";
import { addPod, flannelDevice, flannelPeer, ip, sleep, startCluster, type Cluster } from "../test/netns/cluster";
import { installPlugin } from "../test/netns/cni-runtime";
import { addPod as addCalicoPod, calicoNodes, podnet, startAgent, type StoreChoice } from "../test/netns/calico-cluster";
import { createLab, waitUntil } from "../test/bgp/lab";
import { join } from "node:path";
import { report, type BenchRow, sized } from "./measure";

const SECONDS = sized(3, 1);

interface Throughput {
  tcp1: number;
  tcp4: number;
  udpKpps: number;
  /** CPU seconds the agents used per Gbit carried during the single-stream run (userspace modes). */
  agentCpuPerGbit?: number;
}

function iperf(from: string, to: string, args: string[]): { end: Record<string, any> } {
  const result = spawnSync("ip", ["netns", "exec", from, "iperf3", "-c", to, "-t", String(SECONDS), "-J", ...args], { encoding: "utf8", timeout: 60_000 });
  const parsed = JSON.parse(result.stdout || "{}");
  if (result.status !== 0 || parsed.error) throw new Error(`iperf3 ${args.join(" ")} to ${to}: ${parsed.error ?? result.stderr}`);
  return parsed;
}

/** utime + stime of `pid` in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs per setup. The setups are measured in turns, run by run (podnet, then its baseline, then
 * the next…), so a slow minute on this shared 2-core VM hits both sides; the median is reported
 * with the range of the runs, so "within 10 %" can be told from noise. */
const RUNS = sized(3, 1);

/** Where one setup's traffic goes: client pod, server address, server pod, agents to watch. */
interface Setup {
  from: string;
  to: string;
  agents: number[];
  runs: Throughput[];
}

async function setupOf(from: string, to: string, server: string, agents: number[] = []): Promise<Setup> {
  spawnIn(server, "iperf3", ["-s"]);
  await sleep(300);
  return { from, to, agents, runs: [] };
}

/** One run of the three measurements on `setup`. */
function measureOnce(setup: Setup): void {
  const { from, to, agents } = setup;
  const cpuBefore = agents.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const single = iperf(from, to, []);
  const cpuUsed = agents.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore;
  const gbit = (single.end.sum_received.bytes * 8) / 1e9;
  const tcp4 = iperf(from, to, ["-P", "4"]).end.sum_received.bits_per_second / 1e9;
  const udp = iperf(from, to, ["-u", "-l", "64", "-b", "0"]).end.sum;
  setup.runs.push({
    tcp1: single.end.sum_received.bits_per_second / 1e9,
    tcp4,
    udpKpps: (udp.packets - udp.lost_packets) / udp.seconds / 1000,
    agentCpuPerGbit: agents.length > 0 ? cpuUsed / gbit : undefined,
  });
}

async function podnetMode(name: string, backend: string, args: string[]): Promise<Setup> {
  // The agents reconcile at the default 30 s, not the tests' 1 s: on two cores a reconcile's `ip`
  // commands every second would be measured as part of the data path.
  const cluster = await startCluster({ name, backend, nodes: 2, agentArgs: () => ["--reconcile-interval", "30", ...args] });
  const [first, second] = cluster.nodes.map((node) => addPod(cluster, node));
  const agents = args.includes("--userspace") || backend === "udp" ? cluster.nodes.map((node) => node.agent.pid!) : [];
  return setupOf(first.namespace, second.address, second.namespace, agents);
}

async function bareUnderlay(): Promise<Setup> {
  const cluster = await startCluster({ name: "bare", backend: "none", nodes: 2, agents: [] });
  return setupOf(cluster.nodes[0].namespace, cluster.nodes[1].publicIp, cluster.nodes[1].namespace);
}

async function handHostGateway(): Promise<Setup> {
  const cluster = await startCluster({ name: "handgw", backend: "none", nodes: 2, agents: [] });
  const [first, second] = cluster.nodes;
  for (const [node, base] of [[first, "10.244.1"], [second, "10.244.2"]] as const) {
    writeFileSync(node.subnetFile, `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${base}.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n`);
    execFileSync("ip", ["netns", "exec", node.namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  }
  ip(first.namespace, "route", "add", "10.244.2.0/24", "via", second.publicIp);
  ip(second.namespace, "route", "add", "10.244.1.0/24", "via", first.publicIp);
  const [podA, podB] = cluster.nodes.map((node) => addPod(cluster, node));
  return setupOf(podA.namespace, podB.address, podB.namespace);
}

async function handVxlan(): Promise<Setup> {
  const cluster: Cluster = await startCluster({ name: "hand", backend: "none", nodes: 2, agents: [] });
  const [first, second] = cluster.nodes;
  const macs = [flannelDevice(first, "10.244.1"), flannelDevice(second, "10.244.2")];
  flannelPeer(first, { subnet: "10.244.2.0/24", publicIp: second.publicIp, vtepMac: macs[1] });
  flannelPeer(second, { subnet: "10.244.1.0/24", publicIp: first.publicIp, vtepMac: macs[0] });
  const [podA, podB] = cluster.nodes.map((node) => addPod(cluster, node));
  return setupOf(podA.namespace, podB.address, podB.namespace);
}

/** Two Calico-mode nodes with a pod each (through the CNI plugin), the pool's ipipMode as given. */
async function calicoMode(name: string, ipipMode: "Never" | "Always"): Promise<Setup> {
  const lab = createLab(name, 2);
  const nodes = calicoNodes(lab);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  writeFileSync(join(lab.directory, "pool.yaml"), `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n  ipipMode: ${ipipMode}\n`);
  podnet(store, "apply", "-f", join(lab.directory, "pool.yaml"));
  for (const node of nodes) startAgent(node, store, ["--reconcile-interval", "30"]);
  await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, `${name}: agents up`);
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  // No mtu in the conflist: the agent gives the pods 1500, or 1480 with IPIP.
  nodes.forEach((node) => addCalicoPod(installed, node, store, 1, { mtu: undefined }));
  const [first, second] = nodes.map((node) => node.pods[0]);
  await waitUntil(() => spawnSync("ip", ["netns", "exec", first.namespace, "ping", "-c", "1", "-W", "1", second.address]).status === 0, 20_000, `${name}: pods reach each other`);
  const agents = ipipMode === "Never" ? [] : nodes.map((node) => node.agent!.pid!);
  return setupOf(first.namespace, second.address, second.namespace, agents);
}

/** Calico's routed pods by hand: a veth per pod with its /32 route and proxy ARP, the pod's default via 169.254.1.1, a route to the other node's block (ethtool offloads as the plugin leaves them). */
async function handCalicoRoutes(): Promise<Setup> {
  const lab = createLab("handcal", 2);
  const pods = lab.nodes.map((node, i) => {
    const pod = createNamespace(`handcal-pod${i + 1}`);
    const address = `10.244.${i + 1}.1`;
    ip(node.namespace, "link", "add", "calihand", "address", "ee:ee:ee:ee:ee:ee", "type", "veth", "peer", "name", "eth0", "netns", pod);
    ip(node.namespace, "link", "set", "calihand", "up");
    execFileSync("ip", ["netns", "exec", node.namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.calihand.proxy_arp=1"]);
    ip(node.namespace, "route", "add", `${address}/32`, "dev", "calihand", "scope", "link");
    ip(pod, "link", "set", "lo", "up");
    ip(pod, "addr", "add", `${address}/32`, "dev", "eth0");
    ip(pod, "link", "set", "eth0", "up");
    ip(pod, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link");
    ip(pod, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0");
    // As the plugin does: the gateway's neighbour entry, since proxy ARP is silent without a default route.
    ip(pod, "neigh", "add", "169.254.1.1", "lladdr", "ee:ee:ee:ee:ee:ee", "dev", "eth0", "nud", "permanent");
    return { namespace: pod, address };
  });
  ip(lab.nodes[0].namespace, "route", "add", "10.244.2.0/26", "via", lab.nodes[1].address);
  ip(lab.nodes[1].namespace, "route", "add", "10.244.1.0/26", "via", lab.nodes[0].address);
  return setupOf(pods[0].namespace, pods[1].address, pods[1].namespace);
}

/** The median and the range of one figure over a setup's runs. */
function spread(setup: Setup, figure: (run: Throughput) => number | undefined): { median: number; range: [number, number] } {
  const values = setup.runs.map(figure).filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  return { median: values[Math.floor(values.length / 2)], range: [values[0], values[values.length - 1]] };
}

const rows: BenchRow[] = [];
try {
  // Each setup lives in its own namespaces (its own LAN), so all are up at once and measured in turns.
  const bare = await bareUnderlay();
  const handGateway = await handHostGateway();
  const hand = await handVxlan();
  const hostGw = await podnetMode("bhostgw", "host-gw", []);
  const vxlan = await podnetMode("bvxlan", "vxlan", []);
  const userspaceVxlan = await podnetMode("buvxlan", "vxlan", ["--userspace"]);
  const udp = await podnetMode("budp", "udp", []);
  const calicoRouted = await calicoMode("bcalico", "Never");
  const handCalico = await handCalicoRoutes();
  const calicoIpip = await calicoMode("bipip", "Always");
  for (let run = 0; run < RUNS; run++) {
    for (const setup of [bare, hostGw, handGateway, vxlan, hand, userspaceVxlan, udp, calicoRouted, handCalico, calicoIpip]) measureOnce(setup);
  }
  const add = (mode: string, result: Setup, baseline: Setup, baselineName: string, withCpu = true) => {
    const figures: Array<[string, string, (run: Throughput) => number]> = [
      ["TCP 1 stream pod to pod", "Gbit/s", (run) => run.tcp1],
      ["TCP 4 streams pod to pod", "Gbit/s", (run) => run.tcp4],
      ["UDP 64 B pod to pod received", "kpps", (run) => run.udpKpps],
    ];
    for (const [metric, unit, figure] of figures) {
      const ours = spread(result, figure);
      const theirs = spread(baseline, figure);
      rows.push({ metric: `${mode}: ${metric}`, unit, podnet: ours.median, podnetRange: ours.range, baseline: theirs.median, baselineRange: theirs.range, baselineName });
    }
    if (withCpu && result.agents.length > 0) {
      const cpu = spread(result, (run) => run.agentCpuPerGbit);
      rows.push({ metric: `${mode}: agents' CPU per Gbit (TCP 1 stream)`, unit: "CPU s/Gbit", podnet: cpu.median, podnetRange: cpu.range, baseline: 0, baselineName: "—", lowerIsBetter: true });
    }
  };
  const underlay = spread(bare, (run) => run.tcp1);
  rows.push({ metric: "bare underlay node to node: TCP 1 stream, for scale", unit: "Gbit/s", podnet: underlay.median, podnetRange: underlay.range, baseline: 0, baselineName: "—" });
  add("host-gw", hostGw, handGateway, "hand-configured host-gw routes");
  add("vxlan (kernel)", vxlan, hand, "hand-configured kernel VXLAN");
  add("vxlan (userspace)", userspaceVxlan, vxlan, "podnet kernel vxlan");
  add("udp", udp, vxlan, "podnet kernel vxlan");
  add("calico routed", calicoRouted, handCalico, "hand-configured Calico routes");
  add("calico ipip (userspace)", calicoIpip, userspaceVxlan, "podnet userspace vxlan");
  add("calico ipip (userspace)", calicoIpip, vxlan, "podnet kernel vxlan", false);
} finally {
  cleanupNamespaces();
}
report("dataplane", rows);
