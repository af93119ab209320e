// The Loc-RIB's IPv4 table (typed arrays, open addressing) against a plain Map under random
// inserts, replacements and deletions; and the prefix text it parses and prints.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatIpv4PrefixKey, Ipv4PrefixTable, ipv4PrefixKey } from "../../host/bgp/ipv4-prefix-table";

test("ipv4PrefixKey: a.b.c.d/len both ways; anything else is -1", () => {
  assert.is(ipv4PrefixKey("10.244.1.0/26"), (((10 * 256 + 244) * 256 + 1) * 256 + 0) * 64 + 26);
  assert.is(ipv4PrefixKey("0.0.0.0/0"), 0);
  assert.is(ipv4PrefixKey("255.255.255.255/32"), 0xffffffff * 64 + 32);
  for (const text of ["10.244.1.0/26", "0.0.0.0/0", "255.255.255.255/32", "16.0.1.0/24"]) assert.is(formatIpv4PrefixKey(ipv4PrefixKey(text)), text);
  for (const bad of ["2001:db8::/32", "10.0.0/8", "10.0.0.0.0/8", "10.0.0.256/32", "10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/2a", "10..0.0/8", ""]) {
    assert.is(ipv4PrefixKey(bad), -1, bad);
  }
});

test("Ipv4PrefixTable agrees with a Map over 200,000 random operations (growth, replacement, backward-shift deletion)", () => {
  let seed = 0x2545f491;
  const random = (below: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % below;
  };
  const table = new Ipv4PrefixTable<{ n: number }>();
  const reference = new Map<number, { n: number }>();
  const shared = [{ n: 0 }, { n: 1 }, { n: 2 }];
  // Keys from a small space, so replacements and deletions of present keys are frequent.
  const key = () => (0x0af40000 + random(40_000) * 64) * 64 + 26 - random(2) * 2;
  for (let i = 0; i < 200_000; i++) {
    const k = key();
    const op = random(10);
    if (op < 6) {
      const value = random(4) === 0 ? { n: i } : shared[random(3)];
      table.set(k, value);
      reference.set(k, value);
    } else if (op < 9) {
      assert.is(table.delete(k), reference.delete(k));
    } else {
      assert.is(table.get(k), reference.get(k));
    }
  }
  assert.is(table.size, reference.size);
  for (const [k, value] of reference) assert.is(table.get(k), value);
  const listed = [...table.entries()];
  assert.is(listed.length, reference.size);
  for (const [k, value] of listed) assert.is(reference.get(k), value);
  for (const k of [...reference.keys()]) assert.ok(table.delete(k));
  assert.is(table.size, 0);
  assert.equal([...table.entries()], []);
});

test.run();
