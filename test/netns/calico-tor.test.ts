// Calico mode with a top-of-rack router: BIRD 2 on the segment (AS 64513) as a global BGPPeer of
// three Calico-mode nodes (AS 64512, mesh on), and a client network behind BIRD (198.19.1.0/24).
// BIRD learns every node's block (and nothing else of theirs); the nodes learn the client network
// from BIRD; the client reaches a pod on every node through BIRD's routes; with the pool's
// natOutgoing a pod's traffic to the client leaves with its node's address. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces, createNamespace } from "./namespaces";
import { ping, startWhoamiServer, whoami } from "./cluster";
import { installPlugin } from "./cni-runtime";
import { addPod, calicoNodes, podnet, routes, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { birdRoute, createLab, startBird, waitUntil } from "../bgp/lab";
import { controlRequest } from "../../host/bgp/control";
import type { PeerStatus } from "../../host/bgp/status";

test.after(cleanupNamespaces);

const ip = (namespace: string, ...args: string[]) => execFileSync("ip", ["-n", namespace, ...args]);

function torConfig(nodes: string[]): string {
  return `router id 198.18.0.4;
log stderr all;
protocol device { scan time 2; }
protocol direct { ipv4; interface "eth1"; }
protocol kernel { ipv4 { export all; }; }
${nodes
  .map(
    (address, i) => `protocol bgp node${i + 1} {
  local 198.18.0.4 as 64513;
  neighbor ${address} as 64512;
  ipv4 { import all; export where source = RTS_DEVICE; };
}`,
  )
  .join("\n")}
`;
}

test("a BIRD top-of-rack router as a global BGPPeer: it learns every block, the nodes learn the client network, the client reaches every node's pod", async () => {
  const lab = createLab("tor", 4);
  const tor = lab.nodes[3];
  const nodes = calicoNodes(lab).slice(0, 3);
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  // The client network behind the router.
  const client = createNamespace("tor-client");
  ip(tor.namespace, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", client);
  ip(tor.namespace, "addr", "add", "198.19.1.1/24", "dev", "eth1");
  ip(tor.namespace, "link", "set", "eth1", "up");
  ip(client, "addr", "add", "198.19.1.2/24", "dev", "eth0");
  ip(client, "link", "set", "eth0", "up");
  ip(client, "route", "add", "default", "via", "198.19.1.1");
  execFileSync("ip", ["netns", "exec", tor.namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);

  const resources = join(lab.directory, "resources.yaml");
  writeFileSync(
    resources,
    "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n  natOutgoing: true\n---\n" +
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: rack1-tor\nspec:\n  peerIP: 198.18.0.4\n  asNumber: 64513\n  keepaliveTime: 10s\n  maxRestartTime: 90s\n",
  );
  assert.equal(podnet(store, "apply", "-f", resources).status, 0);
  const bird = startBird(lab, tor, torConfig(nodes.map((node) => node.address)));
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  try {
    for (const node of nodes) startAgent(node, store);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
    for (const node of nodes) addPod(installed, node, store, 1);
    const blocks = nodes.map((node) => `${node.pods[0].address}/26`);

    // BIRD: each block via the node that owns it, and only the blocks.
    await waitUntil(() => blocks.every((block) => birdRoute(bird, block) !== ""), 20_000, "BIRD learns every block").catch((error: Error) => {
      throw new Error(`${error.message}: ${bird.birdc("show", "route")}\n${bird.birdc("show", "protocols")}`);
    });
    nodes.forEach((node, i) => assert.match(birdRoute(bird, blocks[i]), `via ${node.address} on eth0`));
    const learned = bird.birdc("show", "route", "protocol", "node1");
    assert.equal(learned.match(/^\s*\d+\.\d+\.\d+\.\d+\/\d+/gm)?.map((line) => line.trim()), [blocks[0]]);

    // Each node: the client network via BIRD (an external peer's route is programmed).
    await waitUntil(() => nodes.every((node) => routes(node.namespace).some((route) => route.dst === "198.19.1.0/24" && route.gateway === "198.18.0.4" && route.protocol === "107")), 15_000, "nodes learn the client network from BIRD");

    // The client reaches every node's pod through BIRD.
    const unreachable = nodes.filter((node) => !ping(client, node.pods[0].address)).map((node) => node.pods[0].address);
    assert.equal(unreachable, []);
    // keepaliveTime 10s: hold time 30 s proposed and agreed (BIRD offers 240).
    const [torPeer] = ((await controlRequest(nodes[0].bgpControl, { command: "peers" })) as PeerStatus[]).filter((peer) => peer.address === "198.18.0.4");
    assert.equal([torPeer.kind, torPeer.holdTime, torPeer.type], ["global", 30, "eBGP"]);
    // natOutgoing: a pod's connection to the client leaves with its node's address; pod to pod keeps the pod's.
    await startWhoamiServer(client);
    await startWhoamiServer(nodes[1].pods[0].namespace);
    assert.is(whoami(nodes[0].pods[0].namespace, "198.19.1.2"), nodes[0].address);
    assert.is(whoami(nodes[0].pods[0].namespace, nodes[1].pods[0].address), nodes[0].pods[0].address);
    const status = podnet(store, "status", "--bgp-control", nodes[0].bgpControl);
    assert.match(status.stdout, /\| 198\.18\.0\.4 +\| global +\| up +\| \d\d:\d\d:\d\d \| Established \|/);
  } finally {
    for (const node of nodes) await stopAgent(node);
    await bird.stop();
    lab.remove();
  }
});

test.run();
