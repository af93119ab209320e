// A three-member etcd cluster in the underlay's namespace and Flannel-mode agents (host-gw) given
// all three endpoints. The leader is SIGKILLed under a steady pod-to-pod ping: the agents carry on
// (renewals, watches and a node joining after the kill all go through the members left), no route
// is lost, and every node still holds exactly one lease. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cleanupNamespaces, spawnIn } from "./namespaces";
import { addPod, ip, metricsIn, ping, podnetRoutes, startCluster, waitFor, type ClusterNode } from "./cluster";
import { startEtcdCluster, type EtcdCluster } from "../helpers/etcd-server";

const MEMBERS = ["198.18.0.250", "198.18.0.251", "198.18.0.252"];
const LEASE_TTL_SECONDS = 6; // renewed every 3 s: renewals happen while the members elect a new leader
let etcd: EtcdCluster | undefined;

test.after(async () => {
  await etcd?.stop();
  cleanupNamespaces();
});

/** A counter or gauge from the agent's /metrics (summed over its labels). */
function metric(node: ClusterNode, name: string): number {
  return metricsIn(node.namespace).split("\n").filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`)).reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

/** The leases in etcd as subnet → PublicIP, read through a member's grpc-gateway from the underlay. */
function leasesIn(namespace: string, endpoint: string): Map<string, string> {
  const prefix = "/coreos.com/network/subnets/";
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const body = JSON.stringify({ key: Buffer.from(prefix).toString("base64"), range_end: Buffer.from(rangeEnd).toString("base64") });
  const reply = JSON.parse(execFileSync("ip", ["netns", "exec", namespace, "curl", "-sf", "-m", "2", "-X", "POST", "-d", body, `${endpoint}/v3/kv/range`], { encoding: "utf8" })) as { kvs?: Array<{ key: string; value: string }> };
  return new Map((reply.kvs ?? []).map((kv) => [Buffer.from(kv.key, "base64").toString().slice(prefix.length), String(JSON.parse(Buffer.from(kv.value, "base64").toString()).PublicIP)]));
}

/** The node's leased subnet, from its subnet file (which names the gateway, .1). */
const subnetOf = (node: ClusterNode) => /FLANNEL_SUBNET=(\S+)/.exec(readFileSync(node.subnetFile, "utf8"))![1].replace(/\.1\/24$/, ".0/24");

test("etcd's leader killed: the agents carry on through the other members; no route lost, no lease doubled", async () => {
  const cluster = await startCluster({
    name: "etcdha", backend: "host-gw", nodes: 4, agents: [],
    agentArgs: () => ["--store", "etcd", "--etcd-endpoints", MEMBERS.map((address) => `http://${address}:2379`).join(","), "--lease-ttl", String(LEASE_TTL_SECONDS)],
  });
  for (const address of MEMBERS) ip(cluster.lan, "addr", "add", `${address}/24`, "dev", "br0");
  etcd = await startEtcdCluster(cluster.lan, MEMBERS);
  const [first, second, third, late] = cluster.nodes;
  for (const node of [first, second, third]) cluster.startAgent(node);
  for (const node of [first, second, third]) await waitFor(() => podnetRoutes(node.namespace).length === 2, 15_000, `node ${node.index} routes its two peers: ${node.log().slice(-1500)}`);
  for (const node of [first, second, third]) addPod(cluster, node);
  assert.ok(ping(first.pod.namespace, second.pod.address) && ping(first.pod.namespace, third.pod.address), "pods reach each other before the kill");
  const routesBefore = [first, second, third].map((node) => podnetRoutes(node.namespace));
  const subnetsBefore = [first, second, third].map(subnetOf);
  const renewalsBefore = [first, second, third].map((node) => metric(node, "podnet_lease_renewals_total"));

  const stream = spawnIn(first.pod.namespace, "ping", ["-n", "-i", "0.01", "-W", "1", second.pod.address]);
  let replies = "";
  stream.stdout!.on("data", (chunk: Buffer) => (replies += chunk.toString()));
  await waitFor(() => replies.includes("icmp_seq="), 5000, "the steady ping answered");

  const leader = etcd.leader()!;
  const killed = Date.now();
  await leader.kill();
  await waitFor(() => etcd!.leader() !== undefined, 15_000, "a new etcd leader");
  const electedAfter = Date.now() - killed;
  const survivor = etcd.members.find((member) => member.running())!;

  // A node joining after the kill: its lease is taken through a member left, and every agent's
  // watch (some were on the dead member) brings its route.
  cluster.startAgent(late);
  for (const node of [first, second, third]) await waitFor(() => podnetRoutes(node.namespace).length === 3, 20_000, `node ${node.index} routes the node that joined after the kill: ${node.log().slice(-1500)}`);
  const joinedAfter = Date.now() - killed;
  // Every agent renews through the members left (a renewal is due every 3 s).
  for (const [index, node] of [first, second, third].entries()) {
    await waitFor(() => metric(node, "podnet_lease_renewals_total") >= renewalsBefore[index] + 2, 15_000, `node ${node.index} renews after the kill: ${node.log().slice(-1500)}`);
  }
  await waitFor(() => [first, second, third, late].every((node) => execFileSync("ip", ["netns", "exec", node.namespace, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9808/healthz"], { encoding: "utf8" }) === "200"), 10_000, "every agent healthy");
  stream.kill("SIGINT");
  await once(stream, "exit");

  const sequences = [...replies.matchAll(/icmp_seq=(\d+)/g)].map((match) => Number(match[1]));
  const lost = Math.max(...sequences) - Math.min(...sequences) + 1 - new Set(sequences).size;
  assert.is(lost, 0, `pings lost across the leader's death (${sequences.length} answered)`);
  // The routes that were right stayed; each node gained only the new node's.
  const lateSubnet = subnetOf(late);
  for (const [index, node] of [first, second, third].entries()) {
    assert.equal(podnetRoutes(node.namespace), [...routesBefore[index], lateSubnet].sort(), `node ${node.index}'s routes`);
  }
  assert.equal([first, second, third].map(subnetOf), subnetsBefore, "every node kept its subnet");
  // One lease per node, none doubled, none lost.
  const leases = leasesIn(cluster.lan, survivor.endpoint);
  assert.equal([...leases.values()].sort(), ["198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"]);
  assert.equal([...leases.keys()].map((key) => key.replace("-", "/")).sort(), [...subnetsBefore, lateSubnet].sort());
  const storeErrors = [first, second, third].map((node) => metric(node, "podnet_store_errors_total"));
  console.log(`  etcd leader ${leader.name} SIGKILLed: new leader after ${electedAfter} ms; a node joining after it routed everywhere ${joinedAfter} ms after the kill; ${sequences.length} pings, 0 lost; store errors counted meanwhile: ${storeErrors.join(", ")}`);
});

test.run();
