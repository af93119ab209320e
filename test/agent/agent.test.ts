// The agent as operators run it: the single executable, on the embedded store and on a real
// etcd, two nodes seeing each other, metrics and health, a clean stop that keeps the lease, bad
// store entries skipped, and an etcd outage survived.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distPath } from "../helpers/paths";
import { freePort, startEtcd, type EtcdServer } from "../helpers/etcd-server";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { EtcdKv } from "../../host/store/etcd-kv";

const NETWORK = '{"Network":"10.244.0.0/16","Backend":{"Type":"none"}}';
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const agents = new Set<ChildProcess>();
let etcd: EtcdServer | undefined;

interface RunningAgent {
  child: ChildProcess;
  metricsPort: number;
  subnetFile: string;
  log: () => string;
}

async function startAgent(directory: string, name: string, publicIp: string, storeFlags: string[], extra: string[] = []): Promise<RunningAgent> {
  const metricsPort = await freePort();
  const subnetFile = join(directory, `${name}.env`);
  const child = spawn(distPath("podnet"), ["agent", ...storeFlags, "--public-ip", publicIp, "--iface", "eth0", "--subnet-file", subnetFile,
    "--network-config", NETWORK, "--mtu", "1500", "--metrics-address", `127.0.0.1:${metricsPort}`, "--reconcile-interval", "1", "--cni-socket", "none", "--log-format", "json", ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  agents.add(child);
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  const agent = { child, metricsPort, subnetFile, log: () => log };
  await until(async () => (await health(agent)) === 200, `agent ${name} healthy`);
  return agent;
}

async function health(agent: RunningAgent): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${agent.metricsPort}/healthz`)).status;
  } catch {
    return 0;
  }
}

async function metric(agent: RunningAgent, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  return line ? Number(line.split(" ").pop()) : NaN;
}

async function until(check: () => Promise<boolean> | boolean, what: string, milliseconds = 10_000): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stopAgent(agent: RunningAgent): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => agent.child.once("exit", (code) => resolve(code)));
  process.kill(agent.child.pid!, "SIGTERM");
  const code = await exited;
  agents.delete(agent.child);
  return code;
}

test.after(async () => {
  for (const child of agents) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, "SIGKILL");
  await etcd?.stop();
});

test("two agents on the embedded store lease different subnets, write subnet files, and see each other", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-"));
  const store = ["--store", "sqlite", "--store-path", join(directory, "store.db")];
  const a = await startAgent(directory, "a", "198.18.0.1", store);
  const b = await startAgent(directory, "b", "198.18.0.2", store);
  await until(async () => (await metric(a, "podnet_peer_routes")) === 1 && (await metric(b, "podnet_peer_routes")) === 1, "each agent to know the other");
  const fileA = readFileSync(a.subnetFile, "utf8");
  const fileB = readFileSync(b.subnetFile, "utf8");
  assert.match(fileA, /^FLANNEL_NETWORK=10\.244\.0\.0\/16\nFLANNEL_SUBNET=10\.244\.\d+\.1\/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n$/);
  assert.is.not(fileA.split("\n")[1], fileB.split("\n")[1]);
  assert.ok((await metric(a, "podnet_reconcile_runs_total")) >= 1);
  assert.match(a.log(), '"msg":"peer added"');

  // A broken entry is logged and skipped; the agent carries on.
  const kv = new SqliteKv(join(directory, "store.db"));
  await kv.create("/coreos.com/network/subnets/10.244.250.0-24", "{broken", 0);
  await until(() => a.log().includes("skipped a store entry that is not a valid lease"), "the skip to be logged");
  assert.is(await health(a), 200);
  assert.is(await metric(a, "podnet_peer_routes"), 1);
  assert.is(await metric(a, "podnet_leases_known"), 1, "the older name, kept for one release, says the same");
  await kv.close();

  // A clean stop keeps the lease: the restarted agent gets the same subnet, the other still sees it.
  assert.is(await stopAgent(b), 0);
  assert.match(b.log(), "agent stopped; lease kept");
  const again = await startAgent(directory, "b", "198.18.0.2", store);
  assert.is(readFileSync(again.subnetFile, "utf8"), fileB);
  assert.is(await stopAgent(again), 0);
  assert.is(await metric(a, "podnet_peer_routes"), 1);
  assert.is(await stopAgent(a), 0);
});

test("leases written by someone else with a public IP no node can have, or outside the network, are skipped, logged and counted, never programmed", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-hostile-"));
  const store = ["--store", "sqlite", "--store-path", join(directory, "store.db")];
  const a = await startAgent(directory, "a", "198.18.0.1", store);
  const kv = new SqliteKv(join(directory, "store.db"));
  const lease = (publicIp: string) => JSON.stringify({ PublicIP: publicIp, PublicIPv6: null, BackendType: "none", BackendData: null });
  const hostile: Array<[string, string, string]> = [
    ["10.244.201.0-24", "127.0.0.1", "PublicIP 127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["10.244.202.0-24", "0.0.0.0", "PublicIP 0.0.0.0 is an unspecified address (0.0.0.0/8)"],
    ["10.244.203.0-24", "224.0.0.5", "PublicIP 224.0.0.5 is a multicast address (224.0.0.0/4)"],
    ["10.244.204.0-24", "198.18.0.1", "PublicIP 198.18.0.1 is this node's own address"],
    ["10.99.0.0-24", "198.18.0.9", "is for 10.99.0.0/24, outside the network 10.244.0.0/16"],
  ];
  for (const [key, publicIp] of hostile) assert.ok(await kv.create(`/coreos.com/network/subnets/${key}`, lease(publicIp), 0));
  assert.ok(await kv.create("/coreos.com/network/subnets/10.244.205.0-24", lease("198.18.0.5"), 0));
  await until(async () => (await metric(a, "podnet_peer_routes")) === 1, "the one good lease programmed");
  await until(() => hostile.every(([, , message]) => a.log().includes(message)), "every hostile lease logged with its reason");
  await until(async () => (await metric(a, 'podnet_peer_errors_total{reason="bad-address"}')) >= 4 && (await metric(a, 'podnet_peer_errors_total{reason="outside-network"}')) >= 1, "counted by reason");
  assert.is(await health(a), 200);
  await kv.close();
  assert.is(await stopAgent(a), 0);
});

test("a dead node's lease expires and every other agent removes its route within the TTL and a reconcile", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-dead-"));
  const store = ["--store", "sqlite", "--store-path", join(directory, "store.db")];
  const a = await startAgent(directory, "a", "198.18.0.1", store);
  const b = await startAgent(directory, "b", "198.18.0.2", store, ["--lease-ttl", "3"]);
  await until(async () => (await metric(a, "podnet_peer_routes")) === 1, "a to see b");
  const killed = Date.now();
  b.child.kill("SIGKILL");
  agents.delete(b.child);
  await until(async () => (await metric(a, "podnet_peer_routes")) === 0, "a to drop b's lease", 10_000);
  const gone = Date.now() - killed;
  assert.ok(gone <= 3000 + 1500, `b's route went ${gone} ms after it died (TTL 3 s, reconcile 1 s)`);
  assert.match(a.log(), '"msg":"peer removed"');
  console.log(`  a dead node's lease (TTL 3 s): its route gone from the others ${gone} ms after it died`);
  assert.is(await stopAgent(a), 0);
});

