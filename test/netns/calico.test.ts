// Calico mode end to end on the embedded store: three nodes in namespaces on one segment, each
// running `podnet agent --mode calico`; an IPPool applied with `podnet apply`; two routed pods per
// node from blocks through the CNI plugin. Shown: the BGP mesh, each node's kernel routes as data
// (a route per remote block via its node, a blackhole for its own, a /32 per pod veth), every pod
// reaching every other, a node stopped cleanly losing its routes on the others, and every address
// released by DEL. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, spawnIn } from "./namespaces";
import { ping, type ClusterNode } from "./cluster";
import { installPlugin, invoke, type Installed } from "./cni-runtime";
import { createLab, waitUntil } from "../bgp/lab";
import { distPath } from "../helpers/paths";
import { runPodnet } from "../helpers/run-binary";

test.after(cleanupNamespaces);

interface CalicoNode {
  name: string;
  namespace: string;
  address: string;
  cniSocket: string;
  bgpControl: string;
  agent?: ChildProcess;
  output: string;
  pods: Array<{ namespace: string; containerId: string; address: string }>;
}

interface KernelRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
}

const routes = (namespace: string): KernelRoute[] => JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show"], { encoding: "utf8" }));

function startAgent(node: CalicoNode, storePath: string): void {
  node.output = "";
  const agent = spawnIn(node.namespace, distPath("podnet"), [
    "agent", "--mode", "calico", "--node-name", node.name, "--public-ip", node.address, "--iface", "eth0",
    "--store-path", storePath, "--cni-socket", node.cniSocket, "--bgp-control", node.bgpControl, "--metrics-address", "127.0.0.1:9808",
    "--reconcile-interval", "2", "--log-format", "json",
  ]);
  agent.stdout!.on("data", (chunk: Buffer) => (node.output += chunk.toString()));
  agent.stderr!.on("data", (chunk: Buffer) => (node.output += chunk.toString()));
  node.agent = agent;
}

const stopAgent = (node: CalicoNode) =>
  new Promise<void>((resolve) => {
    if (!node.agent || node.agent.exitCode !== null) return resolve();
    node.agent.once("exit", () => resolve());
    node.agent.kill("SIGTERM");
  });

function podConfig(node: CalicoNode, storePath: string): Record<string, unknown> {
  return { cniVersion: "1.0.0", name: "podnet", type: "podnet", mode: "routed", agentSocket: node.cniSocket, mtu: 1500, ipam: { type: "podnet-blocks", nodeName: node.name, storePath } };
}

/** The plugin runs in the node's namespace; cni-runtime wants a cluster node, of which it reads these. */
const asClusterNode = (node: CalicoNode) => ({ namespace: node.namespace, cniSocket: node.cniSocket }) as unknown as ClusterNode;

function addPod(installed: Installed, node: CalicoNode, storePath: string, index: number): void {
  const containerId = `${node.name}-pod${index}`;
  const namespace = createNamespace(`c-${node.name}-${index}`);
  const outcome = invoke(installed, asClusterNode(node), { command: "ADD", containerId, netns: namespace, config: podConfig(node, storePath) });
  assert.equal(outcome.status, 0, `ADD ${containerId}: ${outcome.stdout}`);
  node.pods.push({ namespace, containerId, address: (outcome.json!.ips[0].address as string).replace("/32", "") });
}

