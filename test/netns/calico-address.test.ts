// A Calico-mode agent whose address is not (yet) on its interface waits rather than exits: it
// logs why, /healthz answers 503, and once the address is there it registers and becomes
// healthy. Nodes and BGP routes with addresses no node can have are skipped. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces, ipJson } from "./namespaces";
import { healthIn, metricsIn } from "./cluster";
import { calicoNodes, podnet, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, startPodnetSpeaker, waitUntil } from "../bgp/lab";
import { controlRequest } from "../../host/bgp/control";
import type { PeerStatus } from "../../host/bgp/status";

test.after(cleanupNamespaces);

test("the node's address missing from its interface: the agent waits, says why, /healthz 503; the address added: registered, 200", async () => {
  const lab = createLab("address", 1);
  const [node] = calicoNodes(lab);
  node.address = "198.18.0.9"; // not on eth0 (198.18.0.1/24) yet
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  assert.equal(podnet(store, "apply", "-f", pool).status, 0);
  try {
    startAgent(node, store);
    await waitUntil(() => node.output.includes("waiting for this node's address in CIDR form: 198.18.0.9 is not an address of eth0"), 10_000, "the agent says why it waits");
    assert.is(healthIn(node.namespace), "503");
    assert.is(node.agent!.exitCode, null);
    assert.equal(podnet(store, "get", "nodes").stdout, "NAME\n");

    execFileSync("ip", ["-n", node.namespace, "addr", "add", "198.18.0.9/24", "dev", "eth0"]);
    await waitUntil(() => node.output.includes("BGP speaker up"), 10_000, "registered once the address is there");
    await waitUntil(() => healthIn(node.namespace) === "200", 10_000, "healthy");
    assert.equal(podnet(store, "get", "nodes", "-o", "wide").stdout, "NAME   ASN      IPV4           IPV6\nnode1  (64512)  198.18.0.9/24\n");
  } finally {
    await stopAgent(node);
    lab.remove();
  }
});

test("Nodes written by someone else with a loopback, multicast or another node's address are skipped and logged, never peered with", async () => {
  const lab = createLab("hostile", 2);
  const nodes = calicoNodes(lab);
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  const node = (name: string, address: string) => `apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: ${name}\nspec:\n  bgp:\n    ipv4Address: ${address}\n`;
  const hostile = join(lab.directory, "hostile.yaml");
  // Applied before the agents register. a-impostor claims node2's address and sorts first: the
  // address is still peered with once (a session is by address), whichever Node names it.
  writeFileSync(hostile, [node("a-impostor", "198.18.0.2/24"), node("loop", "127.0.0.1/8"), node("multi", "224.0.0.5/4"), node("zz-copy", "198.18.0.1/24")].join("---\n"));
  writeFileSync(join(lab.directory, "pool.yaml"), "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  assert.equal(podnet(store, "apply", "-f", join(lab.directory, "pool.yaml")).status, 0);
  assert.equal(podnet(store, "apply", "-f", hostile).status, 0);
  try {
    for (const each of nodes) startAgent(each, store);
    await waitUntil(async () => {
      const peers = (await controlRequest(nodes[0].bgpControl, { command: "peers" }).catch(() => [])) as PeerStatus[];
      return peers.length === 1 && peers[0].address === "198.18.0.2" && peers[0].state === "Established";
    }, 20_000, "node1 peers with node2 only, once");
    await waitUntil(() => nodes[0].output.includes("Node loop skipped: its address 127.0.0.1 is a loopback address (127.0.0.0/8)") && nodes[0].output.includes("Node multi skipped: its address 224.0.0.5 is a multicast address (224.0.0.0/4)"), 5000, "node1 logs the bad addresses");
    // node2 sees zz-copy claim node1's address after node1's own entry: skipped, named.
    await waitUntil(() => nodes[1].output.includes("Node zz-copy claims 198.18.0.1, which Node node1 holds: skipped"), 5000, "node2 logs the copy");
    // node2's control socket is served once its agent has started (after the log line above).
    const peersOf = async (node: (typeof nodes)[number]) => ((await controlRequest(node.bgpControl, { command: "peers" }).catch(() => [])) as PeerStatus[]).map((peer) => peer.address);
    await waitUntil(async () => JSON.stringify(await peersOf(nodes[1])) === '["198.18.0.1"]', 10_000, "node2 peers with node1 only");
  } finally {
    for (const each of nodes) await stopAgent(each);
    lab.remove();
  }
});

test("routes from a BGP peer whose next hop no node can have: loopback and multicast withdrawn by the speaker (RFC 7606), link-local skipped and counted by the agent; none programmed, the good one is", async () => {
  const lab = createLab("nexthop", 2);
  const [node] = calicoNodes(lab);
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  writeFileSync(join(lab.directory, "pool.yaml"), "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  writeFileSync(join(lab.directory, "router.yaml"), "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: router\nspec:\n  peerIP: 198.18.0.2\n  asNumber: 64512\n");
  assert.equal(podnet(store, "apply", "-f", join(lab.directory, "pool.yaml")).status, 0);
  assert.equal(podnet(store, "apply", "-f", join(lab.directory, "router.yaml")).status, 0);
  // A route server that is no podnet node (iBGP: next hops pass unchanged), announcing what
  // someone may have misconfigured.
  const router = startPodnetSpeaker(lab, lab.nodes[1], ["--as", "64512", "--peer", "198.18.0.1,as=64512",
    "--announce", "10.244.97.0/26", "--announce", "10.244.98.0/26,next-hop=127.0.0.1", "--announce", "10.244.99.0/26,next-hop=224.0.0.5", "--announce", "10.244.96.0/26,next-hop=169.254.1.1"]);
  try {
    startAgent(node, store);
    const routed = () => (ipJson(node.namespace, ["route", "show", "proto", "107"]) as Array<{ dst: string; gateway?: string; type?: string }>).filter((route) => route.type !== "blackhole").map((route) => `${route.dst} via ${route.gateway}`);
    await waitUntil(() => routed().includes("10.244.97.0/26 via 198.18.0.2"), 20_000, "the good route programmed");
    await waitUntil(() => node.output.includes("NEXT_HOP 127.0.0.1 is not a unicast address → treat-as-withdraw") && node.output.includes("NEXT_HOP 224.0.0.5 is not a unicast address → treat-as-withdraw"), 10_000, "the speaker withdraws loopback and multicast next hops");
    await waitUntil(() => node.output.includes("route to 10.244.96.0/26 from 198.18.0.2: next hop 169.254.1.1 is a link-local address"), 10_000, "the agent skips the link-local next hop, naming it");
    await waitUntil(() => /^podnet_peer_errors_total\{reason="bad-address"\} [1-9]\d*$/m.test(metricsIn(node.namespace)), 10_000, "counted as bad-address");
    assert.equal(routed(), ["10.244.97.0/26 via 198.18.0.2"]);
    assert.is(healthIn(node.namespace), "200");
  } finally {
    await stopAgent(node);
    await router.stop();
    lab.remove();
  }
});

test.run();
