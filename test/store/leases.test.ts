// Flannel-compatible leases on both stores: allocation, reuse, races, renewals, watches, and
// entries written by hand (etcdctl) or broken on purpose.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KvStore } from "../../host/store/kv";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { EtcdKv } from "../../host/store/etcd-kv";
import { LeaseRegistry, NetworkFullError, type LeaseEvent } from "../../host/store/leases";
import { ConfigError, parseFlannelNetworkConfig } from "../../host/store/network-config";
import { startEtcd, type EtcdServer } from "../helpers/etcd-server";
import { seededRandom } from "../helpers/random";

const config = suite("network config");

config("defaults as Flannel's: SubnetLen 24, SubnetMin the second subnet, SubnetMax the last", () => {
  const parsed = parseFlannelNetworkConfig('{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}');
  assert.equal([parsed.subnetLength, parsed.subnetMin, parsed.subnetMax, parsed.backendType], [24, 0x0af40100, 0x0af4ff00, "vxlan"]);
});

config("bad configs are refused naming the field", () => {
  const refusals: Array<[string, RegExp]> = [
    ["not json", /network config is not JSON/],
    ["{}", /needs "Network"/],
    ['{"Network":"10.244.0.1/16"}', /"Network": host bits set/],
    ['{"Network":"10.244.0.0/16","SubnetLen":16}', /"SubnetLen" 16 must be a whole number from 17 to 30/],
    ['{"Network":"10.244.0.0/16","SubnetMin":"10.245.0.0"}', /"SubnetMin" 10.245.0.0 is not a \/24 subnet of 10.244.0.0\/16/],
    ['{"Network":"10.244.0.0/16","SubnetMin":"10.244.9.0","SubnetMax":"10.244.3.0"}', /is above "SubnetMax"/],
  ];
  for (const [text, message] of refusals) assert.throws(() => parseFlannelNetworkConfig(text), (error: Error) => error instanceof ConfigError && message.test(error.message), text);
});

config.run();

let etcd: EtcdServer | undefined;
/** A second connection to the same store, as another node's agent would have. */
async function reopen(store: KvStore): Promise<KvStore> {
  return store instanceof SqliteKv ? new SqliteKv(store.path) : new EtcdKv({ endpoints: [etcd!.endpoint] });
}

const openers: Array<[string, () => Promise<KvStore>]> = [
  ["sqlite", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "podnet-leases-")), "store.db");
    return new SqliteKv(file);
  }],
  ["etcd", async () => {
    etcd ??= await startEtcd();
    return new EtcdKv({ endpoints: [etcd.endpoint] });
  }],
];

