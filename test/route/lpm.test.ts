// The Wasm route table: its plain API, its refusals, and agreement with independent references
// on random tables shaped like real ones, through inserts, deletes, bulk loads and rebuilds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { instantiateCore } from "../../host/wasm/module";
import { PrefixError } from "../../host/shared/addresses";
import { RouteTable } from "../../host/wasm/route-table";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { distPath } from "../helpers/paths";
import { seededRandom } from "../helpers/random";
import { formatRoute, LengthMaps, linearLookup, randomAddresses, randomRoutes, type Route } from "../helpers/route-reference";

const freshTable = () => new RouteTable(instantiateCore(readFileSync(distPath("podnet.wasm"))));

test("lookup returns the longest matching prefix and its next hop, or null", () => {
  const table = freshTable();
  table.add("10.244.0.0/16", 1);
  table.add("10.244.1.0/24", 2);
  table.add("10.244.1.128/25", 3);
  table.add("10.244.1.7/32", 4);
  assert.equal(table.lookup("10.244.1.7"), { prefix: "10.244.1.7/32", nextHop: 4 });
  assert.equal(table.lookup("10.244.1.200"), { prefix: "10.244.1.128/25", nextHop: 3 });
  assert.equal(table.lookup("10.244.1.8"), { prefix: "10.244.1.0/24", nextHop: 2 });
  assert.equal(table.lookup("10.244.9.9"), { prefix: "10.244.0.0/16", nextHop: 1 });
  assert.is(table.lookup("10.245.0.1"), null);
  assert.is(table.size, 4);
});

test("a default route catches everything else; removing a prefix exposes the shorter one", () => {
  const table = freshTable();
  table.add("0.0.0.0/0", 9);
  table.add("10.244.1.0/24", 2);
  assert.equal(table.lookup("198.18.0.1"), { prefix: "0.0.0.0/0", nextHop: 9 });
  assert.is(table.remove("10.244.1.0/24"), true);
  assert.equal(table.lookup("10.244.1.7"), { prefix: "0.0.0.0/0", nextHop: 9 });
  assert.is(table.remove("10.244.1.0/24"), false);
  assert.is(table.remove("0.0.0.0/0"), true);
  assert.is(table.lookup("10.244.1.7"), null);
});

test("adding a prefix again replaces its next hop", () => {
  const table = freshTable();
  table.add("10.244.1.0/24", 2);
  table.add("10.244.1.0/24", 5);
  assert.equal(table.lookup("10.244.1.1"), { prefix: "10.244.1.0/24", nextHop: 5 });
  assert.is(table.size, 1);
});

test("bad prefixes are refused with a message that names the problem", () => {
  const table = freshTable();
  const refusals: Array<[string, RegExp]> = [
    ["10.244.1.0/33", /length 33, more than 32/],
    ["10.244.1.1/24", /host bits set in '10.244.1.1\/24' \(the network is 10.244.1.0\/24\)/],
    ["garbage", /not a prefix: 'garbage'/],
    ["10.244.1/24", /has no valid IPv4 address/],
    ["10.244.1.0", /expected a.b.c.d\/len/],
    ["300.1.1.0/24", /has no valid IPv4 address/],
  ];
  for (const [text, message] of refusals) {
    assert.throws(() => table.add(text, 1), (error: Error) => error instanceof PrefixError && message.test(error.message), text);
  }
  assert.throws(() => table.add("10.0.0.0/8", 0x1000000), /next hop 16777216 is outside/);
  assert.throws(() => table.lookup("10.1.2"), /not an IPv4 address/);
  assert.throws(() => table.load([["10.0.0.0/8", 1], ["10.0.0.1/8", 2]]), /host bits set/);
  assert.is(table.size, 0);
});

