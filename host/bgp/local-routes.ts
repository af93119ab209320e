// The speaker's own routes: their attributes built once per distinct set (next hop, MED,
// LOCAL_PREF, communities) and shared, so routes announced alike export together in full UPDATEs.

import { DEFAULT_LOCAL_PREF, type RouteAttributes } from "./route";

export interface LocalRoute {
  prefix: string;
  nextHop?: string;
  communities?: number[];
  med?: number;
  localPref?: number;
}

export class LocalRoutes {
  private readonly byPrefix = new Map<string, RouteAttributes>();
  private readonly shared = new Map<string, RouteAttributes>();

  /** Records `route` and returns its attributes (the same object as every route announced alike). */
  set(route: LocalRoute): RouteAttributes {
    const key = JSON.stringify([route.nextHop ?? "", route.med, route.localPref ?? DEFAULT_LOCAL_PREF, route.communities ?? []]);
    let attributes = this.shared.get(key);
    if (!attributes) {
      attributes = {
        origin: 0,
        asPath: [],
        nextHop: route.nextHop ?? "",
        med: route.med,
        localPref: route.localPref ?? DEFAULT_LOCAL_PREF,
        communities: route.communities ?? [],
        clusterList: [],
        atomicAggregate: false,
        unknownTransitive: [],
      };
      this.shared.set(key, attributes);
    }
    this.byPrefix.set(route.prefix, attributes);
    return attributes;
  }

  delete(prefix: string): void {
    this.byPrefix.delete(prefix);
  }

  prefixes(): string[] {
    return [...this.byPrefix.keys()];
  }
}