for (const [name, open] of openers) {
  const test = suite(`leases: ${name}`);
  const stores: KvStore[] = [];
  let prefixCount = 0;
  /** A registry on its own prefix, so tests do not see each other's leases. */
  const registry = async (configJson = '{"Network":"10.244.0.0/16","SubnetLen":24,"Backend":{"Type":"vxlan"}}', store?: KvStore) => {
    const kv = store ?? (await open());
    if (!store) stores.push(kv);
    const prefix = `/podnet-test-${name}-${++prefixCount}/network`;
    const leases = new LeaseRegistry(kv, prefix, seededRandom(prefixCount));
    await leases.initialise(configJson);
    return { leases, kv, prefix };
  };
  test.after(async () => {
    for (const store of stores) await store.close();
    if (name === "etcd") await etcd?.stop();
  });

  test("a node gets a subnet inside the network, stored in Flannel's key and value format", async () => {
    const { leases, kv, prefix } = await registry();
    const lease = await leases.acquire({ publicIp: "198.18.0.1", backendType: "vxlan", backendData: { VNI: 1, VtepMAC: "02:00:0a:f4:01:00" } });
    assert.match(lease.subnet, /^10\.244\.(\d+)\.0\/24$/);
    assert.ok(Number(lease.subnet.split(".")[2]) >= 1);
    const stored = await kv.get(`${prefix}/subnets/${lease.subnet.replace("/", "-")}`);
    assert.equal(JSON.parse(stored!.value), { PublicIP: "198.18.0.1", PublicIPv6: null, BackendType: "vxlan", BackendData: { VNI: 1, VtepMAC: "02:00:0a:f4:01:00" } });
    assert.is(stored!.value, '{"PublicIP":"198.18.0.1","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"02:00:0a:f4:01:00"}}');
  });

  test("asking again with the same public IP keeps the same subnet; a previous subnet is honoured", async () => {
    const { leases } = await registry();
    const first = await leases.acquire({ publicIp: "198.18.0.1", backendType: "vxlan", backendData: null });
    const again = await leases.acquire({ publicIp: "198.18.0.1", backendType: "vxlan", backendData: { VNI: 1 } });
    assert.is(again.subnet, first.subnet);
    assert.equal(again.backendData, { VNI: 1 });
    const other = await leases.acquire({ publicIp: "198.18.0.2", backendType: "vxlan", backendData: null, previousSubnet: "10.244.77.0/24" });
    assert.is(other.subnet, "10.244.77.0/24");
    const { leases: all } = await leases.list();
    assert.equal(all.map((lease) => lease.publicIp).sort(), ["198.18.0.1", "198.18.0.2"]);
  });

  test("two nodes racing for the last free subnet: exactly one gets it, the other a clear error", async () => {
    const { leases, prefix, kv } = await registry('{"Network":"10.244.0.0/16","SubnetMin":"10.244.5.0","SubnetMax":"10.244.5.0"}');
    const second = await reopen(kv);
    stores.push(second);
    const rival = new LeaseRegistry(second, prefix);
    const results = await Promise.allSettled([
      leases.acquire({ publicIp: "198.18.0.1", backendType: "udp", backendData: null }),
      rival.acquire({ publicIp: "198.18.0.2", backendType: "udp", backendData: null }),
    ]);
    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    assert.is(won.length, 1);
    assert.is(lost.length, 1);
    assert.instance(lost[0].reason, NetworkFullError, String(lost[0].reason));
    assert.is(lost[0].reason.message, "network 10.244.0.0/16 is full: all 1 /24 subnets from 10.244.5.0 to 10.244.5.0 are leased");
  });

  test("malformed entries are skipped with a reason; good ones are still listed", async () => {
    const { leases, kv, prefix } = await registry();
    await leases.acquire({ publicIp: "198.18.0.3", backendType: "udp", backendData: null });
    await kv.create(`${prefix}/subnets/10.244.9.0-24`, "{not json", 0);
    await kv.create(`${prefix}/subnets/10.244.8.0-24`, '{"PublicIP":"nope"}', 0);
    await kv.create(`${prefix}/subnets/10.244.7.1-24`, '{"PublicIP":"198.18.0.9"}', 0);
    const { leases: good, skipped } = await leases.list();
    assert.equal(good.map((lease) => lease.publicIp), ["198.18.0.3"]);
    assert.equal(skipped.map((entry) => entry.reason).sort(), [
      "\"PublicIP\" \"nope\" is not an IPv4 address",
      "host bits set in '10.244.7.1/24' (the network is 10.244.7.0/24)",
      "value is not JSON: Expected property name or '}' in JSON at position 1",
    ].sort());
  });

  test("a watch reports leases added, removed and skipped", async () => {
    const { leases, kv, prefix } = await registry();
    const { revision } = await leases.list();
    const events: LeaseEvent[] = [];
    const watch = leases.watch(revision, (event) => events.push(event), (error) => assert.unreachable(error.message));
    const lease = await leases.acquire({ publicIp: "198.18.0.4", backendType: "vxlan", backendData: null });
    await kv.create(`${prefix}/subnets/10.244.200.0-24`, "garbage", 0);
    await leases.revoke(lease);
    for (let i = 0; i < 200 && events.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await watch.stop();
    assert.equal(events.map((event) => event.type), ["added", "skipped", "removed"]);
    assert.is(events[0].type === "added" && events[0].lease.subnet, lease.subnet);
    assert.is(events[2].type === "removed" && events[2].subnet, lease.subnet);
  });

  test("renew keeps a lease; revoke frees it for others", async () => {
    const { leases } = await registry('{"Network":"10.244.0.0/16","SubnetMin":"10.244.6.0","SubnetMax":"10.244.6.0"}');
    const lease = await leases.acquire({ publicIp: "198.18.0.5", backendType: "udp", backendData: null, ttlSeconds: 60 });
    assert.is(await leases.renew(lease, 60), true);
    const refused = await leases.acquire({ publicIp: "198.18.0.6", backendType: "udp", backendData: null }).then(() => undefined, (error: Error) => error);
    assert.instance(refused, NetworkFullError);
    assert.is(await leases.revoke(lease), true);
    assert.is(await leases.renew(lease, 60), false);
    assert.is((await leases.acquire({ publicIp: "198.18.0.6", backendType: "udp", backendData: null })).subnet, "10.244.6.0/24");
  });

  if (name === "etcd") {
    test("a lease written by hand with etcdctl in Flannel's format is read as a peer", async () => {
      const { leases, prefix } = await registry();
      const value = '{"PublicIP":"198.18.0.77","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"ee:11:22:33:44:55"}}';
      execFileSync("etcdctl", ["--endpoints", etcd!.endpoint, "put", `${prefix}/subnets/10.244.42.0-24`, value], { env: { ...process.env, ETCDCTL_API: "3" }, stdio: "ignore" });
      const { leases: all } = await leases.list();
      const peer = all.find((lease) => lease.subnet === "10.244.42.0/24");
      assert.equal({ ...peer, modRevision: 0 }, { subnet: "10.244.42.0/24", publicIp: "198.18.0.77", backendType: "vxlan", backendData: { VNI: 1, VtepMAC: "ee:11:22:33:44:55" }, modRevision: 0 });
    });
  }

  test.run();
}
