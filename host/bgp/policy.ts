// The speaker's fixed policy, the RFCs' rules before any configured policy: what may enter the
// Loc-RIB from a peer (RFC 8212 for eBGP without a policy, RFC 4271 §6.3's first AS, AS_PATH,
// ORIGINATOR_ID and CLUSTER_LIST loops), and what may leave towards a peer, with which attributes
// (NO_ADVERTISE, NO_EXPORT, iBGP split horizon, RFC 4456 route reflection).

import { AsPathSegmentType, WellKnownCommunity } from "./constants";
import type { PathAttribute } from "./codec/attributes";
import type { PeerConfig } from "./config";
import type { Peer } from "./peer";
import { exportAttributes, type Path, type RouteAttributes, type RouteSource } from "./route";

/** What the rules need to know of this speaker. */
export interface PolicyContext {
  localAs: number;
  routerId: string;
  clusterId: string;
}

/** Why routes with these attributes from `config`'s peer may not enter the Loc-RIB, or undefined. */
export function importRefusal(config: PeerConfig, source: RouteSource, attributes: RouteAttributes, speaker: PolicyContext): string | undefined {
  if (!source.internal) {
    if ((config.importPolicy ?? "none") === "none") return "no import policy for an eBGP peer (RFC 8212)";
    const first = attributes.asPath[0];
    // RFC 4271 §6.3: an eBGP route must start with the neighbour's AS.
    if (!first || first.type !== AsPathSegmentType.sequence || first.asns[0] !== config.remoteAs) return `AS_PATH does not start with the peer's AS ${config.remoteAs}`;
  } else if (config.importPolicy === "none") {
    return "import policy none";
  }
  if (attributes.asPath.some((segment) => segment.asns.includes(speaker.localAs))) return `AS_PATH contains our AS ${speaker.localAs} (loop)`;
  if (attributes.originatorId === speaker.routerId) return "ORIGINATOR_ID is our router ID (reflection loop)";
  if (attributes.clusterList.includes(speaker.clusterId)) return "CLUSTER_LIST contains our cluster ID (reflection loop)";
  return undefined;
}

/** What `path` becomes towards `peer` (whose routes come as `target`), or null when it must not go there. */
export function exportFor(peer: Peer, target: RouteSource, path: Path, speaker: PolicyContext): PathAttribute[] | null {
  const config = peer.config;
  if (path.source === target) return null;
  const communities = path.attributes.communities;
  if (communities.includes(WellKnownCommunity.noAdvertise)) return null;
  if (!target.internal && (communities.includes(WellKnownCommunity.noExport) || communities.includes(WellKnownCommunity.noExportSubconfed))) return null;
  if (!target.internal && (config.exportPolicy ?? "none") === "none") return null;
  if (target.internal && config.exportPolicy === "none") return null;
  let reflect: { clusterId: string } | undefined;
  if (path.source.internal && !path.source.local && target.internal) {
    // RFC 4456 §6: from a client to everyone; from a non-client to clients only; else iBGP split horizon.
    if (!path.source.routeReflectorClient && !target.routeReflectorClient) return null;
    reflect = { clusterId: speaker.clusterId };
  }
  const connection = peer.established!;
  return exportAttributes(path, {
    localAs: speaker.localAs,
    internal: target.internal,
    fourOctetAs: connection.negotiated!.fourOctetAs,
    localAddress: config.localAddress ?? connection.localAddress,
    reflect,
  });
}
