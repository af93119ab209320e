// The routes a Calico node programs from the speaker's best paths: pool prefixes from any peer, and
// anything else only from an external peer (a top-of-rack router's networks, as Calico's BIRD
// programs them), never from the mesh; through the IPIP tunnel when the block's pool says so
// (ipipMode Always, or CrossSubnet and the node is outside this node's subnet); a blackhole for
// each block of this node's own.

import { LOCAL_BLOCK, VIA_IPIP } from "../../backend/routed";
import type { PeerRoute } from "../../backend/backend";
import { ipv4PrefixKey } from "../../bgp/ipv4-prefix-table";
import type { Path } from "../../bgp/route";
import type { IPPool } from "../../resources/kinds";
import { ipv4ToNumber, networkOf, prefixContains } from "../../shared/addresses";
import type { SkippedRoute } from "../control-plane";
import { unusableNodeAddress } from "../node-address";

/** What deciding a route needs to know of this node. */
export interface RouteContext {
  publicIp: string;
  /** This node's address with its mask (the Node's ipv4Address), as CrossSubnet compares. */
  ownAddress?: string;
  pools: IPPool[];
  /** Peers that are other nodes (mesh or reflector sessions), not external routers. */
  meshPeers: Set<string>;
}

/** Whether an enabled pool asks for IPIP: the tunnel is then needed, and pods get the tunnel's MTU. */
export function ipipWanted(pools: IPPool[]): boolean {
  return pools.some((pool) => !pool.spec.disabled && pool.spec.ipipMode !== "Never");
}

/** Whether `nodeIp` is on this node's subnet (the Node's ipv4Address with its mask), as CrossSubnet asks. */
function sameSubnet(context: RouteContext, nodeIp: string): boolean {
  const [address, length] = (context.ownAddress ?? `${context.publicIp}/32`).split("/");
  return networkOf(ipv4ToNumber(address), Number(length)) === networkOf(ipv4ToNumber(nodeIp), Number(length));
}

/** VIA_IPIP when the pool holding `prefix` wants IPIP towards `nodeIp`, else null (routed natively; outside the pools too). */
function encapsulationFor(context: RouteContext, prefix: string, nodeIp: string): PeerRoute["backendData"] {
  const mode = context.pools.find((pool) => prefixContains(pool.spec.cidr, prefix))?.spec.ipipMode ?? "Never";
  return mode === "Always" || (mode === "CrossSubnet" && !sameSubnet(context, nodeIp)) ? { ...VIA_IPIP } : null;
}

/** A best route learned by BGP as a route for the backend, a skipped one (and why), or undefined when it is not one to program. */
export function routeOf(context: RouteContext, prefix: string, path: Path): PeerRoute | SkippedRoute | undefined {
  const nextHop = path.attributes.nextHop;
  if (path.source.local || !nextHop || nextHop === context.publicIp || ipv4PrefixKey(prefix) < 0) return undefined;
  const inPool = context.pools.some((pool) => prefixContains(pool.spec.cidr, prefix));
  if (!inPool && context.meshPeers.has(path.source.address)) return undefined;
  // A peer may say anything: a next hop no node can have is never programmed.
  const unusable = unusableNodeAddress(nextHop, context.publicIp);
  if (unusable) return { prefix, nodeIp: nextHop, reason: "bad-address", message: `route to ${prefix} from ${path.source.address}: next hop ${unusable}` };
  return { prefix, nodeIp: nextHop, backendData: encapsulationFor(context, prefix, nextHop) };
}

/** The blackhole route of one of this node's own blocks. */
export function blackhole(prefix: string, publicIp: string): PeerRoute {
  return { prefix, nodeIp: publicIp, backendData: { ...LOCAL_BLOCK } };
}