test("three Calico-mode nodes: mesh, block routes and blackholes as data, pod matrix, clean stop, DEL releases everything", async () => {
  const lab = createLab("calico", 3);
  const storePath = join(lab.directory, "store.db");
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  const applied = runPodnet(["apply", "-f", pool, "--store-path", storePath]);
  assert.equal(applied.status, 0, applied.stderr);
  const nodes: CalicoNode[] = lab.nodes.map((labNode, i) => ({ name: `node${i + 1}`, namespace: labNode.namespace, address: labNode.address, cniSocket: join(lab.directory, `cni${i + 1}.sock`), bgpControl: join(lab.directory, `bgp${i + 1}.ctl`), output: "", pods: [] }));
  try {
    for (const node of nodes) startAgent(node, storePath);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "every agent registered with its speaker up").catch((error: Error) => {
      throw new Error(`${error.message}\n${nodes.map((node) => `${node.name}: ${node.output}`).join("\n")}`);
    });
    for (const node of nodes) for (const index of [1, 2]) addPod(installed, node, storePath, index);

    const blockOf = (node: CalicoNode) => `${node.pods[0].address}/26`;
    // Every node: its blackhole, a route per remote block via the node that owns it.
    const expected = (node: CalicoNode) =>
      nodes
        .map((other) => (other === node ? { dst: blockOf(other), type: "blackhole" } : { dst: blockOf(other), gateway: other.address, dev: "eth0" }))
        .sort((a, b) => a.dst.localeCompare(b.dst));
    const podnetRoutes = (node: CalicoNode) =>
      routes(node.namespace)
        .filter((route) => route.protocol === "107")
        .map((route) => (route.type === "blackhole" ? { dst: route.dst, type: "blackhole" } : { dst: route.dst, gateway: route.gateway, dev: route.dev }))
        .sort((a, b) => a.dst.localeCompare(b.dst));
    await waitUntil(() => nodes.every((node) => JSON.stringify(podnetRoutes(node)) === JSON.stringify(expected(node))), 20_000, "every node has every block route").catch((error: Error) => {
      throw new Error(`${error.message}\n${nodes.map((node) => `${node.name}: ${JSON.stringify(podnetRoutes(node))} want ${JSON.stringify(expected(node))}`).join("\n")}`);
    });
    for (const node of nodes) {
      // Both pods share the node's first block; a /32 per pod through its cali veth.
      const base = node.pods[0].address.replace(/\.\d+$/, "");
      const first = Number(node.pods[0].address.split(".")[3]);
      assert.equal(node.pods.map((pod) => pod.address), [`${base}.${first}`, `${base}.${first + 1}`]);
      assert.is(first % 64, 0);
      const podRoutes = routes(node.namespace).filter((route) => route.dev?.startsWith("cali"));
      assert.equal(podRoutes.map((route) => [route.dst, route.scope]).sort(), node.pods.map((pod) => [pod.address, "link"]).sort());
    }

    // Every pod reaches every other pod.
    const pods = nodes.flatMap((node) => node.pods);
    const failed: string[] = [];
    for (const from of pods) for (const to of pods) if (from !== to && !ping(from.namespace, to.address)) failed.push(`${from.containerId} → ${to.containerId} (${to.address})`);
    assert.equal(failed, []);

    // podnet status: calicoctl node status's shape, from node1's agent.
    const status = runPodnet(["status", "--bgp-control", nodes[0].bgpControl]);
    assert.equal(status.status, 0, status.stderr);
    const statusLines = status.stdout.split("\n");
    assert.equal(statusLines.slice(0, 5), ["podnet process is running.", "", "IPv4 BGP status", "+--------------+-------------------+-------+----------+-------------+", "| PEER ADDRESS | PEER TYPE         | STATE | SINCE    | INFO        |"]);
    assert.match(status.stdout, /\| 198\.18\.0\.2   \| node-to-node mesh \| up    \| \d\d:\d\d:\d\d \| Established \|/);
    assert.match(status.stdout, /\| 198\.18\.0\.3   \| node-to-node mesh \| up    \| \d\d:\d\d:\d\d \| Established \|/);
    assert.match(status.stdout, "IPv6 BGP status\nNo IPv6 peers found.");
    const blocks = runPodnet(["ipam", "show", "--show-blocks", "--store-path", storePath]).stdout;
    for (const node of nodes) assert.match(blocks, new RegExp(`\\| Block +\\| ${blockOf(node).replace(/\./g, "\\.")} +\\| 64 +\\| 2 \\(3%\\) +\\| 62 \\(97%\\) +\\|`));

    // node3 stops cleanly: its BGP sessions end with a Cease, the others drop its block at once.
    const stoppedAt = Date.now();
    await stopAgent(nodes[2]);
    await waitUntil(() => nodes.slice(0, 2).every((node) => !podnetRoutes(node).some((route) => route.dst === blockOf(nodes[2]))), 5000, "node3's block gone from node1 and node2");
    const gone = Date.now() - stoppedAt;
    assert.ok(gone < 3000, `node3's routes took ${gone} ms to go`);

    // DEL of every pod (node3's through the in-process path: its agent is down) frees every address.
    for (const node of nodes) {
      for (const pod of node.pods) {
        const deleted = invoke(installed, asClusterNode(node), { command: "DEL", containerId: pod.containerId, netns: pod.namespace, config: podConfig(node, storePath) });
        assert.equal(deleted.status, 0, `DEL ${pod.containerId}: ${deleted.stdout}`);
      }
    }
    const shown = runPodnet(["ipam", "show", "--store-path", storePath]);
    assert.match(shown.stdout, "| IP Pool  | 10.244.0.0/16 | 65536     | 0 (0%)     | 65536 (100%) |");
  } finally {
    for (const node of nodes) await stopAgent(node);
    lab.remove();
  }
});

test.run();
