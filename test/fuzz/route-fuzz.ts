// Route-table agreement campaign for `npm run fuzz`: random tables of 10, 5,000 and 500,000
// prefixes (realistic lengths, /0 and /32, nested and overlapping), built by inserts or a bulk
// load, then churned by deletes that expose shorter matches and by replacements, and checked
// with batched lookups against an independent reference (linear scan or per-length Maps).
import { readFileSync } from "node:fs";
import { instantiateCore } from "../../host/wasm/module";
import { RouteTable } from "../../host/wasm/route-table";
import { distPath } from "../helpers/paths";
import { seededRandom } from "../helpers/random";
import { formatRoute, LengthMaps, linearLookup, randomAddresses, randomRoutes } from "../helpers/route-reference";

export interface RouteFuzzReport {
  lookups: number;
  disagreements: string[];
}

/** Checks `lookups` lookups in all, split over the three table sizes, from `seed`. */
export function fuzzRoutes(seed: number, lookups: number): RouteFuzzReport {
  const report: RouteFuzzReport = { lookups: 0, disagreements: [] };
  const sizes = [10, 5000, 500_000];
  for (const size of sizes) {
    const next = seededRandom(seed + size);
    const table = new RouteTable(instantiateCore(readFileSync(distPath("podnet.wasm"))));
    const reference = new LengthMaps();
    const routes = randomRoutes(next, size);
    for (const route of routes) reference.set(route);
    if (size > 5000) table.load(routes.map((route) => [formatRoute(route), route.nextHop]));
    else for (const route of routes) table.add(formatRoute(route), route.nextHop);
    // Churn a tenth of the table: deletes expose shorter matches, re-adds replace next hops.
    for (let i = 0; i < Math.ceil(size / 10); i++) {
      const route = routes[next() % routes.length];
      if (next() & 1) {
        table.remove(formatRoute(route));
        reference.delete(route.address, route.length);
      } else {
        const replaced = { ...route, nextHop: next() % 4096 };
        table.add(formatRoute(replaced), replaced.nextHop);
        reference.set(replaced);
      }
    }
    const lookup = size <= 10 ? (address: number) => linearLookup(reference.routes(), address) : (address: number) => reference.lookup(address);
    let remaining = Math.ceil(lookups / sizes.length);
    while (remaining > 0) {
      const addresses = randomAddresses(next, routes, Math.min(remaining, 1 << 16));
      const answers = table.lookupMany(addresses);
      for (let i = 0; i < addresses.length; i++) {
        const want = lookup(addresses[i])?.nextHop ?? 0xffffffff;
        if (answers[i] !== want && report.disagreements.length < 20) {
          report.disagreements.push(`${size} prefixes: address ${addresses[i]} → ${answers[i]}, reference ${want}`);
        }
      }
      report.lookups += addresses.length;
      remaining -= addresses.length;
    }
  }
  return report;
}
