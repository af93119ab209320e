// Calico mode's IPIP across two L2 segments joined by a router namespace: nodes 1 and 2 on
// 198.18.0.0/24, node 3 on 198.18.1.0/24. This kernel has no ipip module, so the agents run IPIP in
// userspace (TUN tunl0 + Wasm + raw socket). With CrossSubnet, pods on nodes 1 and 2 talk plain
// IPv4 and anything to node 3 is IPv4-in-IPv4 (captures decoded by tshark and by podnet); Always
// tunnels everything; Never leaves node 3's pods to the router, which reaches them once BIRD on it
// learns the blocks by BGP. Plus the MTU edge, a protocol-4 packet from a stranger, and a restart.
// Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, ipJson, spawnIn } from "./namespaces";
import { ip, metricsIn, ping, pingOutput, restoreAfterDelete, sleep, startEchoServer, tcpEcho, waitFor } from "./cluster";
import { installPlugin, type Installed } from "./cni-runtime";
import { addPod, calicoNodes, podnet, routes, startAgent, type CalicoNode, type StoreChoice } from "./calico-cluster";
import { agree } from "./field-agreement";
import { startBird, type Lab } from "../bgp/lab";
import { echo, ipv4, sendRaw } from "./forged-packets";

test.after(cleanupNamespaces);

