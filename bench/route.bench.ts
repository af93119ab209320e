// Route table: lookups per second on one core, single (one JS→Wasm call per address) and batched
// (one call per 65,536 addresses), for 5,000 and 500,000 prefixes shaped like real tables,
// against the npm packages a JavaScript user would pick — longest-prefix-match (a true LPM) and
// cidr-matcher (a contains check only, less work) — and against per-length Maps in plain
// JavaScript. Also: memory per prefix, full rebuild of 5,000 prefixes, and updates per second
// with lookups continuing. All in the same run.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { instantiateCore } from "../host/wasm/module.js";
import { RouteTable } from "../host/wasm/route-table.js";
import { numberToIpv4 } from "../host/net/addresses.js";
import { distPath } from "../test/helpers/paths.js";
import { seededRandom } from "../test/helpers/random.js";
import { formatRoute, LengthMaps, randomAddresses, randomRoutes } from "../test/helpers/route-reference.js";
import { report, secondsPerCall, type BenchRow } from "./measure.js";

const require = createRequire(import.meta.url);
const LongestPrefixMatch = require("longest-prefix-match") as new () => { addPrefix(prefix: string, data: unknown): void; getMatch(address: string): unknown[] };
const CidrMatcher = require("cidr-matcher") as new (prefixes: string[]) => { contains(address: string): boolean };

const LOOKUPS = 65536;
const rows: BenchRow[] = [];
const rate = (seconds: number, operations: number) => operations / seconds / 1e6;

for (const size of [5000, 500_000]) {
  const next = seededRandom(size);
  // Distinct prefixes only: packages differ on what a duplicate means; the table replaces.
  const routes = [...new Map(randomRoutes(next, size).map((route) => [formatRoute(route), route])).values()];
  const addresses = randomAddresses(next, routes, LOOKUPS);
  const addressText = Array.from(addresses, numberToIpv4);
  const hostPrefixText = addressText.map((address) => `${address}/32`); // longest-prefix-match takes prefixes

  const wasm = instantiateCore(readFileSync(distPath("podnet.wasm")));
  const table = new RouteTable(wasm);
  table.load(routes.map((route) => [formatRoute(route), route.nextHop]));
  const input = wasm.allocate(LOOKUPS * 4);
  const output = wasm.allocate(LOOKUPS * 4);
  new Uint32Array(wasm.memory.buffer, input, LOOKUPS).set(addresses);
  const batched = rate(secondsPerCall(() => wasm.routeLookupBatch(input, LOOKUPS, output), 20), LOOKUPS);
  const single = rate(secondsPerCall(() => {
    for (let i = 0; i < LOOKUPS; i++) wasm.routeLookup(addresses[i]);
  }, 10), LOOKUPS);

  const maps = new LengthMaps();
  for (const route of routes) maps.set(route);
  const mapRate = rate(secondsPerCall(() => {
    for (let i = 0; i < LOOKUPS; i++) maps.lookup(addresses[i]);
  }, 3, 3), LOOKUPS);

  const lpm = new LongestPrefixMatch();
  for (const route of routes) lpm.addPrefix(formatRoute(route), route.nextHop);
  const lpmRate = rate(secondsPerCall(() => {
    for (let i = 0; i < 8192; i++) lpm.getMatch(hostPrefixText[i]);
  }, 1, 3), 8192);
  // The baseline must answer as we do, or the comparison means nothing (it never matches the
  // default route 0.0.0.0/0, so those addresses are left out of the check).
  for (let i = 0; i < 200; i++) {
    if (maps.lookup(addresses[i])?.length === 0) continue;
    const theirs = (lpm.getMatch(hostPrefixText[i]) as number[])[0] ?? 0xffffffff;
    const ours = wasm.routeLookup(addresses[i]) >>> 0;
    if (theirs !== ours) throw new Error(`longest-prefix-match says ${theirs} for ${addressText[i]}, podnet ${ours}`);
  }

  const matcher = new CidrMatcher(routes.map(formatRoute));
  const matcherRate = rate(secondsPerCall(() => {
    for (let i = 0; i < 8192; i++) matcher.contains(addressText[i]);
  }, 1, 3), 8192);

  const label = `${size.toLocaleString("en")} prefixes`;
  for (const [mode, podnet] of [["batched", batched], ["single", single]] as const) {
    rows.push({ metric: `lookup ${label}, ${mode}`, unit: "M/s", podnet, baseline: lpmRate, baselineName: "longest-prefix-match" });
    rows.push({ metric: `lookup ${label}, ${mode}`, unit: "M/s", podnet, baseline: matcherRate, baselineName: "cidr-matcher (contains only)" });
    rows.push({ metric: `lookup ${label}, ${mode}`, unit: "M/s", podnet, baseline: mapRate, baselineName: "per-length Maps in JavaScript" });
  }
  rows.push({ metric: `memory per prefix, ${label}`, unit: "bytes", podnet: table.memoryBytes / table.size, baseline: 0, baselineName: "not measured for packages", lowerIsBetter: true });

  if (size === 5000) {
    const rebuild = secondsPerCall(() => table.rebuild(), 20) * 1000;
    const lpmBuild = secondsPerCall(() => {
      const fresh = new LongestPrefixMatch();
      for (const route of routes) fresh.addPrefix(formatRoute(route), route.nextHop);
    }, 1, 3) * 1000;
    rows.push({ metric: "full rebuild, 5,000 prefixes", unit: "ms", podnet: rebuild, baseline: lpmBuild, baselineName: "longest-prefix-match build", lowerIsBetter: true });

    // Updates with lookups continuing: each update (a delete or an insert of a /24–/28) is
    // followed by a batch of 64 lookups, as the data path would run between control-plane events.
    const churn = routes.slice(1, 1001);
    let step = 0;
    const updateSeconds = secondsPerCall(() => {
      const route = churn[step % churn.length];
      if ((step++ >> 10) & 1) wasm.routeInsert(route.address, route.length, route.nextHop);
      else wasm.routeDelete(route.address, route.length);
      wasm.routeLookupBatch(input, 64, output);
    }, 20_000);
    let lpmStep = 0;
    const lpmUpdateSeconds = secondsPerCall(() => {
      const route = churn[lpmStep++ % churn.length];
      lpm.addPrefix(formatRoute(route), route.nextHop);
      for (let i = 0; i < 64; i++) lpm.getMatch(hostPrefixText[i]);
    }, 200, 3);
    rows.push({ metric: "updates with lookups continuing, 5,000 prefixes", unit: "k/s", podnet: 1 / updateSeconds / 1e3, baseline: 1 / lpmUpdateSeconds / 1e3, baselineName: "longest-prefix-match addPrefix" });
  }
}
report("route", rows);
