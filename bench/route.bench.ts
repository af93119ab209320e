// Route table: lookups per second on one core, for 5,000 and 500,000 prefixes shaped like real
// tables, each compared with something doing the same work. Addresses as numbers — single (one
// JS→Wasm call per address) and batched (one call per 65,536) — against per-length Maps in plain
// JavaScript, which take numbers too. Addresses as dotted-quad text, parsed per lookup as the npm
// packages a JavaScript user would pick must (their APIs take only strings) — podnet's
// RouteTable.lookup(text) against longest-prefix-match (a true LPM) and cidr-matcher (a contains
// check only, less work). Also: memory per prefix, full rebuild of 5,000 prefixes, and updates per
// second with lookups continuing, from text on both sides. All in the same run.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { instantiateCore } from "../host/wasm/module";
import { RouteTable } from "../host/wasm/route-table";
import { numberToIpv4 } from "../host/shared/addresses";
import { distPath } from "../test/helpers/paths";
import { seededRandom } from "../test/helpers/random";
import { formatRoute, LengthMaps, randomAddresses, randomRoutes } from "../test/helpers/route-reference";
import { report, secondsPerCall, type BenchRow } from "./measure";

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
  const fromText = rate(secondsPerCall(() => {
    for (let i = 0; i < 8192; i++) table.lookup(addressText[i]);
  }, 3, 3), 8192);

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
    rows.push({ metric: `lookup ${label}, numbers, ${mode}`, unit: "M/s", podnet, baseline: mapRate, baselineName: "per-length Maps in JavaScript (numbers)" });
  }
  rows.push({ metric: `lookup ${label}, dotted-quad text`, unit: "M/s", podnet: fromText, baseline: lpmRate, baselineName: "longest-prefix-match (text)" });
  rows.push({ metric: `lookup ${label}, dotted-quad text`, unit: "M/s", podnet: fromText, baseline: matcherRate, baselineName: "cidr-matcher (text, contains only)" });
  rows.push({ metric: `memory per prefix, ${label}`, unit: "bytes", podnet: table.memoryBytes / table.size, baseline: 0, baselineName: "not measured for packages", lowerIsBetter: true });

  if (size === 5000) {
    const rebuild = secondsPerCall(() => table.rebuild(), 20) * 1000;
    const lpmBuild = secondsPerCall(() => {
      const fresh = new LongestPrefixMatch();
      for (const route of routes) fresh.addPrefix(formatRoute(route), route.nextHop);
    }, 1, 3) * 1000;
    rows.push({ metric: "full rebuild, 5,000 prefixes", unit: "ms", podnet: rebuild, baseline: lpmBuild, baselineName: "longest-prefix-match build", lowerIsBetter: true });

    // Updates with lookups continuing: each update (an insert, replacing, of a /24–/28 given as
    // text: longest-prefix-match has no delete) is followed by 64 lookups of text addresses, the
    // same work on both sides.
    const churn = routes.slice(1, 1001);
    const churnText = churn.map(formatRoute);
    let step = 0;
    const updateSeconds = secondsPerCall(() => {
      const index = step++ % churn.length;
      table.add(churnText[index], churn[index].nextHop);
      for (let i = 0; i < 64; i++) table.lookup(addressText[i]);
    }, 2_000);
    let lpmStep = 0;
    const lpmUpdateSeconds = secondsPerCall(() => {
      const index = lpmStep++ % churn.length;
      lpm.addPrefix(churnText[index], churn[index].nextHop);
      for (let i = 0; i < 64; i++) lpm.getMatch(hostPrefixText[i]);
    }, 200, 3);
    rows.push({ metric: "updates with lookups continuing, 5,000 prefixes", unit: "k/s", podnet: 1 / updateSeconds / 1e3, baseline: 1 / lpmUpdateSeconds / 1e3, baselineName: "longest-prefix-match addPrefix + getMatch" });
  }
}
report("route", rows);
