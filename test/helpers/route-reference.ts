// Independent references for longest-prefix match, and random route tables shaped like real
// ones, for the route table's agreement tests and fuzz run.

/** A route as the references hold it. */
export interface Route {
  address: number;
  length: number;
  nextHop: number;
}

const maskOf = (length: number) => (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);

/** Linear scan: the longest prefix containing `address`; fine for small tables. */
export function linearLookup(routes: Iterable<Route>, address: number): Route | undefined {
  let best: Route | undefined;
  for (const route of routes) {
    if (((address & maskOf(route.length)) >>> 0) === route.address && (!best || route.length > best.length)) best = route;
  }
  return best;
}

/** One Map per prefix length, probed from /32 down to /0. */
export class LengthMaps {
  private readonly maps = Array.from({ length: 33 }, () => new Map<number, Route>());

  set(route: Route): void {
    this.maps[route.length].set(route.address, route);
  }

  delete(address: number, length: number): boolean {
    return this.maps[length].delete(address);
  }

  lookup(address: number): Route | undefined {
    for (let length = 32; length >= 0; length--) {
      const route = this.maps[length].get((address & maskOf(length)) >>> 0);
      if (route) return route;
    }
    return undefined;
  }

  *routes(): IterableIterator<Route> {
    for (const map of this.maps) yield* map.values();
  }
}

/** A prefix length drawn like a BGP table's: mostly /24, then /22–/23, /16–/21, /25–/32, a few short. */
export function realisticLength(next: () => number): number {
  const roll = next() % 1000;
  if (roll < 550) return 24;
  if (roll < 750) return 22 + (next() % 2);
  if (roll < 900) return 16 + (next() % 6);
  if (roll < 970) return 25 + (next() % 8);
  if (roll < 995) return 8 + (next() % 8);
  return next() % 8;
}

/** `count` random routes: realistic lengths, /0 and /32 included, many nested under earlier ones. */
export function randomRoutes(next: () => number, count: number): Route[] {
  const routes: Route[] = [{ address: 0, length: 0, nextHop: next() % 4096 }];
  while (routes.length < count) {
    const length = routes.length % 97 === 0 ? 32 : realisticLength(next);
    // Half the time nest under (or overlap) an existing route, so longer and shorter matches compete.
    const base = next() & 1 ? routes[next() % routes.length].address | (next() & (0xffffffff >>> Math.min(31, routes[next() % routes.length].length))) : next();
    routes.push({ address: (base & maskOf(length)) >>> 0, length, nextHop: next() % 4096 });
  }
  return routes;
}

/** Addresses to look up: half inside some route of the table (deep in nested ones), half anywhere. */
export function randomAddresses(next: () => number, routes: Route[], count: number): Uint32Array {
  const addresses = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const route = routes[next() % routes.length];
    addresses[i] = next() & 1 ? (route.address | (next() & ~maskOf(route.length))) >>> 0 : next();
  }
  return addresses;
}

export const formatRoute = (route: Route) => `${[route.address >>> 24, (route.address >>> 16) & 255, (route.address >>> 8) & 255, route.address & 255].join(".")}/${route.length}`;
