// The userspace VXLAN path against what the underlay may carry besides peers' traffic: a peer's
// datagram fragmented on the way (the kernel reassembles it; podnet decapsulates it whole), a lone
// forged fragment (it never reaches podnet), truncated VXLAN from a forged peer address, and a
// flood of 64-byte datagrams from a stranger (dropped and counted; memory flat).
// Two nodes with agents (--userspace) and a third namespace on the segment with none: the stranger.
// Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cleanupNamespaces } from "./namespaces";
import { addPod, metricsIn, ping, sleep, startCluster, waitFor, type Cluster, type ClusterNode } from "./cluster";
import { echo, fragmentsOf, ipv4, sendRaw, udp, vxlan } from "./forged-packets";

const VXLAN_PORT = 8472;
let cluster: Cluster;
let n1: ClusterNode;
let n2: ClusterNode;
let stranger: ClusterNode;

test.before(async () => {
  cluster = await startCluster({ name: "hostile", backend: "vxlan", nodes: 3, agents: [1, 2], agentArgs: () => ["--userspace"] });
  [n1, n2, stranger] = cluster.nodes;
  addPod(cluster, n1);
  addPod(cluster, n2);
});
test.after(cleanupNamespaces);

/** node's decap counters by status. */
function decapCounts(node: ClusterNode): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, status, value] of metricsIn(node.namespace).matchAll(/^podnet_datapath_packets_total\{direction="decap",status="(\w+)"\} (\d+)$/gm)) counts[status] = Number(value);
  return counts;
}

/** A counter of the namespace's /proc/net/snmp (e.g. "Ip" "ReasmOKs", "Udp" "RcvbufErrors"). */
function snmp(where: { namespace: string }, group: string, name: string): number {
  const lines = execFileSync("ip", ["netns", "exec", where.namespace, "cat", "/proc/net/snmp"], { encoding: "utf8" }).split("\n").filter((line) => line.startsWith(`${group}:`));
  const names = lines[0].split(/\s+/);
  return Number(lines[1].split(/\s+/)[names.indexOf(name)]);
}

const rssMiB = (node: ClusterNode) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${node.agent.pid}/status`, "utf8"))![1]) / 1024;

test("an outer datagram fragmented on the way is reassembled by the kernel and decapsulated whole; a lone forged fragment never reaches podnet", async () => {
  // What a router with a smaller MTU makes of a peer's datagram: node 1's VXLAN datagram carrying
  // a 1,400-byte echo request for pod 2, in two fragments (sent from the stranger as node 1).
  const from = { from: "198.18.0.1", to: "198.18.0.2", identification: 0x2121 };
  const whole = ipv4(from, 17, udp(VXLAN_PORT, vxlan(1, echo(n2.pod.address, 1400))));
  const [first, second] = fragmentsOf(whole, from, 1000);
  const before = { counts: decapCounts(n2), reassembled: snmp(n2, "Ip", "ReasmOKs"), echoes: snmp(n2.pod, "Icmp", "InEchos") };
  assert.is(sendRaw(stranger.namespace, "198.18.0.3", first, 1), 1);
  assert.is(sendRaw(stranger.namespace, "198.18.0.3", second, 1), 1);
  await waitFor(() => snmp(n2.pod, "Icmp", "InEchos") === before.echoes + 1, 3000, "pod 2 got the echo request");
  const after = decapCounts(n2);
  assert.is(snmp(n2, "Ip", "ReasmOKs"), before.reassembled + 1, "node 2's kernel reassembled the datagram");
  assert.is(after.Ok, (before.counts.Ok ?? 0) + 1, "podnet decapsulated it whole");
  for (const status of ["Fragment", "Truncated", "Malformed", "UnknownPeer"]) assert.is(after[status] ?? 0, before.counts[status] ?? 0, status);

  // The first fragment alone, its rest never coming: the kernel holds it (and drops it after
  // ipfrag_time); podnet sees nothing.
  const requests = snmp(n2, "Ip", "ReasmReqds");
  const [lonely] = fragmentsOf(whole, { ...from, identification: 0x4242 }, 1000);
  assert.is(sendRaw(stranger.namespace, "198.18.0.3", lonely, 5), 5);
  await waitFor(() => snmp(n2, "Ip", "ReasmReqds") === requests + 5, 3000, "node 2's kernel took the fragments for reassembly");
  await sleep(300);
  assert.equal(decapCounts(n2), after, "podnet saw none of them");
  assert.ok(ping(n1.pod.namespace, n2.pod.address), "pods still reach each other");
});

test("VXLAN shorter than its headers from a forged peer address: each dropped and counted as Truncated", async () => {
  const before = decapCounts(n2).Truncated ?? 0;
  const short = ipv4({ from: "198.18.0.1", to: "198.18.0.2" }, 17, udp(VXLAN_PORT, new Uint8Array(4).fill(0x08)));
  assert.is(sendRaw(stranger.namespace, "198.18.0.3", short, 1000), 1000);
  await waitFor(() => (decapCounts(n2).Truncated ?? 0) === before + 1000, 5000, "1000 counted as Truncated");
  assert.ok(ping(n1.pod.namespace, n2.pod.address), "pods still reach each other");
});

test("a flood of 64-byte datagrams from a stranger: every one dropped and counted (by podnet, or by the kernel when the socket was full); memory flat", async () => {
  const counted = () => decapCounts(n2).UnknownPeer ?? 0;
  // Warm up what the relay allocates once (batch buffers), then measure.
  const datagram = ipv4({ from: "198.18.0.3", to: "198.18.0.2" }, 17, udp(VXLAN_PORT, new Uint8Array(64 - 28).fill(0x08)));
  assert.equal(datagram.length, 64);
  sendRaw(stranger.namespace, "198.18.0.3", datagram, 10_000);
  await sleep(500);
  const before = { counted: counted(), kernel: snmp(n2, "Udp", "RcvbufErrors"), rss: rssMiB(n2) };
  const total = 500_000;
  const started = Date.now();
  assert.is(sendRaw(stranger.namespace, "198.18.0.3", datagram, total), total);
  const seconds = (Date.now() - started) / 1000;
  await waitFor(() => counted() - before.counted + snmp(n2, "Udp", "RcvbufErrors") - before.kernel >= total, 10_000, "every datagram accounted for").catch(() => undefined);
  const byPodnet = counted() - before.counted;
  const byKernel = snmp(n2, "Udp", "RcvbufErrors") - before.kernel;
  const rss = rssMiB(n2);
  console.log(`  flood of ${total} 64-byte datagrams in ${seconds.toFixed(1)} s (${Math.round(total / seconds / 1000)} kpps): ${byPodnet} dropped and counted by podnet as UnknownPeer, ${byKernel} by the kernel (socket full), ${total - byPodnet - byKernel} elsewhere; agent RSS ${before.rss.toFixed(1)} → ${rss.toFixed(1)} MiB`);
  assert.ok(byPodnet > 0, "podnet counted some");
  assert.ok(byPodnet + byKernel >= total * 0.99, `${byPodnet} + ${byKernel} of ${total} accounted for`);
  assert.ok(rss - before.rss < 8, `RSS grew ${(rss - before.rss).toFixed(1)} MiB`);
  assert.ok(ping(n1.pod.namespace, n2.pod.address), "pods still reach each other");
});

test.run();
