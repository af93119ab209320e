// A cluster in namespaces for the root-only suites: an underlay LAN (a bridge in its own
// namespace, 198.18.0.0/24), nodes as namespaces on it each running `podnet agent` on one
// embedded store, and a pod behind each node's cni0 bridge (until the CNI plugin makes them).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNamespace, spawnIn } from "./namespaces";
import { distPath } from "../helpers/paths";

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
export const ip = (namespace: string, ...args: string[]) => execFileSync("ip", ["-n", namespace, ...args]);

export interface ClusterNode {
  index: number;
  namespace: string;
  publicIp: string;
  subnetFile: string;
  /** Where the agent serves the CNI plugin. */
  cniSocket: string;
  /** The agent's log so far (JSON lines). */
  log: () => string;
  agent: ChildProcess;
  pod: { namespace: string; address: string };
}

export interface Cluster {
  name: string;
  lan: string;
  storePath: string;
  nodes: ClusterNode[];
  /** Starts (or restarts) node `index`'s agent with its original arguments. */
  startAgent(node: ClusterNode): void;
}

/** Per-node agent arguments: `backend` for the network config; `agentArgs(i)` adds flags for node i (1-based). */
export interface ClusterOptions {
  name: string;
  backend: string;
  agentArgs?: (index: number) => string[];
  /** Nodes (default 3) that run an agent; others can be joined by hand (e.g. a Flannel-configured node). */
  agents?: number[];
  nodes?: number;
  /** More keys of the network config's Backend object (e.g. VNI, Port). */
  backendSettings?: Record<string, unknown>;
}

/** Makes the underlay LAN and the node namespaces; starts the agents; waits until each knows every other agent. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { name, backend } = options;
  const directory = mkdtempSync(join(tmpdir(), `podnet-${name}-`));
  const storePath = join(directory, "store.db");
  const lan = createNamespace(`${name}-lan`);
  ip(lan, "link", "add", "br0", "type", "bridge");
  ip(lan, "link", "set", "br0", "up");
  const count = options.nodes ?? 3;
  const agents = options.agents ?? Array.from({ length: count }, (_, i) => i + 1);
  const nodes: ClusterNode[] = [];
  const cluster: Cluster = {
    name, lan, storePath, nodes,
    startAgent(node) {
      const agent = spawnIn(node.namespace, distPath("podnet"), ["agent", "--store-path", storePath, "--iface", "eth0", "--public-ip", node.publicIp,
        "--subnet-file", node.subnetFile, "--network-config", JSON.stringify({ Network: "10.244.0.0/16", Backend: { Type: backend, ...options.backendSettings } }), "--reconcile-interval", "1",
        "--metrics-address", "127.0.0.1:9808", "--cni-socket", node.cniSocket, "--log-format", "json", ...(options.agentArgs?.(node.index) ?? [])]);
      let log = "";
      agent.stderr!.on("data", (chunk) => (log += chunk));
      agent.stdout!.on("data", (chunk) => (log += chunk));
      node.agent = agent;
      node.log = () => log;
    },
  };
  for (let index = 1; index <= count; index++) {
    const namespace = createNamespace(`${name}-n${index}`);
    ip(namespace, "link", "add", "eth0", "type", "veth", "peer", "name", `port${index}`, "netns", lan);
    ip(lan, "link", "set", `port${index}`, "master", "br0", "up");
    ip(namespace, "addr", "add", `198.18.0.${index}/24`, "dev", "eth0");
    ip(namespace, "link", "set", "eth0", "up");
    const node = { index, namespace, publicIp: `198.18.0.${index}`, subnetFile: join(directory, `n${index}.env`), cniSocket: join(directory, `n${index}.sock`), log: () => "", agent: undefined as unknown as ChildProcess, pod: { namespace: "", address: "" } };
    nodes.push(node);
    if (agents.includes(index)) cluster.startAgent(node);
  }
  for (const node of nodes.filter((node) => agents.includes(node.index))) {
    await waitFor(() => existsSync(node.subnetFile) && peersAdded(node) >= agents.length - 1, 10_000, `node ${node.index} learnt its peers: ${node.log()}`);
  }
  return cluster;
}

/** The agent's /metrics in `namespace` (it listens on that namespace's loopback, port 9808). */
export function metricsIn(namespace: string): string {
  return execFileSync("ip", ["netns", "exec", namespace, "curl", "-s", "http://127.0.0.1:9808/metrics"], { encoding: "utf8" });
}

/** The agent's /healthz status code in `namespace`, as text ("200", "503"). */
export function healthIn(namespace: string): string {
  return execFileSync("ip", ["netns", "exec", namespace, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9808/healthz"], { encoding: "utf8" });
}

/** "peer added" lines in the node's log. */
export const peersAdded = (node: ClusterNode) => (node.log().match(/"peer added"/g) ?? []).length;

/** Polls `condition` every 20 ms until it holds or `milliseconds` pass; throws `what` then. */
export async function waitFor(condition: () => boolean, milliseconds: number, what: string): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await sleep(20);
  }
}