test("a malformed network config is logged and waited out; the agent leases once a good one is written", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-config-"));
  const storePath = join(directory, "store.db");
  const kv = new SqliteKv(storePath);
  await kv.create("/coreos.com/network/config", '{"Network":"10.244.0.0/33"}', 0);
  const metricsPort = await freePort();
  const child = spawn(distPath("podnet"), ["agent", "--store-path", storePath, "--public-ip", "198.18.0.8", "--iface", "eth0",
    "--subnet-file", join(directory, "a.env"), "--metrics-address", `127.0.0.1:${metricsPort}`, "--backend", "none", "--cni-socket", "none", "--log-format", "json"], { stdio: ["ignore", "ignore", "pipe"] });
  agents.add(child);
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  const agent = { child, metricsPort, subnetFile: join(directory, "a.env"), log: () => log };
  await until(() => log.includes("no usable network config; waiting for one"), "the bad config to be logged");
  assert.match(log, "has length 33, more than 32");
  assert.is(await health(agent), 503);
  assert.is(child.exitCode, null);
  const stored = (await kv.get("/coreos.com/network/config"))!;
  await kv.update("/coreos.com/network/config", '{"Network":"10.244.0.0/16"}', stored.modRevision, 0);
  await kv.close();
  await until(async () => (await health(agent)) === 200, "the agent to lease with the fixed config", 15_000);
  assert.match(readFileSync(agent.subnetFile, "utf8"), /^FLANNEL_NETWORK=10\.244\.0\.0\/16\n/);
  assert.is(await stopAgent(agent), 0);
});

