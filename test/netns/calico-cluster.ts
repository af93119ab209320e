// Calico-mode nodes in namespaces for the root-only suites: a podnet agent per node in Calico mode
// on a store of the test's choosing (the embedded file, or etcd on the segment), routed pods made
// through the CNI plugin, and the node's kernel routes read as data.
import * as assert from "uvu/assert";
import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { createNamespace, spawnIn } from "./namespaces";
import type { ClusterNode } from "./cluster";
import { invoke, type Installed } from "./cni-runtime";
import { distPath } from "../helpers/paths";
import { runPodnet } from "../helpers/run-binary";
import type { Lab } from "../bgp/lab";
import { dirname, join } from "node:path";

export interface CalicoNode {
  name: string;
  namespace: string;
  address: string;
  cniSocket: string;
  bgpControl: string;
  agent?: ChildProcess;
  output: string;
  pods: Array<{ namespace: string; containerId: string; address: string }>;
}

export interface KernelRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
}

export const routes = (namespace: string): KernelRoute[] => JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show"], { encoding: "utf8" }));

/** The store every agent, plugin and command here uses: the embedded file, or etcd on the segment. */
export interface StoreChoice {
  flags: string[];
  /** The conflist's ipam keys for it. */
  ipam: Record<string, string>;
  /** Where podnet commands of the test run (etcd is reachable from the segment only). */
  namespace?: string;
}

export function podnet(store: StoreChoice, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!store.namespace) return runPodnet([...args, ...store.flags]);
  const result = spawnSync("ip", ["netns", "exec", store.namespace, distPath("podnet"), ...args, ...store.flags], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A Calico node per lab node: node1, node2, … with their sockets in the lab's directory. */
export function calicoNodes(lab: Lab): CalicoNode[] {
  return lab.nodes.map((labNode, i) => ({
    name: `node${i + 1}`, namespace: labNode.namespace, address: labNode.address,
    cniSocket: join(lab.directory, `cni${i + 1}.sock`), bgpControl: join(lab.directory, `bgp${i + 1}.ctl`), output: "", pods: [],
  }));
}

export function startAgent(node: CalicoNode, store: StoreChoice, extra: string[] = []): void {
  node.output = "";
  const agent = spawnIn(node.namespace, distPath("podnet"), [
    "agent", "--mode", "calico", "--node-name", node.name, "--public-ip", node.address, "--iface", "eth0",
    ...store.flags, "--cni-socket", node.cniSocket, "--bgp-control", node.bgpControl, "--metrics-address", "127.0.0.1:9808",
    "--reconcile-interval", "2", "--log-format", "json",
    // Named in the test's own directory: the machine's /etc stays as it was (ip route keeps showing 107).
    "--rt-protos-dir", join(dirname(node.cniSocket), "rt_protos.d"), ...extra,
  ]);
  agent.stdout!.on("data", (chunk: Buffer) => (node.output += chunk.toString()));
  agent.stderr!.on("data", (chunk: Buffer) => (node.output += chunk.toString()));
  node.agent = agent;
}

export const stopAgent = (node: CalicoNode) =>
  new Promise<void>((resolve) => {
    if (!node.agent || node.agent.exitCode !== null || node.agent.signalCode !== null) return resolve();
    node.agent.once("exit", () => resolve());
    node.agent.kill("SIGTERM");
  });

/** The conflist for `node`'s pods; `fields` override (an mtu of undefined leaves the MTU to the agent). */
export function podConfig(node: CalicoNode, store: StoreChoice, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: "1.0.0", name: "podnet", type: "podnet", mode: "routed", agentSocket: node.cniSocket, mtu: 1500, ipam: { type: "podnet-blocks", nodeName: node.name, ...store.ipam }, ...fields };
}

/** The plugin runs in the node's namespace; cni-runtime wants a cluster node, of which it reads these. */
export const asClusterNode = (node: CalicoNode) => ({ namespace: node.namespace, cniSocket: node.cniSocket }) as unknown as ClusterNode;

let podNamespaces = 0;

export function addPod(installed: Installed, node: CalicoNode, store: StoreChoice, index: number, fields: Record<string, unknown> = {}): void {
  const containerId = `${node.name}-pod${index}`;
  const namespace = createNamespace(`c${podNamespaces++}-${node.name}-${index}`);
  const outcome = invoke(installed, asClusterNode(node), { command: "ADD", containerId, netns: namespace, config: podConfig(node, store, fields) });
  assert.equal(outcome.status, 0, `ADD ${containerId}: ${outcome.stdout}`);
  node.pods.push({ namespace, containerId, address: (outcome.json!.ips[0].address as string).replace("/32", "") });
}