/** Nodes 1 and 2 on segment A (bridge brA in the router), node 3 on segment B (brB); the router forwards. */
function twoSegments(): Lab {
  const router = createNamespace("ipip-router");
  ip(router, "link", "add", "brA", "type", "bridge");
  ip(router, "link", "add", "brB", "type", "bridge");
  ip(router, "addr", "add", "198.18.0.254/24", "dev", "brA");
  ip(router, "addr", "add", "198.18.1.254/24", "dev", "brB");
  for (const bridge of ["brA", "brB"]) ip(router, "link", "set", bridge, "up");
  execFileSync("ip", ["netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  const places = [["198.18.0.1", "brA", "198.18.0.254"], ["198.18.0.2", "brA", "198.18.0.254"], ["198.18.1.3", "brB", "198.18.1.254"]];
  const nodes = places.map(([address, bridge, gateway], i) => {
    const namespace = createNamespace(`ipip-${i + 1}`);
    ip(router, "link", "add", `port${i + 1}`, "type", "veth", "peer", "name", "eth0", "netns", namespace);
    ip(router, "link", "set", `port${i + 1}`, "master", bridge, "up");
    ip(namespace, "addr", "add", `${address}/24`, "dev", "eth0");
    ip(namespace, "link", "set", "eth0", "up");
    ip(namespace, "route", "add", "default", "via", gateway);
    return { namespace, address };
  });
  return { nodes, hub: router, directory: mkdtempSync(join(tmpdir(), "podnet-ipip-")), remove: () => undefined };
}

// Made when this suite starts, not when the file loads: suites run in one process, and an earlier
// suite's cleanup removes every namespace made so far.
let lab: Lab, router: string, store: StoreChoice, installed: Installed;
let nodes: CalicoNode[], node1: CalicoNode, node2: CalicoNode, node3: CalicoNode;
test.before(() => {
  lab = twoSegments();
  router = lab.hub;
  nodes = calicoNodes(lab);
  [node1, node2, node3] = nodes;
  const storePath = join(lab.directory, "store.db");
  store = { flags: ["--store-path", storePath], ipam: { storePath } };
  installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
});

function applyPool(ipipMode: string): void {
  const file = join(lab.directory, `pool-${ipipMode}.yaml`);
  writeFileSync(file, `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n  ipipMode: ${ipipMode}\n`);
  const applied = podnet(store, "apply", "-f", file);
  assert.is(applied.status, 0, applied.stderr);
}

/** The block (/26) a node's first pod lives in. */
const blockOf = (node: CalicoNode) => {
  const [a, b, c, d] = node.pods[0].address.split(".").map(Number);
  return `${a}.${b}.${c}.${d & ~63}/26`;
};

/** How `from` routes `to`'s block: "tunl0 via <node>", "eth0 via <gateway>", or "none". */
function routeTo(from: CalicoNode, to: CalicoNode): string {
  const route = routes(from.namespace).find((entry) => entry.dst === blockOf(to) && entry.protocol === "107");
  return route ? `${route.dev} via ${route.gateway}` : "none";
}

/** Captures on the router's bridge while `work` runs; returns the pcap file. */
async function capture(bridge: string, filter: string, work: () => void): Promise<string> {
  const pcap = join(lab.directory, `${bridge}-${Date.now()}.pcap`);
  const dumper = spawn("ip", ["netns", "exec", router, "tshark", "-i", bridge, "-f", filter, "-w", pcap], { stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  dumper.stderr!.on("data", (chunk: Buffer) => (said += chunk.toString()));
  try {
    await waitFor(() => said.includes("Capturing on"), 10_000, `tshark capturing on ${bridge}`);
    await sleep(200);
    work();
    await sleep(300);
  } finally {
    dumper.kill("SIGINT");
    await once(dumper, "exit");
  }
  return pcap;
}

/** tshark's protocol stack and IPv4 addresses (outer first) for each packet of `pcap`. */
function stacks(pcap: string): string[] {
  const output = execFileSync("tshark", ["-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "separator=/s", "-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst"], { encoding: "utf8" });
  return output.trim().split("\n").filter(Boolean);
}

const everyPairPings = () => {
  for (const from of nodes) for (const to of nodes) if (from !== to) assert.ok(ping(from.pods[0].namespace, to.pods[0].address), `${from.name} pod → ${to.name} pod`);
};

test("CrossSubnet: plain IPv4 between nodes 1 and 2, IPv4-in-IPv4 to node 3 through a userspace tunl0; pods get MTU 1480", async () => {
  applyPool("CrossSubnet");
  for (const node of nodes) startAgent(node, store);
  await waitFor(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
  // No mtu in the conflist: the agent gives the pods the underlay's less IPIP's 20 bytes.
  for (const node of nodes) addPod(installed, node, store, 1, { mtu: undefined });
  await waitFor(() => routeTo(node1, node3) === "tunl0 via 198.18.1.3" && routeTo(node1, node2) === "eth0 via 198.18.0.2" && routeTo(node3, node1) === "tunl0 via 198.18.0.1", 20_000,
    "routes: native on the segment, through tunl0 across it").catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(routes(node1.namespace))}\n${node1.output.slice(-3000)}`);
  });
  assert.is(routeTo(node2, node1), "eth0 via 198.18.0.1");
  assert.is(routeTo(node2, node3), "tunl0 via 198.18.1.3");
  const tunnelRoute = routes(node1.namespace).find((entry) => entry.dst === blockOf(node3))!;
  assert.equal((tunnelRoute as { flags?: string[] }).flags, ["onlink"]);
  // The tunnel route deleted by hand is put back at once (kernel-monitor.ts).
  const restored = await restoreAfterDelete(node1.namespace, blockOf(node3));
  console.log(`  ipip: route to ${blockOf(node3)} through tunl0 deleted by hand on node1: back after ${restored.milliseconds} ms`);
  assert.ok(restored.milliseconds <= 100 && restored.same, `tunnel route restored as it was within 100 ms (${restored.milliseconds} ms)`);
  // tunl0: a TUN device holding one address of the node's own block as a /32, MTU 1480.
  for (const node of nodes) {
    const [device] = ipJson(node.namespace, ["-details", "address", "show", "dev", "tunl0"]) as Array<{ mtu: number; linkinfo: { info_kind: string }; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
    assert.is(device.linkinfo.info_kind, "tun");
    assert.is(device.mtu, 1480);
    const ipv4 = device.addr_info.filter((entry) => entry.family === "inet");
    assert.is(ipv4.length, 1);
    assert.is(ipv4[0].prefixlen, 32);
    const [a, b, c, d] = ipv4[0].local.split(".").map(Number);
    assert.is(`${a}.${b}.${c}.${d & ~63}/26`, blockOf(node));
    // The log arrives through a pipe the synchronous calls above kept the loop from reading.
    await waitFor(() => node.output.includes("IPIP in userspace: TUN device, Wasm core, raw IP-protocol-4 socket"), 3000, `${node.name} logs the userspace tunnel`);
    const [pod] = ipJson(node.pods[0].namespace, ["link", "show", "dev", "eth0"]) as Array<{ mtu: number }>;
    assert.is(pod.mtu, 1480);
  }
  everyPairPings();
  // The node's own traffic to a remote pod leaves from the tunnel address and comes back through it.
  assert.ok(ping(node1.namespace, node3.pods[0].address), "node 1 → pod on node 3");

  const [pod1, pod2, pod3] = nodes.map((node) => node.pods[0]);
  const sameSegment = await capture("brA", "icmp or ip proto 4", () => assert.ok(ping(pod1.namespace, pod2.address, ["-c", "3", "-i", "0.2"])));
  const plain = stacks(sameSegment);
  assert.ok(plain.length >= 6, `captured ${plain.length}`);
  for (const line of plain) assert.ok(line === `eth:ethertype:ip:icmp:data ${pod1.address} ${pod2.address}` || line === `eth:ethertype:ip:icmp:data ${pod2.address} ${pod1.address}`, line);
  const across = await capture("brB", "ip proto 4", () => assert.ok(ping(pod1.namespace, pod3.address, ["-c", "3", "-i", "0.2"])));
  const tunnelled = stacks(across);
  assert.ok(tunnelled.length >= 6, `captured ${tunnelled.length}`);
  for (const line of tunnelled) {
    assert.ok(line === `eth:ethertype:ip:ip:icmp:data 198.18.0.1,${pod1.address} 198.18.1.3,${pod3.address}` || line === `eth:ethertype:ip:ip:icmp:data 198.18.1.3,${pod3.address} 198.18.0.1,${pod1.address}`, line);
  }
  // podnet packet decode reads the same capture field by field as tshark does.
  agree(across, 6);
});

test("a protocol-4 packet from an address that is not a peer node is dropped and counted", async () => {
  const unknownPeer = () => Number(/podnet_datapath_packets_total\{direction="decap",status="UnknownPeer"\} (\d+)/.exec(metricsIn(node1.namespace))?.[1] ?? 0);
  const before = unknownPeer();
  // The router is not a node: it sends node 1 an IPIP packet for node 1's pod through its own raw socket.
  assert.is(sendRaw(router, "198.18.0.254", ipv4({ from: "198.18.0.254", to: "198.18.0.1" }, 4, echo(node1.pods[0].address)), 3), 3);
  await waitFor(() => unknownPeer() === before + 3, 3000, "3 packets counted as UnknownPeer");
  assert.ok(ping(node2.pods[0].namespace, node1.pods[0].address), "traffic from real peers still flows");
});

test("MTU edge through the tunnel: the largest DF ping passes, one byte more gets fragmentation needed (mtu 1480); TCP from a 1500-MTU pod does not black-hole", async () => {
  const pod1 = node1.pods[0];
  const pod3 = node3.pods[0];
  assert.ok(ping(pod1.namespace, pod3.address, ["-M", "do", "-s", "1452"]), "1480-byte DF ping");
  addPod(installed, node1, store, 2, { mtu: 1500 });
  addPod(installed, node3, store, 2, { mtu: 1500 });
  const big1 = node1.pods[1];
  const big3 = node3.pods[1];
  assert.ok(ping(big1.namespace, big3.address, ["-M", "do", "-s", "1452"]), "1480 bytes from a 1500-MTU pod");
  assert.match(pingOutput(big1.namespace, big3.address, ["-M", "do", "-s", "1453"]), "Frag needed and DF set (mtu = 1480)");
  await startEchoServer(big3.namespace);
  assert.ok(tcpEcho(big1.namespace, big3.address), "200 kB of TCP between 1500-MTU pods across the tunnel");
});

test("agent on node 1 restarted while traffic flows: the userspace tunnel answers again within 1 s of the start", async () => {
  const pod1 = node1.pods[0].namespace;
  const stream = spawnIn(pod1, "ping", ["-D", "-n", "-i", "0.01", "-W", "1", node3.pods[0].address]);
  let replies = "";
  stream.stdout!.on("data", (chunk: Buffer) => (replies += chunk.toString()));
  const before = JSON.stringify(routes(node1.namespace));
  await sleep(300);
  const killed = Date.now();
  node1.agent!.kill("SIGKILL");
  await once(node1.agent!, "exit");
  await sleep(200);
  const restarted = Date.now();
  startAgent(node1, store);
  const replyTimes = () => [...replies.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((match) => Number(match[1]) * 1000);
  const firstReply = () => replyTimes().find((at) => at >= restarted);
  await waitFor(() => firstReply() !== undefined, 10_000, "traffic after the restart");
  stream.kill("SIGTERM");
  const resumedAfter = Math.round(firstReply()! - restarted);
  const lastBefore = replyTimes().filter((at) => at < killed).pop()!;
  console.log(`  ipip (userspace): pod traffic through node 1 answered ${resumedAfter} ms after its agent was started again (no replies for ${Math.round(firstReply()! - lastBefore)} ms, 200 of them with no agent)`);
  assert.ok(resumedAfter <= 1000, `userspace IPIP resumed after ${resumedAfter} ms (want ≤ 1 s)`);
  // The persistent device kept its routes; once BGP has converged again, nothing has changed.
  await waitFor(() => node1.output.includes("BGP tables complete after the restart"), 10_000, "node 1's BGP tables complete");
  await sleep(2500); // a reconcile after it
  assert.is(JSON.stringify(routes(node1.namespace)), before);
});

test("Always: traffic between nodes 1 and 2 is tunnelled too", async () => {
  applyPool("Always");
  await waitFor(() => routeTo(node1, node2) === "tunl0 via 198.18.0.2" && routeTo(node2, node1) === "tunl0 via 198.18.0.1", 15_000, "routes on the segment through tunl0");
  const [pod1, pod2] = [node1.pods[0], node2.pods[0]];
  const pcap = await capture("brA", "icmp or ip proto 4", () => assert.ok(ping(pod1.namespace, pod2.address, ["-c", "3", "-i", "0.2"])));
  const lines = stacks(pcap).filter((line) => line.includes("icmp"));
  assert.ok(lines.length >= 6, `captured ${lines.length}`);
  for (const line of lines) assert.match(line, /^eth:ethertype:ip:ip:icmp:data 198\.18\.0\.[12],10\.244/);
  everyPairPings();
});

test("Never: node 3's pods are unreachable while the router has no pod routes, and reachable once BIRD on it learns them by BGP", async () => {
  applyPool("Never");
  await waitFor(() => routeTo(node1, node3) === "eth0 via 198.18.0.254" && routeTo(node1, node2) === "eth0 via 198.18.0.2" && routeTo(node3, node1) === "eth0 via 198.18.1.254", 15_000, "node 3's block via the router (gateway recursive)").catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(routes(node1.namespace))}`);
  });
  const routerRoutes = () => (ipJson(router, ["route", "show"]) as Array<{ dst: string }>).map((route) => route.dst);
  assert.not.ok(routerRoutes().some((dst) => dst.startsWith("10.244.")), "the router has no pod routes");
  // The router has no route to either pod (it cannot even answer with an ICMP error): the ping is lost.
  assert.match(pingOutput(node1.pods[0].namespace, node3.pods[0].address), "1 packets transmitted, 0 received, 100% packet loss");
  assert.ok(ping(node1.pods[0].namespace, node2.pods[0].address), "same segment still fine");

  // The router peers by BGP with every node (node-specific BGPPeers, each on its own segment).
  const peers = join(lab.directory, "router-peers.yaml");
  writeFileSync(peers, nodes.map((node, i) => `apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: router-${node.name}\nspec:\n  node: ${node.name}\n  peerIP: ${i < 2 ? "198.18.0.254" : "198.18.1.254"}\n  asNumber: 64513\n`).join("---\n"));
  assert.is(podnet(store, "apply", "-f", peers).status, 0);
  const bird = startBird(lab, { namespace: router, address: "198.18.0.254" }, `router id 198.18.0.254;
log stderr all;
protocol device { scan time 2; }
protocol kernel { ipv4 { export all; }; }
${nodes.map((node) => `protocol bgp ${node.name} { local as 64513; neighbor ${node.address} as 64512; ipv4 { import all; export none; }; }`).join("\n")}
`);
  await waitFor(() => routerRoutes().filter((dst) => dst.startsWith("10.244.")).length >= 3, 30_000, "the router learns the blocks").catch((error: Error) => {
    throw new Error(`${error.message}: ${bird.birdc("show", "protocols")}`);
  });
  everyPairPings();
  await bird.stop();
});

test.run();