test("changes lost to a compacted history are recovered by listing again", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-compact-"));
  const storePath = join(directory, "store.db");
  const agent = await startAgent(directory, "a", "198.18.0.10", ["--store", "sqlite", "--store-path", storePath], ["--reconcile-interval", "3600"]);
  // Freeze the agent, add a node and compact the history past it, then let the agent run on.
  process.kill(agent.child.pid!, "SIGSTOP");
  const kv = new SqliteKv(storePath);
  await kv.create("/coreos.com/network/subnets/10.244.99.0-24", '{"PublicIP":"198.18.0.99","PublicIPv6":null,"BackendType":"none","BackendData":null}', 0);
  await kv.compact((await kv.range("/")).revision);
  await kv.close();
  process.kill(agent.child.pid!, "SIGCONT");
  await until(async () => (await metric(agent, "podnet_peer_routes")) === 1, "the agent to list again and find the new node");
  assert.match(agent.log(), '"msg":"watch history compacted; listing again"');
  assert.is(await stopAgent(agent), 0);
});

test("the lease is renewed before it expires and outlives its TTL", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-renew-"));
  const storePath = join(directory, "store.db");
  // A 4 s lease is renewed at half its life (the margin is at most half the TTL).
  const agent = await startAgent(directory, "a", "198.18.0.9", ["--store", "sqlite", "--store-path", storePath], ["--lease-ttl", "4"]);
  await until(async () => (await metric(agent, "podnet_lease_renewals_total")) >= 3, "three renewals", 15_000);
  const kv = new SqliteKv(storePath);
  await kv.expire();
  const { items } = await kv.range("/coreos.com/network/subnets/");
  assert.equal(items.map((item) => JSON.parse(item.value).PublicIP), ["198.18.0.9"]);
  await kv.close();
  assert.match(agent.log(), '"msg":"lease renewed"');
  assert.is(await stopAgent(agent), 0);
});

test("SIGTERM while the agent waits for a store that does not answer ends it within a second, exit 0", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-noetcd-"));
  const metricsPort = await freePort();
  const child = spawn(distPath("podnet"), ["agent", "--store", "etcd", "--etcd-endpoints", `http://127.0.0.1:${await freePort()}`, "--public-ip", "198.18.0.8", "--iface", "eth0",
    "--subnet-file", join(directory, "a.env"), "--metrics-address", `127.0.0.1:${metricsPort}`, "--backend", "none", "--cni-socket", "none", "--log-format", "json"], { stdio: ["ignore", "ignore", "pipe"] });
  agents.add(child);
  let log = "";
  child.stderr!.on("data", (chunk) => (log += chunk));
  await until(() => (log.match(/no usable network config; waiting for one/g) ?? []).length >= 2, "the agent to wait for the store");
  const stopping = Date.now();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  process.kill(child.pid!, "SIGTERM");
  assert.is(await exited, 0);
  const stoppedIn = Date.now() - stopping;
  assert.ok(stoppedIn <= 1000, `took ${stoppedIn} ms`);
  console.log(`  SIGTERM while waiting for etcd: agent gone in ${stoppedIn} ms`);
});

test("on etcd, an agent survives a 30 s outage: keeps its peers, reconnects, and catches up", async () => {
  etcd = await startEtcd();
  const directory = mkdtempSync(join(tmpdir(), "podnet-agent-etcd-"));
  const store = ["--store", "etcd", "--etcd-endpoints", etcd.endpoint];
  const a = await startAgent(directory, "a", "198.18.0.1", store);
  const b = await startAgent(directory, "b", "198.18.0.2", store);
  await until(async () => (await metric(a, "podnet_peer_routes")) === 1, "a to see b");

  // etcd down for 30 s: the agent reports unhealthy, counts errors, keeps its peer table.
  await etcd.pause();
  await until(async () => (await health(a)) === 503 && (await health(b)) === 503, "a and b to notice the outage");
  // SIGTERM with the store unreachable still ends an agent within a second, exit 0.
  assert.is(b.child.exitCode, null, b.log().slice(-2000));
  const stopping = Date.now();
  assert.is(await stopAgent(b), 0);
  const stoppedIn = Date.now() - stopping;
  assert.ok(stoppedIn <= 1000, `b took ${stoppedIn} ms to stop with etcd down`);
  console.log(`  SIGTERM with etcd down: agent gone in ${stoppedIn} ms`);
  await sleep(30_000);
  assert.is(await health(a), 503);
  assert.is(await metric(a, "podnet_peer_routes"), 1);
  assert.ok((await metric(a, "podnet_store_errors_total")) >= 2);
  assert.match(a.log(), '"msg":"store operation failed"');
  await etcd.start();

  // A node that joins after the outage shows up in a's table.
  const kv = new EtcdKv({ endpoints: [etcd.endpoint] });
  await kv.create("/coreos.com/network/subnets/10.244.123.0-24", '{"PublicIP":"198.18.0.3","PublicIPv6":null,"BackendType":"none","BackendData":null}', 0);
  await kv.close();
  await until(async () => (await health(a)) === 200 && (await metric(a, "podnet_peer_routes")) === 2, "a to reconnect and catch up", 45_000);
  assert.is(await stopAgent(a), 0);
});

test.run();