/**
 * A pod behind the node's cni0 bridge, as the CNI plugin makes them: cni0 with the subnet's .1,
 * a veth with the subnet file's MTU (or `mtu`), address .<host>, default route via .1. The node's
 * first pod becomes `node.pod`.
 */
export function addPod(cluster: Cluster, node: ClusterNode, host = 10, mtu?: number): { namespace: string; address: string } {
  const env = readFileSync(node.subnetFile, "utf8");
  const prefix = /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/24/.exec(env)![1];
  const podMtu = mtu ?? Number(/FLANNEL_MTU=(\d+)/.exec(env)![1]);
  const pod = createNamespace(`${cluster.name}-p${node.index}-${host}`);
  if (spawnSync("ip", ["-n", node.namespace, "link", "show", "cni0"], { stdio: "ignore" }).status !== 0) {
    ip(node.namespace, "link", "add", "cni0", "type", "bridge");
    ip(node.namespace, "addr", "add", `${prefix}.1/24`, "dev", "cni0");
    ip(node.namespace, "link", "set", "cni0", "up");
  }
  const veth = `veth${host}`;
  ip(node.namespace, "link", "add", veth, "mtu", String(podMtu), "type", "veth", "peer", "name", "eth0", "netns", pod);
  ip(node.namespace, "link", "set", veth, "master", "cni0", "up");
  ip(pod, "addr", "add", `${prefix}.${host}/24`, "dev", "eth0");
  ip(pod, "link", "set", "eth0", "mtu", String(podMtu), "up");
  ip(pod, "route", "add", "default", "via", `${prefix}.1`);
  const made = { namespace: pod, address: `${prefix}.${host}` };
  if (node.pod.namespace === "") node.pod = made;
  return made;
}

