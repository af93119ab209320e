// `podnet ipam show/check/release` on a store the test fills through the IPAM library: calicoctl's
// columns, a borrowed address, a leak made on purpose (a namespace that does not exist) found by
// check and cleared by release, and a corrupt block entry reported.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPodnet } from "../helpers/run-binary";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { ResourceStore } from "../../host/resources/store";
import { parseResource } from "../../host/resources/kinds";
import { BlockIpam } from "../../host/ipam/ipam";

const directory = mkdtempSync(join(tmpdir(), "podnet-ipam-cli-"));
const storePath = join(directory, "store.db");
const podnet = (...args: string[]) => runPodnet([...args, "--store-path", storePath]);
test.after(() => rmSync(directory, { recursive: true, force: true }));

test("show with blocks and borrowed addresses; check finds the leak and the corrupt entry; release clears the leak", async () => {
  const kv = new SqliteKv(storePath);
  const resources = new ResourceStore(kv);
  await resources.apply([parseResource({ apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pool" }, spec: { cidr: "10.244.0.0/26" } })]);
  const ipam = new BlockIpam(kv, resources);
  await ipam.assign("node1", "live", { containerId: "live", netns: directory }); // a namespace path that exists
  await ipam.assign("node1", "leaked", { containerId: "c0ffee", netns: join(directory, "gone") });
  await ipam.assign("node2", "borrower", { containerId: "b", netns: "/proc/self/ns/net" });
  await kv.create("/podnet.io/calico/ipam/blocks/10.244.9.0-26", "{broken", 0);
  await kv.close();

  const shown = podnet("ipam", "show", "--show-blocks", "--show-borrowed");
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(
    shown.stdout,
    [
      "+----------+---------------+-----------+------------+----------+",
      "| GROUPING | CIDR          | IPS TOTAL | IPS IN USE | IPS FREE |",
      "+----------+---------------+-----------+------------+----------+",
      "| IP Pool  | 10.244.0.0/26 | 64        | 3 (5%)     | 61 (95%) |",
      "| Block    | 10.244.0.0/26 | 64        | 3 (5%)     | 61 (95%) |",
      "+----------+---------------+-----------+------------+----------+",
      "+------------+----------------+---------------+-------------+",
      "| IP         | BORROWING-NODE | BLOCK         | BLOCK OWNER |",
      "+------------+----------------+---------------+-------------+",
      "| 10.244.0.2 | node2          | 10.244.0.0/26 | node1       |",
      "+------------+----------------+---------------+-------------+",
      "",
    ].join("\n"),
  );
  assert.match(shown.stderr, "skipped /podnet.io/calico/ipam/blocks/10.244.9.0-26");

  const checked = podnet("ipam", "check", "--node", "node1");
  assert.equal(checked.status, 0, checked.stderr);
  assert.match(checked.stdout, "corrupt block entry /podnet.io/calico/ipam/blocks/10.244.9.0-26");
  assert.match(checked.stdout, `leaked 10.244.0.1 in 10.244.0.0/26: handle leaked, container c0ffee: network namespace ${join(directory, "gone")} is gone`);
  assert.not.match(checked.stdout, "10.244.0.0 ");
  assert.match(checked.stdout, "2 problem(s) found");

  assert.equal(podnet("ipam", "release", "--ip", "10.244.0.1").stdout, "released 10.244.0.1 (handle leaked)\n");
  const again = podnet("ipam", "release", "--ip", "10.244.0.1");
  assert.equal(again.status, 1);
  assert.match(again.stderr, "not allocated: 10.244.0.1");
  assert.not.match(podnet("ipam", "check", "--node", "node1").stdout, "leaked 10.244");
  assert.equal(podnet("ipam", "release").status, 2);
});

test("check reports a corrupt handle entry; release --handle removes it and frees what it held; an unknown handle is an error", async () => {
  const kv = new SqliteKv(storePath);
  const ipam = new BlockIpam(kv, new ResourceStore(kv));
  const { address } = await ipam.assign("node1", "damaged", { containerId: "d", netns: directory });
  const key = "/podnet.io/calico/ipam/handles/damaged";
  assert.ok(await kv.update(key, "garbage", (await kv.get(key))!.modRevision, 0));
  await kv.close();
  const checked = podnet("ipam", "check", "--node", "node1");
  assert.match(checked.stdout, `corrupt handle entry ${key}: not JSON: "garbage"; remove it with podnet ipam release --handle damaged`);
  const released = podnet("ipam", "release", "--handle", "damaged");
  assert.equal([released.status, released.stdout], [0, `released handle damaged (${address})\n`]);
  assert.not.match(podnet("ipam", "check", "--node", "node1").stdout, "corrupt handle");
  const unknown = podnet("ipam", "release", "--handle", "damaged");
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, "not allocated: handle damaged");
});

test.run();
