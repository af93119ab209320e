// A route as the RIB keeps it: the path attributes of one UPDATE, decoded once and shared by every
// prefix that UPDATE carried (a table of a million routes from a few thousand UPDATEs holds a few
// thousand attribute objects), and where the route came from.

import { AS_TRANS, AsPathSegmentType, AttributeCode, AttributeFlag } from "./constants";
import { attributeFlags, type AsPathSegment, type PathAttribute } from "./codec/attributes";
import type { Nlri } from "./codec/prefix";
import type { UpdateMessage } from "./codec/update";

export const DEFAULT_LOCAL_PREF = 100;

export interface RouteAttributes {
  origin: number;
  /** With 4-octet ASes merged in from AS4_PATH (RFC 6793 §4.2.3). */
  asPath: AsPathSegment[];
  nextHop: string;
  med?: number;
  localPref: number;
  communities: number[];
  originatorId?: string;
  clusterList: string[];
  atomicAggregate: boolean;
  aggregator?: { asn: number; address: string };
  /** Optional transitive attributes podnet does not know: passed on with the Partial bit. */
  unknownTransitive: PathAttribute[];
}

/** Who a route came from: a peer, or this speaker itself. */
export interface RouteSource {
  /** The peer's address, or "local". */
  address: string;
  routerId: string;
  asn: number;
  internal: boolean;
  routeReflectorClient: boolean;
  local: boolean;
}

/**
 * One path to a prefix; the prefix is the Loc-RIB's key, not a field, so the prefixes of one UPDATE
 * with the same path id and attributes share a single Path (a million routes, a few thousand objects).
 */
export interface Path {
  pathId: number;
  source: RouteSource;
  attributes: RouteAttributes;
  /** RFC 4724: kept from a restarting peer until its End-of-RIB or its restart time. */
  stale: boolean;
}

/** The prefixes an UPDATE announces and withdraws, IPv4 and MP together, and their attributes (none when mandatory ones are missing). */
export interface UpdateRoutes {
  announced: Nlri[];
  withdrawn: Nlri[];
  attributes?: RouteAttributes;
}

/** Number of ASes the path counts for in best-path selection (a set counts one, confederations none). */
export function asPathLength(segments: AsPathSegment[]): number {
  let length = 0;
  for (const segment of segments) {
    if (segment.type === AsPathSegmentType.sequence) length += segment.asns.length;
    else if (segment.type === AsPathSegmentType.set) length += 1;
  }
  return length;
}

/** The AS the route entered our neighbourhood from (the first AS of the first sequence). */
export function neighborAs(segments: AsPathSegment[]): number | undefined {
  const first = segments[0];
  return first && first.type === AsPathSegmentType.sequence ? first.asns[0] : undefined;
}

/** RFC 6793 §4.2.3: rebuild the 4-octet path from a 2-octet speaker's AS_PATH and AS4_PATH. */
export function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  const length = asPathLength(asPath);
  const length4 = asPathLength(as4Path);
  if (length < length4) return asPath;
  let keep = length - length4;
  const merged: AsPathSegment[] = [];
  for (const segment of asPath) {
    if (keep === 0) break;
    if (segment.type === AsPathSegmentType.sequence) {
      const asns = segment.asns.slice(0, keep);
      keep -= asns.length;
      merged.push({ type: segment.type, asns });
    } else {
      if (segment.type === AsPathSegmentType.set) keep -= 1;
      merged.push(segment);
    }
  }
  return [...merged, ...as4Path];
}

