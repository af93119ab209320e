// One peer's routes into the Loc-RIB (its Adj-RIB-In after policy): an UPDATE's withdrawals, and its
// announcements as the import decision leaves them, with the counts `bgp show` gives per peer —
// received (accepted or refused) and accepted. A refused prefix is remembered so it is counted once
// and its withdrawal uncounts it.

import type { LocRib } from "./rib";
import type { Path, RouteAttributes, RouteSource, UpdateRoutes } from "./route";

/** A peer's inbound side: where its routes come from and what has been counted. */
interface Inbound {
  source: RouteSource;
  received: number;
  accepted: number;
  /** Prefixes the import policy or a loop check refused (counted as received, not accepted). */
  rejected: Set<string>;
}

/**
 * Applies `routes` from `peer` to `rib`: withdrawals (and, when `withdrawAll`, the announcements
 * too, RFC 7606's treat-as-withdraw), then each announcement as `accept` leaves its attributes
 * (null: refused). Prefixes that keep the UPDATE's own attributes with one path id share one Path.
 */
export function takeRoutes(rib: LocRib, peer: Inbound, routes: UpdateRoutes, withdrawAll: boolean, accept: (prefix: string, attributes: RouteAttributes) => RouteAttributes | null): void {
  let announced = routes.announced;
  let withdrawn = routes.withdrawn;
  if (withdrawAll || routes.attributes === undefined) {
    withdrawn = withdrawn.concat(announced);
    announced = [];
  }
  for (const nlri of withdrawn) {
    if (peer.rejected.delete(nlri.prefix)) peer.received--;
    else if (rib.remove(nlri.prefix, peer.source, nlri.pathId)) {
      peer.received--;
      peer.accepted--;
    }
  }
  const attributes = routes.attributes;
  if (announced.length === 0 || !attributes) return;
  const shared = new Map<number, Path>();
  for (const nlri of announced) {
    const accepted = accept(nlri.prefix, attributes);
    if (accepted === null) {
      if (!peer.rejected.has(nlri.prefix)) {
        peer.rejected.add(nlri.prefix);
        peer.received++;
      }
      if (rib.remove(nlri.prefix, peer.source, nlri.pathId)) {
        peer.received--;
        peer.accepted--;
      }
      continue;
    }
    if (peer.rejected.size > 0 && peer.rejected.delete(nlri.prefix)) peer.received--;
    let path = accepted === attributes ? shared.get(nlri.pathId) : undefined;
    if (path === undefined) {
      path = { pathId: nlri.pathId, source: peer.source, attributes: accepted, stale: false };
      if (accepted === attributes) shared.set(nlri.pathId, path);
    }
    if (rib.upsert(nlri.prefix, path)) {
      peer.received++;
      peer.accepted++;
    }
  }
}
