// `podnet status` on the embedded store: the table operators read, and its JSON form.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { runPodnet } from "../helpers/run-binary";

test("status lists every node's lease, with VTEP MAC and expiry, and names skipped entries", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "podnet-status-")), "store.db");
  const kv = new SqliteKv(path);
  await kv.create("/coreos.com/network/subnets/10.244.1.0-24", '{"PublicIP":"198.18.0.1","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:00:0a:f4:01:00"}}', 3600);
  await kv.create("/coreos.com/network/subnets/10.244.2.0-24", '{"PublicIP":"198.18.0.2","PublicIPv6":null,"BackendType":"host-gw","BackendData":null}', 0);
  await kv.create("/coreos.com/network/subnets/10.244.3.0-24", "not json", 0);
  const expiry = await kv.expiresAt("/coreos.com/network/subnets/10.244.1.0-24");
  await kv.close();
  const expires = new Date(expiry!).toISOString().replace(/\.\d+Z$/, "Z");

  const text = runPodnet(["status", "--store-path", path]);
  assert.is(text.status, 0, text.stderr);
  assert.is(text.stdout, [
    "NODE        SUBNET         BACKEND  VTEP MAC           LEASE EXPIRES",
    `198.18.0.1  10.244.1.0/24  vxlan    02:00:0a:f4:01:00  ${expires}`,
    "198.18.0.2  10.244.2.0/24  host-gw  -                  never",
    "",
  ].join("\n"));
  assert.match(text.stderr, "podnet: skipped /coreos.com/network/subnets/10.244.3.0-24: value is not JSON");

  const json = runPodnet(["status", "--store-path", path, "--json"]);
  assert.equal(json.stdout.trim().split("\n").map((line) => JSON.parse(line)), [
    { node: "198.18.0.1", subnet: "10.244.1.0/24", backend: "vxlan", vtepMac: "02:00:0a:f4:01:00", expires },
    { node: "198.18.0.2", subnet: "10.244.2.0/24", backend: "host-gw", vtepMac: null, expires: null },
  ]);
});

test("status on a store file that cannot be opened exits 1 naming it", () => {
  const result = runPodnet(["status", "--store-path", "/nonexistent-dir/store.db"]);
  assert.is(result.status, 1);
  assert.match(result.stderr, "podnet: cannot open the SQLite store at /nonexistent-dir/store.db");
});

test.run();