/** One ping from namespace `from` to `to`; true when answered. */
export function ping(from: string, to: string, extra: string[] = []): boolean {
  return spawnSync("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "2", ...extra, to], { stdio: "ignore" }).status === 0;
}

/** ping's output for one ping (e.g. to read an ICMP error it reports). */
export function pingOutput(from: string, to: string, extra: string[] = []): string {
  const result = spawnSync("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "2", ...extra, to], { encoding: "utf8" });
  return `${result.stdout}${result.stderr}`;
}

/** podnet's routes (proto 107) in `namespace`, by destination. */
export function podnetRoutes(namespace: string): string[] {
  return (JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show", "proto", "107"], { encoding: "utf8" })) as Array<{ dst: string }>).map((route) => route.dst).sort();
}

/** podnet's kernel route to `prefix` as `ip -json` shows it, or undefined. */
function podnetRoute(namespace: string, prefix: string): string | undefined {
  const [route] = JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show", prefix, "proto", "107"], { encoding: "utf8" })) as unknown[];
  return route === undefined ? undefined : JSON.stringify(route);
}

/** The kernel's time of an `ip -ts monitor` line ("[2026-12-04T03:26:24.050597] …"), in ms. */
const monitorTime = (line: string) => Date.parse(`${line.slice(1, 24)}Z`) + Number(line.slice(24, 27)) / 1000;

/**
 * Deletes podnet's route to `prefix` in the namespace by hand (`ip route del`) and waits until it
 * is back. The time is the kernel's: between the deletion and the re-addition as `ip -ts monitor
 * route` stamps them (polling with `ip` would add its own exec time). Infinity when it is not back
 * within `limitMs`; `same`: back exactly as it was.
 */
export async function restoreAfterDelete(namespace: string, prefix: string, limitMs = 2000): Promise<{ milliseconds: number; same: boolean }> {
  const before = podnetRoute(namespace, prefix);
  if (before === undefined) throw new Error(`no podnet route to ${prefix} in ${namespace} to delete`);
  const monitor = spawn("ip", ["-n", namespace, "-ts", "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
  let seen = "";
  monitor.stdout!.on("data", (chunk: Buffer) => (seen += chunk.toString()));
  try {
    // The monitor prints nothing until an event: give it time to join the group.
    await new Promise((resolve) => setTimeout(resolve, 200));
    execFileSync("ip", ["-n", namespace, "route", "del", prefix, "proto", "107"]);
    const lines = () => seen.split("\n");
    // "[time] Deleted [blackhole ]PREFIX …", then "[time] [blackhole ]PREFIX …".
    const deleted = () => lines().find((line) => line.includes("] Deleted ") && line.includes(` ${prefix} `));
    const added = () => lines().find((line) => !line.includes("] Deleted ") && line.includes(` ${prefix} `));
    const started = Date.now();
    while (!(deleted() && added()) && Date.now() - started < limitMs) await new Promise((resolve) => setTimeout(resolve, 5));
    if (!deleted() || !added()) return { milliseconds: Infinity, same: false };
    return { milliseconds: Math.round(monitorTime(added()!) - monitorTime(deleted()!)), same: podnetRoute(namespace, prefix) === before };
  } finally {
    monitor.kill();
  }
}

const ECHO_PORT = 7000;
const ECHO_SERVER = `require("node:net").createServer((socket) => socket.pipe(socket)).listen(${ECHO_PORT}, () => console.log("listening"))`;
// Sends 200 kB (many full-size segments) and exits 0 only when every byte came back unchanged.
const ECHO_CLIENT = `
const sent = require("node:crypto").randomBytes(200000);
const chunks = [];
const socket = require("node:net").connect(${ECHO_PORT}, process.argv[1], () => socket.end(sent));
socket.on("data", (chunk) => chunks.push(chunk));
socket.on("end", () => process.exit(Buffer.concat(chunks).equals(sent) ? 0 : 1));
socket.on("error", (error) => { console.error(error.message); process.exit(2); });
setTimeout(() => { console.error("timed out"); process.exit(3); }, 5000);
`;

/** Runs a Node `script` in `namespace` until the namespaces' cleanup; resolves once it prints "listening". */
async function startServer(namespace: string, script: string): Promise<void> {
  const server = spawnIn(namespace, process.execPath, ["-e", script]);
  let output = "";
  server.stdout!.on("data", (chunk) => (output += chunk));
  await waitFor(() => output.includes("listening"), 5000, `server in ${namespace}`);
}

/** A TCP echo server in `namespace` on port 7000. */
export const startEchoServer = (namespace: string) => startServer(namespace, ECHO_SERVER);

/** A TCP connection from `from` to `to`:7000 carries 200 kB there and back intact. */
export function tcpEcho(from: string, to: string): boolean {
  return spawnSync("ip", ["netns", "exec", from, process.execPath, "-e", ECHO_CLIENT, to], { stdio: "ignore" }).status === 0;
}

const WHOAMI_PORT = 7001;
const WHOAMI_SERVER = `require("node:net").createServer((socket) => socket.end(socket.remoteAddress)).listen(${WHOAMI_PORT}, "0.0.0.0", () => console.log("listening"))`;
const WHOAMI_CLIENT = `
const socket = require("node:net").connect(${WHOAMI_PORT}, process.argv[1]);
let answer = "";
socket.on("data", (chunk) => (answer += chunk));
socket.on("end", () => { process.stdout.write(answer); process.exit(0); });
socket.on("error", (error) => { console.error(error.message); process.exit(2); });
setTimeout(() => { console.error("timed out"); process.exit(3); }, 5000);
`;

/** A server in `namespace` on port 7001 that answers each connection with the address it came from. */
export const startWhoamiServer = (namespace: string) => startServer(namespace, WHOAMI_SERVER);

/** The source address `to`:7001 saw a connection from `from` come from (after any NAT). */
export function whoami(from: string, to: string): string {
  const result = spawnSync("ip", ["netns", "exec", from, process.execPath, "-e", WHOAMI_CLIENT, to], { encoding: "utf8" });
  return result.status === 0 ? result.stdout : `failed: ${result.stderr}`;
}

/**
 * Node `node` as flanneld's vxlan backend configures it, by hand: flannel.1 (VNI 1, port 8472,
 * nolearning, MTU 1450) holding `<subnetBase>.0/32`, forwarding on, and Flannel's subnet file.
 * Returns the device's MAC (its VtepMAC). Add peers with flannelPeer.
 */
export function flannelDevice(node: ClusterNode, subnetBase: string): string {
  const ns = node.namespace;
  ip(ns, "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", node.publicIp, "dev", "eth0", "dstport", "8472", "nolearning");
  ip(ns, "link", "set", "flannel.1", "mtu", "1450", "up");
  ip(ns, "addr", "add", `${subnetBase}.0/32`, "dev", "flannel.1");
  execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  writeFileSync(node.subnetFile, `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${subnetBase}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n`);
  const [device] = JSON.parse(execFileSync("ip", ["-n", ns, "-json", "link", "show", "flannel.1"], { encoding: "utf8" }));
  return device.address;
}

/** A peer on a flannelDevice node, in flanneld's order: permanent neighbour, FDB entry, onlink route. */
export function flannelPeer(node: ClusterNode, peer: { subnet: string; publicIp: string; vtepMac: string }): void {
  const gateway = peer.subnet.replace(/\.0\/24$/, ".0");
  ip(node.namespace, "neigh", "replace", gateway, "lladdr", peer.vtepMac, "dev", "flannel.1", "nud", "permanent");
  execFileSync("bridge", ["-n", node.namespace, "fdb", "append", peer.vtepMac, "dev", "flannel.1", "dst", peer.publicIp]);
  ip(node.namespace, "route", "add", peer.subnet, "via", gateway, "dev", "flannel.1", "onlink");
}