/** The routes and shared attributes of a decoded UPDATE from a peer with `fourOctetAs`. */
export function routesOfUpdate(update: UpdateMessage, fourOctetAs: boolean): UpdateRoutes {
  const announced: Nlri[] = update.nlri.slice();
  const withdrawn: Nlri[] = update.withdrawn.slice();
  let origin: number | undefined;
  let asPath: AsPathSegment[] | undefined;
  let as4Path: AsPathSegment[] | undefined;
  let nextHop: string | undefined;
  const attributes: Partial<RouteAttributes> & { communities: number[]; clusterList: string[]; unknownTransitive: PathAttribute[] } = {
    communities: [],
    clusterList: [],
    unknownTransitive: [],
    atomicAggregate: false,
  };
  let mpNextHop: string | undefined;
  for (const attribute of update.attributes) {
    switch (attribute.kind) {
      case "origin":
        origin = attribute.origin;
        break;
      case "as-path":
        asPath = attribute.segments;
        break;
      case "as4-path":
        // RFC 6793 §4.2.3: confederation segments in AS4_PATH make it malformed; a 4-octet peer must not send it.
        if (!fourOctetAs && attribute.segments.every((segment) => segment.type <= AsPathSegmentType.sequence)) as4Path = attribute.segments;
        break;
      case "next-hop":
        nextHop = attribute.nextHop;
        break;
      case "med":
        attributes.med = attribute.med;
        break;
      case "local-pref":
        attributes.localPref = attribute.localPref;
        break;
      case "atomic-aggregate":
        attributes.atomicAggregate = true;
        break;
      case "aggregator":
        attributes.aggregator = { asn: attribute.asn, address: attribute.address };
        break;
      case "as4-aggregator":
        if (!fourOctetAs && attributes.aggregator?.asn === AS_TRANS) attributes.aggregator = { asn: attribute.asn, address: attribute.address };
        break;
      case "communities":
        attributes.communities = attribute.communities;
        break;
      case "originator-id":
        attributes.originatorId = attribute.originatorId;
        break;
      case "cluster-list":
        attributes.clusterList = attribute.clusterIds;
        break;
      case "mp-reach":
        announced.push(...attribute.nlri);
        // The global address; a link-local second next hop is only for the link itself.
        mpNextHop = attribute.nextHops[0];
        break;
      case "mp-unreach":
        withdrawn.push(...attribute.withdrawn);
        break;
      case "unknown":
        if (attribute.flags & AttributeFlag.transitive) attributes.unknownTransitive.push(attribute);
        break;
    }
  }
  // Without them there is no route: the caller treats the prefixes as withdrawn (RFC 7606 §3 (d)).
  if (announced.length === 0 || origin === undefined || asPath === undefined) return { announced, withdrawn };
  const resolvedPath = as4Path ? mergeAs4Path(asPath, as4Path) : asPath;
  return {
    announced,
    withdrawn,
    attributes: {
      ...attributes,
      origin,
      asPath: resolvedPath,
      nextHop: nextHop ?? mpNextHop ?? "",
      localPref: attributes.localPref ?? DEFAULT_LOCAL_PREF,
    } as RouteAttributes,
  };
}

/** How a target peer's session shapes the attributes we send it. */
interface ExportTarget {
  localAs: number;
  internal: boolean;
  fourOctetAs: boolean;
  /** Our address on the session: the next hop for eBGP and for our own routes without one. */
  localAddress: string;
  /** Set when we reflect this route (RFC 4456). */
  reflect?: { clusterId: string };
}

