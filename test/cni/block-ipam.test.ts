// The CNI plugin with Calico-mode block IPAM (ipam.type podnet-blocks), without root: in-process
// (the plugin opens the SQLite store the conflist names) and served by the agent (its IPAM handed
// in), with a fake kernel. ADD takes a /32 from the node's block, CHECK finds it held, DEL frees
// it; an exhausted pool under strictAffinity is code 11 naming the pool; STATUS without a pool is 50.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlugin } from "../../host/cni/plugin";
import { addressSourceFor } from "../../host/cni/address-sources";
import { parseCniNetworkConfig } from "../../host/cni/config";
import type { Environment } from "../../host/cni/environment";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { ResourceStore } from "../../host/resources/store";
import { parseResource } from "../../host/resources/kinds";
import { BlockIpam } from "../../host/ipam/ipam";
import { FakeKernel } from "../helpers/fake-kernel";
import { detectInterface } from "../../host/net/detect";

const directory = mkdtempSync(join(tmpdir(), "podnet-cni-blocks-"));
const NETNS = "/proc/self/ns/net";
let stores = 0;
test.after(() => rmSync(directory, { recursive: true, force: true }));

async function storeWith(cidr: string | undefined, strictAffinity = false, ipipMode = "Never"): Promise<string> {
  const path = join(directory, `store-${stores++}.db`);
  const kv = new SqliteKv(path);
  const resources = new ResourceStore(kv);
  const documents: unknown[] = [{ apiVersion: "projectcalico.org/v3", kind: "IPAMConfiguration", metadata: { name: "default" }, spec: { strictAffinity } }];
  if (cidr) documents.push({ apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pods" }, spec: { cidr, ipipMode } });
  await resources.apply(documents.map(parseResource));
  await kv.close();
  return path;
}

const config = (storePath: string, ipam: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: "1.0.0", name: "unit", type: "podnet", mode: "routed", mtu: 1500, ipam: { type: "podnet-blocks", nodeName: "node1", storePath, ...ipam } });
const env = (command: string, containerId: string) => ({ CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: NETNS, CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" });

test("in-process: ADD takes a /32 from node1's block, CHECK finds it, DEL frees it", async () => {
  const storePath = await storeWith("10.244.0.0/24");
  const kernel = new FakeKernel();
  const added = await runPlugin({ env: env("ADD", "a"), stdin: config(storePath) }, { servedByAgent: false, kernel });
  assert.is(added.exitCode, 0, added.stdout);
  const result = JSON.parse(added.stdout);
  const address = (result.ips[0].address as string).replace("/32", "");
  assert.match(result.ips[0].address, /^10\.244\.0\.(0|64|128|192)\/32$/);
  assert.ok(kernel.commands().includes(`route replace ${address}/32 dev ${result.interfaces[0].name} scope link`));

  const kv = new SqliteKv(storePath);
  const ipam = new BlockIpam(kv, new ResourceStore(kv));
  assert.equal(await ipam.affineBlocks("node1"), [`${address}/26`]);
  assert.equal(await ipam.addressOf("podnet.a.eth0"), { address, block: `${address}/26`, borrowed: false });

  // Served by the agent: the same IPAM, handed in.
  const second = await runPlugin({ env: env("ADD", "b"), stdin: config(storePath) }, { servedByAgent: true, kernel, nodeIpam: { ipam, node: "node1" } });
  assert.is(second.exitCode, 0, second.stdout);
  assert.is(JSON.parse(second.stdout).ips[0].address, `${address.replace(/\d+$/, (last) => String(Number(last) + 1))}/32`);

  // CHECK's question to the address source.
  const source = addressSourceFor(parseCniNetworkConfig(JSON.parse(config(storePath))));
  const attachment = { containerId: "a", ifName: "eth0" } as Environment;
  assert.is(await source.holds(attachment, address), true);
  assert.is(await source.holds(attachment, "10.244.0.250"), false);
  for (const id of ["a", "b"]) assert.is((await runPlugin({ env: env("DEL", id), stdin: config(storePath) }, { servedByAgent: false, kernel })).exitCode, 0);
  assert.is(await ipam.addressOf("podnet.a.eth0"), undefined);
  assert.equal((await ipam.blocks()).blocks.map(({ block }) => block.allocations.filter(Boolean).length), [0]);
  await kv.close();
});

test("a corrupt IPAM handle entry does not block DEL: the address is found in its block and released, the entry removed, the bad entry reported once per meeting", async () => {
  const storePath = await storeWith("10.244.0.0/24");
  const kernel = new FakeKernel();
  const added = await runPlugin({ env: env("ADD", "c"), stdin: config(storePath) }, { servedByAgent: false, kernel });
  assert.is(added.exitCode, 0, added.stdout);
  const address = (JSON.parse(added.stdout).ips[0].address as string).replace("/32", "");
  const kv = new SqliteKv(storePath);
  const ipam = new BlockIpam(kv, new ResourceStore(kv));
  const corrupt: string[] = [];
  ipam.onCorrupt = (entry) => corrupt.push(`${entry.key}: ${entry.reason}`);
  const key = "/podnet.io/calico/ipam/handles/podnet.c.eth0";
  const stored = (await kv.get(key))!;
  assert.ok(await kv.update(key, "{not json", stored.modRevision, 0));
  assert.equal(await ipam.addressOf("podnet.c.eth0"), { address, block: `${address}/26`, borrowed: false }, "found in the block all the same");
  assert.equal(corrupt, [`${key}: not JSON: "{not json"`]);
  assert.equal((await ipam.handles()).corrupt, [{ key, reason: 'not JSON: "{not json"' }]);
  // DEL through the plugin, as the runtime calls it (agent down: in-process), twice (idempotent).
  for (let i = 0; i < 2; i++) {
    const deleted = await runPlugin({ env: env("DEL", "c"), stdin: config(storePath) }, { servedByAgent: false, kernel });
    assert.is(deleted.exitCode, 0, deleted.stdout);
  }
  assert.is(await kv.get(key), undefined, "the corrupt entry is gone with the pod");
  assert.equal((await ipam.blocks()).blocks.map(({ block }) => block.allocations.filter(Boolean).length), [0]);
  // A damaged entry left by a pod that holds no address: its ADD replaces the entry.
  const e = "/podnet.io/calico/ipam/handles/podnet.e.eth0";
  assert.ok(await kv.create(e, "[]", 0));
  const added2 = await runPlugin({ env: env("ADD", "e"), stdin: config(storePath) }, { servedByAgent: true, kernel, nodeIpam: { ipam, node: "node1" } });
  assert.is(added2.exitCode, 0, added2.stdout);
  assert.match((await kv.get(e))!.value, /^\{"block":"10\.244\.0\.\d+\/26"\}$/);
  await kv.close();
});

test("the pods' MTU: the conflist's, else the agent's, else the underlay's less IPIP's 20 when a pool uses IPIP", async () => {
  const kernel = new FakeKernel();
  const mtuOf = async (storePath: string, fields: Record<string, unknown>, served?: { podMtu: () => number }) => {
    const stdin = JSON.stringify({ ...JSON.parse(config(storePath)), cniVersion: "1.1.0", mtu: undefined, ...fields });
    const kv = new SqliteKv(storePath);
    const nodeIpam = served ? { ipam: new BlockIpam(kv, new ResourceStore(kv)), node: "node1", ...served } : undefined;
    const added = await runPlugin({ env: env("ADD", `m${stores}-${Object.keys(fields).length}-${served ? 1 : 0}`), stdin }, { servedByAgent: served !== undefined, kernel, nodeIpam });
    await kv.close();
    assert.is(added.exitCode, 0, added.stdout);
    return JSON.parse(added.stdout).interfaces.find((entry: { sandbox?: string }) => entry.sandbox).mtu as number;
  };
  // This machine's default route interface is the underlay the plugin sees.
  const underlay = detectInterface(undefined, false).mtu;
  const ipip = await storeWith("10.244.0.0/24", false, "CrossSubnet");
  assert.is(await mtuOf(ipip, {}), underlay - 20);
  assert.is(await mtuOf(await storeWith("10.244.0.0/24"), {}), underlay);
  assert.is(await mtuOf(ipip, { mtu: 1400 }), 1400);
  assert.is(await mtuOf(ipip, {}, { podMtu: () => 8980 }), 8980);
});

test("an exhausted pool under strictAffinity: code 11 naming the pool; no pool: STATUS 50; no nodeName: code 7", async () => {
  const storePath = await storeWith("10.244.0.0/26", true);
  const kv = new SqliteKv(storePath);
  await new BlockIpam(kv, new ResourceStore(kv)).assign("node2", "theirs");
  await kv.close();
  const refused = await runPlugin({ env: env("ADD", "x"), stdin: config(storePath) }, { servedByAgent: false, kernel: new FakeKernel() });
  assert.is(refused.exitCode, 1);
  const error = JSON.parse(refused.stdout);
  assert.equal([error.code, error.msg], [11, "IP pool pods (10.244.0.0/26) has no free block for node node1, and strictAffinity forbids borrowing"]);

  const empty = await storeWith(undefined);
  const status = await runPlugin({ env: { CNI_COMMAND: "STATUS" }, stdin: JSON.stringify({ ...JSON.parse(config(empty)), cniVersion: "1.1.0" }) }, { servedByAgent: true, kernel: new FakeKernel() });
  assert.equal([status.exitCode, JSON.parse(status.stdout).code], [1, 50]);
  assert.match(JSON.parse(status.stdout).msg, "no enabled IPPool in the store");

  const unnamed = await runPlugin({ env: env("ADD", "y"), stdin: JSON.stringify({ cniVersion: "1.0.0", name: "unit", type: "podnet", mode: "routed", ipam: { type: "podnet-blocks" } }) }, { servedByAgent: true, kernel: new FakeKernel() });
  assert.equal([unnamed.exitCode, JSON.parse(unnamed.stdout).code], [1, 7]);
  assert.match(JSON.parse(unnamed.stdout).msg, "ipam.nodeName is missing");
});

test.run();
