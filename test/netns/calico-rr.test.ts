// Calico mode with the node-to-node mesh off and node1 as route reflector (its Node carries a
// routeReflectorClusterID): node2 and node3 peer with node1 only, yet every node routes every
// block (reflected with ORIGINATOR_ID and CLUSTER_LIST) and every pod reaches every other. Root
// only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces } from "./namespaces";
import { ping } from "./cluster";
import { installPlugin } from "./cni-runtime";
import { addPod, calicoNodes, podnet, routes, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { controlRequest } from "../../host/bgp/control";
import type { PeerStatus, RouteStatus } from "../../host/bgp/status";

test.after(cleanupNamespaces);

const RESOURCES = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pods
spec:
  cidr: 10.244.0.0/16
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node1
spec:
  bgp:
    ipv4Address: 198.18.0.1/24
    routeReflectorClusterID: 244.0.0.1
`;

test("mesh off, node1 the route reflector: clients peer with it only, every block is routed everywhere, every pod reaches every other", async () => {
  const lab = createLab("rr", 3);
  const nodes = calicoNodes(lab);
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  const resources = join(lab.directory, "resources.yaml");
  writeFileSync(resources, RESOURCES);
  assert.equal(podnet(store, "apply", "-f", resources).status, 0);
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  try {
    for (const node of nodes) startAgent(node, store);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
    for (const node of nodes) addPod(installed, node, store, 1);
    const blockOf = (index: number) => `${nodes[index].pods[0].address}/26`;
    await waitUntil(
      () => nodes.every((node, i) => nodes.every((_, j) => i === j || routes(node.namespace).some((route) => route.dst === blockOf(j) && route.gateway === nodes[j].address))),
      20_000,
      "every node routes every other block via its node",
    );

    // Sessions: node1 with both; node2 and node3 with node1 only.
    // In address order: the reflector adds its clients as their Nodes appear, in whatever order that is.
    const peers = async (index: number) =>
      ((await controlRequest(nodes[index].bgpControl, { command: "peers" })) as PeerStatus[]).map((peer) => [peer.address, peer.kind, peer.state, peer.routeReflectorClient]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.equal(await peers(0), [["198.18.0.2", "node specific", "Established", true], ["198.18.0.3", "node specific", "Established", true]]);
    assert.equal(await peers(1), [["198.18.0.1", "node specific", "Established", false]]);
    // node3 learned node2's block by reflection: node2 as originator, node1's cluster ID in the list.
    const [reflected] = (await controlRequest(nodes[2].bgpControl, { command: "routes", prefix: blockOf(1) })) as RouteStatus[];
    assert.equal([reflected.from, reflected.nextHop, reflected.originatorId, reflected.clusterList], ["198.18.0.1", "198.18.0.2", "198.18.0.2", ["244.0.0.1"]]);

    const failed: string[] = [];
    for (const from of nodes) for (const to of nodes) if (from !== to && !ping(from.pods[0].namespace, to.pods[0].address)) failed.push(`${from.name} → ${to.name}`);
    assert.equal(failed, []);
  } finally {
    for (const node of nodes) await stopAgent(node);
    lab.remove();
  }
});

test.run();