/** The UPDATE attributes for `path` towards `target`, in type-code order. */
export function exportAttributes(path: Path, target: ExportTarget): PathAttribute[] {
  const source = path.attributes;
  const attribute = <T extends PathAttribute["kind"]>(code: number, value: Omit<Extract<PathAttribute, { kind: T }>, "flags" | "code">): PathAttribute =>
    ({ flags: attributeFlags(code), code, ...value }) as PathAttribute;
  const out: PathAttribute[] = [attribute<"origin">(AttributeCode.origin, { kind: "origin", origin: source.origin })];
  let asPath = source.asPath;
  if (!target.internal) {
    const first = asPath[0];
    asPath =
      first && first.type === AsPathSegmentType.sequence && first.asns.length < 255
        ? [{ type: first.type, asns: [target.localAs, ...first.asns] }, ...asPath.slice(1)]
        : [{ type: AsPathSegmentType.sequence, asns: [target.localAs] }, ...asPath];
  }
  const needsAs4 = !target.fourOctetAs && asPath.some((segment) => segment.asns.some((asn) => asn > 0xffff));
  const twoOctet = needsAs4 ? asPath.map((segment) => ({ type: segment.type, asns: segment.asns.map((asn) => (asn > 0xffff ? AS_TRANS : asn)) })) : asPath;
  out.push(attribute<"as-path">(AttributeCode.asPath, { kind: "as-path", segments: twoOctet }));
  const nextHop = !target.internal || path.source.local && source.nextHop === "" ? target.localAddress : source.nextHop || target.localAddress;
  out.push(attribute<"next-hop">(AttributeCode.nextHop, { kind: "next-hop", nextHop }));
  // MED is not passed from one neighbouring AS to another (RFC 4271 §5.1.4).
  if (source.med !== undefined && (target.internal || path.source.local)) out.push(attribute<"med">(AttributeCode.med, { kind: "med", med: source.med }));
  if (target.internal) out.push(attribute<"local-pref">(AttributeCode.localPref, { kind: "local-pref", localPref: source.localPref }));
  if (source.atomicAggregate) out.push(attribute<"atomic-aggregate">(AttributeCode.atomicAggregate, { kind: "atomic-aggregate" }));
  if (source.aggregator) {
    const { asn, address } = source.aggregator;
    out.push(attribute<"aggregator">(AttributeCode.aggregator, { kind: "aggregator", asn: !target.fourOctetAs && asn > 0xffff ? AS_TRANS : asn, address }));
  }
  if (source.communities.length > 0) out.push(attribute<"communities">(AttributeCode.communities, { kind: "communities", communities: source.communities }));
  if (target.reflect) {
    out.push(attribute<"originator-id">(AttributeCode.originatorId, { kind: "originator-id", originatorId: source.originatorId ?? path.source.routerId }));
    out.push(attribute<"cluster-list">(AttributeCode.clusterList, { kind: "cluster-list", clusterIds: [target.reflect.clusterId, ...source.clusterList] }));
  } else if (target.internal && source.originatorId !== undefined) {
    out.push(attribute<"originator-id">(AttributeCode.originatorId, { kind: "originator-id", originatorId: source.originatorId }));
    if (source.clusterList.length > 0) out.push(attribute<"cluster-list">(AttributeCode.clusterList, { kind: "cluster-list", clusterIds: source.clusterList }));
  }
  if (needsAs4) out.push(attribute<"as4-path">(AttributeCode.as4Path, { kind: "as4-path", segments: asPath }));
  if (source.aggregator && needsAs4 && source.aggregator.asn > 0xffff) {
    out.push(attribute<"as4-aggregator">(AttributeCode.as4Aggregator, { kind: "as4-aggregator", asn: source.aggregator.asn, address: source.aggregator.address }));
  }
  for (const unknown of source.unknownTransitive) out.push({ ...unknown, flags: unknown.flags | AttributeFlag.partial });
  return out;
}

/** "64512:100" for a community, or its well-known name. */
export function formatCommunity(community: number): string {
  const names: Record<number, string> = { 0xffffff01: "no-export", 0xffffff02: "no-advertise", 0xffffff03: "no-export-subconfed" };
  return names[community] ?? `${community >>> 16}:${community & 0xffff}`;
}

/** "64512:100" → 32-bit community, or null. */
export function parseCommunity(text: string): number | null {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) return null;
  const high = Number(match[1]);
  const low = Number(match[2]);
  if (high > 0xffff || low > 0xffff) return null;
  return ((high << 16) | low) >>> 0;
}

export function isIpv4Prefix(prefix: string): boolean {
  return !prefix.includes(":");
}