/** Checks `count` lookups, single and batched, against `reference`. */
function agree(table: RouteTable, reference: (address: number) => Route | undefined, addresses: Uint32Array, label: string): void {
  const batched = table.lookupMany(addresses);
  for (let i = 0; i < addresses.length; i++) {
    const expected = reference(addresses[i]);
    const want = expected ? expected.nextHop : 0xffffffff;
    if (batched[i] !== want) assert.unreachable(`${label}: batch lookup of ${addresses[i]} gave ${batched[i]}, want ${want} (${expected ? formatRoute(expected) : "none"})`);
  }
  for (let i = 0; i < Math.min(addresses.length, 2000); i++) {
    const address = [addresses[i] >>> 24, (addresses[i] >>> 16) & 255, (addresses[i] >>> 8) & 255, addresses[i] & 255].join(".");
    const expected = reference(addresses[i]);
    assert.equal(table.lookup(address), expected ? { prefix: formatRoute(expected), nextHop: expected.nextHop } : null, `${label}: ${address}`);
  }
}

test("10 random prefixes: 100,000 lookups agree with a linear scan through inserts and deletes", () => {
  const next = seededRandom(10);
  const table = freshTable();
  const routes = randomRoutes(next, 10);
  const live = new Map<string, Route>();
  for (const route of routes) {
    table.add(formatRoute(route), route.nextHop);
    live.set(formatRoute(route), route);
  }
  agree(table, (address) => linearLookup(live.values(), address), randomAddresses(next, routes, 50_000), "10 after inserts");
  for (const route of routes.slice(0, 5)) {
    table.remove(formatRoute(route));
    live.delete(formatRoute(route));
  }
  agree(table, (address) => linearLookup(live.values(), address), randomAddresses(next, routes, 50_000), "10 after deletes");
});

test("5,000 random prefixes: lookups agree with per-length maps through inserts, deletes and a rebuild", () => {
  const next = seededRandom(5000);
  const table = freshTable();
  const reference = new LengthMaps();
  const routes = randomRoutes(next, 5000);
  for (const route of routes) {
    table.add(formatRoute(route), route.nextHop);
    reference.set(route);
  }
  agree(table, (address) => reference.lookup(address), randomAddresses(next, routes, 200_000), "5000 after inserts");
  // Deletes expose shorter matches; re-adds with other next hops replace.
  for (let i = 0; i < 2000; i++) {
    const route = routes[next() % routes.length];
    if (next() % 3 === 0) {
      const replaced = { ...route, nextHop: next() % 4096 };
      table.add(formatRoute(replaced), replaced.nextHop);
      reference.set(replaced);
    } else {
      assert.is(table.remove(formatRoute(route)), reference.delete(route.address, route.length), formatRoute(route));
    }
  }
  agree(table, (address) => reference.lookup(address), randomAddresses(next, routes, 200_000), "5000 after updates");
  const size = table.size;
  table.rebuild();
  assert.is(table.size, size);
  agree(table, (address) => reference.lookup(address), randomAddresses(next, routes, 100_000), "5000 after rebuild");
});

test("500,000 random prefixes bulk-loaded: 200,000 lookups agree with per-length maps", () => {
  const next = seededRandom(500_000);
  const table = freshTable();
  const reference = new LengthMaps();
  const routes = randomRoutes(next, 500_000);
  for (const route of routes) reference.set(route);
  table.load(routes.map((route) => [formatRoute(route), route.nextHop]));
  assert.is(table.size, [...reference.routes()].length);
  agree(table, (address) => reference.lookup(address), randomAddresses(next, routes, 200_000), "500000");
});

test("clear empties the table", () => {
  const table = freshTable();
  table.add("10.0.0.0/8", 1);
  table.clear();
  assert.is(table.size, 0);
  assert.is(table.lookup("10.1.1.1"), null);
  table.add("10.0.0.0/8", 2);
  assert.equal(table.lookup("10.1.1.1"), { prefix: "10.0.0.0/8", nextHop: 2 });
});

test("lookupMany on an empty table returns no-route for every address", () => {
  const table = freshTable();
  assert.equal([...table.lookupMany(Uint32Array.from([ipv4ToNumber("10.0.0.1"), 0]))], [0xffffffff, 0xffffffff]);
});

test.run();
