// What `podnet bgp show` prints and the agent's status will carry: one shape per peer and per path.

import { ipv4PrefixKey } from "./ipv4-prefix-table";
import { ORIGIN_NAMES } from "./constants";
import { formatCommunity, type Path } from "./route";
import type { Speaker } from "./speaker";

export interface PeerStatus {
  address: string;
  as: number;
  type: "iBGP" | "eBGP";
  state: string;
  since: string;
  routerId: string | null;
  lastError: string | null;
  prefixes: { received: number; accepted: number; sent: number };
  holdTime: number | null;
  capabilities: string[];
  routeReflectorClient: boolean;
  passive: boolean;
  /** Calico mode: how the peer came to be one ("node-to-node mesh", "global", "node specific"). */
  kind?: string;
}

export interface RouteStatus {
  prefix: string;
  nextHop: string;
  asPath: string;
  origin: string;
  localPref: number;
  med: number | null;
  communities: string[];
  originatorId: string | null;
  clusterList: string[];
  from: string;
  pathId: number;
  best: boolean;
  stale: boolean;
}

export function peerStatuses(speaker: Speaker, kindOf?: (address: string) => string | undefined): PeerStatus[] {
  return speaker.peers().map(({ peer, received, accepted, sent, routerId }) => {
    const negotiated = peer.established?.negotiated;
    return {
      address: peer.config.address,
      as: peer.config.remoteAs,
      type: peer.internal ? "iBGP" : "eBGP",
      state: peer.state,
      since: peer.since.toISOString(),
      routerId: routerId === "0.0.0.0" ? null : routerId,
      lastError: peer.lastError ?? null,
      prefixes: { received, accepted, sent },
      holdTime: negotiated?.holdTime ?? null,
      capabilities: negotiated?.capabilities ?? [],
      routeReflectorClient: peer.config.routeReflectorClient,
      passive: peer.config.passive,
      ...(kindOf?.(peer.config.address) === undefined ? {} : { kind: kindOf(peer.config.address) }),
    };
  });
}

function routeStatus(prefix: string, path: Path, best: boolean): RouteStatus {
  const attributes = path.attributes;
  const asPath = attributes.asPath.map((segment) => (segment.type === 1 || segment.type === 4 ? `{${segment.asns.join(",")}}` : segment.asns.join(" "))).join(" ");
  return {
    prefix,
    nextHop: attributes.nextHop || "self",
    asPath,
    origin: ORIGIN_NAMES[attributes.origin] ?? String(attributes.origin),
    localPref: attributes.localPref,
    med: attributes.med ?? null,
    communities: attributes.communities.map(formatCommunity),
    originatorId: attributes.originatorId ?? null,
    clusterList: attributes.clusterList,
    from: path.source.address,
    pathId: path.pathId,
    best,
    stale: path.stale,
  };
}

/** Every path in the Loc-RIB, by prefix, best first within each prefix; `prefix` narrows it to one. */
export function routeStatuses(speaker: Speaker, prefix?: string): RouteStatus[] {
  const out: RouteStatus[] = [];
  if (prefix !== undefined) {
    speaker.rib.paths(prefix).forEach((path, i) => out.push(routeStatus(prefix, path, i === 0)));
    return out;
  }
  // Sorted, as BIRD and GoBGP show a table: IPv4 by address then length, anything else after, by text.
  const entries = [...speaker.rib.entries()].map(([each, paths]) => ({ each, paths, key: ipv4PrefixKey(each) }));
  entries.sort((a, b) => (a.key >= 0 && b.key >= 0 ? a.key - b.key : a.key >= 0 ? -1 : b.key >= 0 ? 1 : a.each < b.each ? -1 : a.each > b.each ? 1 : 0));
  for (const { each, paths } of entries) paths.forEach((path, i) => out.push(routeStatus(each, path, i === 0)));
  return out;
}
