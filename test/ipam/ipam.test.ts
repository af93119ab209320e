// Block IPAM on the embedded store: blocks claimed per node, addresses by handle, borrowing,
// strictAffinity, races for the last block, parallel ADD/DEL, empty-block release, corrupt entries.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { ResourceStore } from "../../host/resources/store";
import { parseResource } from "../../host/resources/kinds";
import { BlockIpam, IpamError } from "../../host/ipam/ipam";

const directory = mkdtempSync(join(tmpdir(), "podnet-ipam-"));
let stores = 0;
test.after(() => rmSync(directory, { recursive: true, force: true }));

async function setup(cidr: string, options: { blockSize?: number; strictAffinity?: boolean; maxBlocksPerHost?: number } = {}) {
  const kv = new SqliteKv(join(directory, `store-${stores++}.db`));
  const resources = new ResourceStore(kv);
  const pool = { apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pool" }, spec: { cidr, blockSize: options.blockSize ?? 26 } };
  const ipamConfig = { apiVersion: "projectcalico.org/v3", kind: "IPAMConfiguration", metadata: { name: "default" }, spec: { strictAffinity: options.strictAffinity ?? false, maxBlocksPerHost: options.maxBlocksPerHost ?? 0 } };
  await resources.apply([parseResource(pool), parseResource(ipamConfig)]);
  let clock = 1_000_000;
  const ipam = new BlockIpam(kv, resources, () => clock);
  return { kv, ipam, advance: (ms: number) => (clock += ms) };
}

test("100 pods on one node fill one /26 and claim a second; a handle asked again gets the same address", async () => {
  const { kv, ipam } = await setup("10.244.0.0/16");
  const addresses: string[] = [];
  for (let i = 0; i < 100; i++) addresses.push((await ipam.assign("node1", `podnet.c${i}.eth0`, { containerId: `c${i}`, ifname: "eth0" })).address);
  assert.is(new Set(addresses).size, 100);
  const blocks = await ipam.affineBlocks("node1");
  assert.is(blocks.length, 2);
  const [first, second] = blocks;
  // The first 64 fill the first block in order, the rest start the second.
  assert.is(addresses[0], first.replace("/26", ""));
  assert.is(addresses[64], second.replace("/26", ""));
  assert.equal(await ipam.assign("node1", "podnet.c7.eth0"), { address: addresses[7], block: first, borrowed: false });
  await kv.close();
});

test("nodes start from different candidate blocks (seeded by name)", async () => {
  const { kv, ipam } = await setup("10.244.0.0/16");
  const firsts = new Set<string>();
  for (const node of ["node1", "node2", "node3", "node4"]) firsts.add((await ipam.assign(node, `h-${node}`)).block);
  assert.is(firsts.size, 4);
  await kv.close();
});

test("an exhausted pool makes a node borrow from another's block; with strictAffinity the ADD fails, naming the pool", async () => {
  const { kv, ipam } = await setup("10.244.0.0/26");
  const mine = await ipam.assign("node1", "a");
  assert.equal(mine, { address: "10.244.0.0", block: "10.244.0.0/26", borrowed: false });
  const borrowed = await ipam.assign("node2", "b");
  assert.equal(borrowed, { address: "10.244.0.1", block: "10.244.0.0/26", borrowed: true });
  assert.equal(await ipam.affineBlocks("node2"), []);
  await kv.close();

  const strict = await setup("10.244.0.0/26", { strictAffinity: true });
  await strict.ipam.assign("node1", "a");
  try {
    await strict.ipam.assign("node2", "b");
    assert.unreachable("a strict node borrowed");
  } catch (error) {
    assert.instance(error, IpamError);
    assert.ok((error as IpamError).exhausted);
    assert.is((error as Error).message, "IP pool pool (10.244.0.0/26) has no free block for node node2, and strictAffinity forbids borrowing");
  }
  await strict.kv.close();
});

test("maxBlocksPerHost: a node with its blocks full borrows rather than claim another", async () => {
  const { kv, ipam } = await setup("10.244.0.0/24", { blockSize: 30, maxBlocksPerHost: 1 });
  await ipam.assign("node2", "other");
  for (let i = 0; i < 4; i++) assert.is((await ipam.assign("node1", `h${i}`)).borrowed, false);
  const fifth = await ipam.assign("node1", "h4");
  assert.is(fifth.borrowed, true);
  assert.is((await ipam.affineBlocks("node1")).length, 1);
  await kv.close();
});

test("three nodes racing for the last free block: exactly one owns it", async () => {
  for (let round = 0; round < 5; round++) {
    const { kv, ipam } = await setup("10.244.0.0/25", { strictAffinity: true });
    await ipam.assign("node0", "first"); // one of the two blocks is taken
    const results = await Promise.allSettled(["node1", "node2", "node3"].map((node) => ipam.assign(node, `h-${node}`)));
    const won = results.filter((result) => result.status === "fulfilled");
    assert.is(won.length, 1, JSON.stringify(results));
    const owners = (await ipam.blocks()).blocks.map(({ block }) => block.affinity).sort();
    assert.is(owners.length, 2);
    assert.is(owners.filter((owner) => owner === "node0").length, 1);
    const affinities = (await kv.range("/podnet.io/calico/ipam/affinities/")).items.map((item) => item.key);
    assert.is(affinities.length, 2, affinities.join(" "));
    await kv.close();
  }
});

test("100 parallel ADDs and DELs on two nodes: no address twice, nothing left behind; empty blocks released after the grace period", async () => {
  const { kv, ipam, advance } = await setup("10.244.0.0/24");
  const handles = Array.from({ length: 100 }, (_, i) => ({ node: i % 2 === 0 ? "node1" : "node2", handle: `h${i}` }));
  const assigned = await Promise.all(handles.map(({ node, handle }) => ipam.assign(node, handle)));
  assert.is(new Set(assigned.map((assignment) => assignment.address)).size, 100);
  // 50 each fit in one /26: parallel ADDs of a node that all found no block claim one, not many.
  assert.equal([(await ipam.affineBlocks("node1")).length, (await ipam.affineBlocks("node2")).length], [1, 1]);
  const released = await Promise.all(handles.map(({ handle }) => ipam.release(handle)));
  assert.equal(released.sort(), assigned.map((assignment) => assignment.address).sort());
  assert.equal((await ipam.blocks()).blocks.map(({ block }) => block.allocations.filter((handle) => handle !== null).length), [0, 0, 0, 0].slice(0, (await ipam.blocks()).blocks.length));
  assert.equal((await kv.range("/podnet.io/calico/ipam/handles/")).items, []);
  assert.is(await ipam.release("h0"), undefined);

  // Within the grace period the blocks stay; after it they go with their affinities.
  assert.equal(await ipam.releaseEmptyBlocks("node1", 60_000), []);
  advance(61_000);
  const gone = [...(await ipam.releaseEmptyBlocks("node1", 60_000)), ...(await ipam.releaseEmptyBlocks("node2", 60_000))];
  assert.ok(gone.length >= 2, gone.join(" "));
  assert.equal((await ipam.blocks()).blocks, []);
  assert.equal((await kv.range("/podnet.io/calico/ipam/affinities/")).items, []);
  await kv.close();
});

test("a gone node's blocks are given back: an empty one deleted, one with addresses left unaffine; its claims deleted", async () => {
  const { kv, ipam } = await setup("10.244.0.0/24");
  const kept = await ipam.assign("gone", "still-running");
  await ipam.assign("gone", "h2");
  await ipam.release("h2");
  // A second, empty block of the gone node, as a node claims when its first fills.
  await kv.create("/podnet.io/calico/ipam/affinities/gone/10.244.0.192-26", JSON.stringify({ state: "confirmed" }), 0);
  await kv.create("/podnet.io/calico/ipam/blocks/10.244.0.192-26", JSON.stringify({ cidr: "10.244.0.192/26", affinity: "gone", allocations: new Array(64).fill(null), attributes: {}, emptySince: 1 }), 0);
  await ipam.assign("alive", "theirs");
  assert.equal(await ipam.nodesWithBlocks(), ["alive", "gone"]);
  assert.equal((await ipam.releaseNodeBlocks("gone")).sort(), [kept.block, "10.244.0.192/26"].sort());
  assert.equal(await ipam.nodesWithBlocks(), ["alive"]);
  const blocks = (await ipam.blocks()).blocks.map(({ block }) => [block.cidr, block.affinity]);
  assert.ok(blocks.some(([cidr, affinity]) => cidr === kept.block && affinity === null), JSON.stringify(blocks));
  assert.not.ok(blocks.some(([cidr]) => cidr === "10.244.0.192/26"));
  assert.is((await ipam.addressOf("still-running"))?.address, kept.address);
  await kv.close();
});

test("a corrupt block entry is reported and skipped; assignment carries on", async () => {
  const { kv, ipam } = await setup("10.244.0.0/16");
  await kv.create("/podnet.io/calico/ipam/blocks/10.244.9.0-26", "{not json", 0);
  await kv.create("/podnet.io/calico/ipam/blocks/10.244.10.0-26", JSON.stringify({ cidr: "10.244.10.0/26", affinity: "x", allocations: [1, 2], attributes: {} }), 0);
  const { corrupt } = await ipam.blocks();
  assert.equal(corrupt.map((entry) => entry.key), ["/podnet.io/calico/ipam/blocks/10.244.10.0-26", "/podnet.io/calico/ipam/blocks/10.244.9.0-26"]);
  assert.match(corrupt[0].reason, "allocations is not a list of 64 handles or nulls");
  const assignment = await ipam.assign("node1", "h");
  assert.ok(!["10.244.9.0/26", "10.244.10.0/26"].includes(assignment.block));
  assert.is(await ipam.releaseAddress(assignment.address), "h");
  await kv.close();
});

test.run();
