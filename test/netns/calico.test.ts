// Calico mode end to end on the embedded store: three nodes in namespaces on one segment, each
// running `podnet agent --mode calico`; an IPPool applied with `podnet apply`; two routed pods per
// node from blocks through the CNI plugin. Shown: the BGP mesh, each node's kernel routes as data
// (a route per remote block via its node, a blackhole for its own, a /32 per pod veth), every pod
// reaching every other, a node stopped cleanly losing its routes on the others, and every address
// released by DEL. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupNamespaces } from "./namespaces";
import { ping, restoreAfterDelete } from "./cluster";
import { installPlugin, invoke } from "./cni-runtime";
import { addPod, asClusterNode, calicoNodes, podConfig, podnet, routes, startAgent, stopAgent, type CalicoNode, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { runPodnet } from "../helpers/run-binary";
import { startEtcd, type EtcdServer } from "../helpers/etcd-server";
import { controlRequest } from "../../host/bgp/control";
import type { PeerStatus, RouteStatus } from "../../host/bgp/status";

test.after(cleanupNamespaces);

async function scenario(storeKind: "sqlite" | "etcd"): Promise<void> {
  const lab = createLab(`calico-${storeKind}`, 4);
  let etcd: EtcdServer | undefined;
  let store: StoreChoice;
  if (storeKind === "etcd") {
    // etcd on the segment (198.18.0.250 on the hub's bridge), where every node reaches it.
    execFileSync("ip", ["-n", lab.hub, "addr", "add", "198.18.0.250/24", "dev", "br0"]);
    etcd = await startEtcd(undefined, { namespace: lab.hub, address: "198.18.0.250" });
    store = { flags: ["--store", "etcd", "--etcd-endpoints", etcd.endpoint], ipam: { store: "etcd", etcdEndpoints: etcd.endpoint }, namespace: lab.hub };
  } else {
    const storePath = join(lab.directory, "store.db");
    store = { flags: ["--store-path", storePath], ipam: { storePath } };
  }
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  const applied = podnet(store, "apply", "-f", pool);
  assert.equal(applied.status, 0, applied.stderr);
  const all = calicoNodes(lab);
  // node4 joins later; `nodes` are those running.
  const nodes = all.slice(0, 3);
  try {
    for (const node of nodes) startAgent(node, store);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "every agent registered with its speaker up").catch((error: Error) => {
      throw new Error(`${error.message}\n${nodes.map((node) => `${node.name}: ${node.output}`).join("\n")}`);
    });
    for (const node of nodes) for (const index of [1, 2]) addPod(installed, node, store, index);

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

    // A block route and the node's own blackhole deleted by hand are put back at once (kernel-monitor.ts).
    for (const prefix of [blockOf(nodes[1]), blockOf(nodes[0])]) {
      const restored = await restoreAfterDelete(nodes[0].namespace, prefix);
      console.log(`  calico (${storeKind}): route to ${prefix} deleted by hand on node1: back after ${restored.milliseconds} ms`);
      assert.ok(restored.milliseconds <= 100 && restored.same, `${prefix} restored as it was within 100 ms (${restored.milliseconds} ms)`);
    }

    assert.is(readFileSync(join(lab.directory, "rt_protos.d", "podnet.conf"), "utf8"), "# written by podnet: the protocol of the routes it programs\n107\tpodnet\n");
    // podnet status: calicoctl node status's shape, from node1's agent.
    const status = runPodnet(["status", "--bgp-control", nodes[0].bgpControl]);
    assert.equal(status.status, 0, status.stderr);
    const statusLines = status.stdout.split("\n");
    assert.equal(statusLines.slice(0, 5), ["podnet process is running.", "", "IPv4 BGP status", "+--------------+-------------------+-------+----------+-------------+", "| PEER ADDRESS | PEER TYPE         | STATE | SINCE    | INFO        |"]);
    assert.match(status.stdout, /\| 198\.18\.0\.2   \| node-to-node mesh \| up    \| \d\d:\d\d:\d\d \| Established \|/);
    assert.match(status.stdout, /\| 198\.18\.0\.3   \| node-to-node mesh \| up    \| \d\d:\d\d:\d\d \| Established \|/);
    assert.match(status.stdout, "IPv6 BGP status\nNo IPv6 peers found.");
    const blocks = podnet(store, "ipam", "show", "--show-blocks").stdout;
    for (const node of nodes) assert.match(blocks, new RegExp(`\\| Block +\\| ${blockOf(node).replace(/\./g, "\\.")} +\\| 64 +\\| 2 \\(3%\\) +\\| 62 \\(97%\\) +\\|`));

    // node4 joins: once its first pod claims a block, every node routes it.
    const node4 = all[3];
    startAgent(node4, store);
    await waitUntil(() => node4.output.includes("BGP speaker up"), 20_000, "node4's agent up");
    await waitUntil(async () => ((await controlRequest(node4.bgpControl, { command: "peers" })) as PeerStatus[]).filter((peer) => peer.state === "Established").length === 3, 15_000, "node4 peers with the three others");
    nodes.push(node4);
    addPod(installed, node4, store, 1);
    const joined = Date.now();
    const matched = new Map<string, number>();
    await waitUntil(() => {
      for (const node of nodes) if (!matched.has(node.name) && JSON.stringify(podnetRoutes(node)) === JSON.stringify(expected(node))) matched.set(node.name, Date.now() - joined);
      return matched.size === nodes.length;
    }, 5000, "node4's block routed everywhere").catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify([...matched])}; ${nodes.map((node) => `${node.name}: ${JSON.stringify(podnetRoutes(node))} want ${JSON.stringify(expected(node))}`).join("\n")}`);
    });
    const joinMs = Math.max(...matched.values());
    assert.ok(joinMs < 1000, `node4's block took ${joinMs} ms to reach every node: ${JSON.stringify([...matched])}`);
    assert.ok(ping(nodes[0].pods[0].namespace, node4.pods[0].address));

    // node2 killed (SIGKILL): the others keep its block, stale, for the restart time, and traffic to
    // its pods keeps flowing (its kernel routes outlive its agent); back, it re-announces and nothing stale is left.
    const node2 = nodes[1];
    node2.agent!.kill("SIGKILL");
    await new Promise((resolve) => node2.agent!.once("exit", resolve));
    await waitUntil(async () => ((await controlRequest(nodes[0].bgpControl, { command: "routes", prefix: blockOf(node2) })) as RouteStatus[]).some((route) => route.stale), 10_000, "node1 marks node2's block stale");
    assert.ok(podnetRoutes(nodes[0]).some((route) => route.dst === blockOf(node2)), "node1 still routes node2's block");
    assert.ok(ping(nodes[0].pods[0].namespace, node2.pods[0].address), "a pod on node1 still reaches a pod on node2");
    startAgent(node2, store);
    await waitUntil(async () => {
      const seen = (await controlRequest(nodes[0].bgpControl, { command: "routes" })) as RouteStatus[];
      return seen.some((route) => route.prefix === blockOf(node2) && route.best) && seen.every((route) => !route.stale);
    }, 20_000, "node2 back: its block fresh on node1, nothing stale");
    await waitUntil(() => nodes.every((node) => JSON.stringify(podnetRoutes(node)) === JSON.stringify(expected(node))), 10_000, "every route as before");
    // node2 kept its own routes through the restart and removes none until every peer has sent
    // its whole table again (its sessions come back as the others' connect retries fire).
    await waitUntil(() => node2.output.includes("BGP tables complete after the restart"), 20_000, "node2 has every peer's table again");

    // node3 stops cleanly: its BGP sessions end with a Cease, the others drop its block at once.
    const node3 = nodes[2];
    const stoppedAt = Date.now();
    await stopAgent(node3);
    await waitUntil(() => nodes.filter((node) => node !== node3).every((node) => !podnetRoutes(node).some((route) => route.dst === blockOf(node3))), 5000, "node3's block gone from the others").catch((error: Error) => {
      throw new Error(`${error.message}: ${nodes.filter((node) => node !== node3).map((node) => `${node.name}: ${JSON.stringify(podnetRoutes(node))}`).join("\n")}\n${nodes[1].output.slice(-4000)}`);
    });
    const gone = Date.now() - stoppedAt;
    assert.ok(gone < 1000, `node3's routes took ${gone} ms to go`);
    // node3 itself keeps what it programmed (fail-static): its pods still reach the others' until it is back.
    assert.ok(podnetRoutes(node3).some((route) => route.dst === blockOf(nodes[0])), `node3 keeps its route to node1's block: ${JSON.stringify(podnetRoutes(node3))}`);
    console.log(`calico (${storeKind}): node4's block on every node ${joinMs} ms after its first pod's ADD; node3's routes gone from the others ${gone} ms after SIGTERM`);

    // DEL of every pod (node3's through the in-process path: its agent is down) frees every address.
    for (const node of nodes) {
      for (const pod of node.pods) {
        const deleted = invoke(installed, asClusterNode(node), { command: "DEL", containerId: pod.containerId, netns: pod.namespace, config: podConfig(node, store) });
        assert.equal(deleted.status, 0, `DEL ${pod.containerId}: ${deleted.stdout}`);
      }
    }
    const shown = podnet(store, "ipam", "show");
    assert.match(shown.stdout, "| IP Pool  | 10.244.0.0/16 | 65536     | 0 (0%)     | 65536 (100%) |");
  } finally {
    for (const node of all) await stopAgent(node);
    await etcd?.stop();
    lab.remove();
  }
}

const TITLE = "three-node mesh, block routes and blackholes as data, pod matrix, status; a fourth node joins; SIGKILL keeps routes (graceful restart); a clean stop removes them; DEL releases everything";
test(`Calico mode on the embedded store: ${TITLE}`, () => scenario("sqlite"));
test(`Calico mode on etcd: ${TITLE}`, () => scenario("etcd"));

test.run();
