// Route changes sent straight through a RouteNetlink socket, a datagram at a time, with each
// refusal mapped to its change: what the netlink tests and the netlink bench measure against
// `ip -batch`. The product applies KernelChanges through the netlink Kernel instead.

import { REQUESTS_PER_DATAGRAM, type NetlinkRoute, type RouteNetlink } from "../../host/net/netlink";
import { routeRequest } from "../../host/net/netlink-requests";

export type NetlinkRouteChange = { op: "add" | "replace" | "delete"; route: NetlinkRoute };

/** A route change the kernel refused: what was asked, and the refusal as `ip` prints it. */
export class NetlinkError extends Error {
  constructor(
    readonly change: NetlinkRouteChange,
    readonly errno: number,
    text: string,
  ) {
    super(`${change.op} route ${change.route.destination}${change.route.gateway ? ` via ${change.route.gateway}` : ""} table ${change.route.table}: ${text}`);
  }
}

/**
 * Sends the changes, up to REQUESTS_PER_DATAGRAM a datagram, and reads their acknowledgements;
 * returns, per change, undefined when it was done or the NetlinkError naming it. Changes are
 * applied in order; one failing does not stop the others (as `ip -batch -force`).
 */
export function applyRouteChanges(netlink: RouteNetlink, changes: NetlinkRouteChange[]): Array<NetlinkError | undefined> {
  const results: Array<NetlinkError | undefined> = [];
  for (let from = 0; from < changes.length; from += REQUESTS_PER_DATAGRAM) {
    const chunk = changes.slice(from, from + REQUESTS_PER_DATAGRAM);
    const refusals = netlink.exchange(chunk.map((change) => routeRequest(change.route, change.op)));
    results.push(...refusals.map((refusal, index) => (refusal ? new NetlinkError(chunk[index], refusal.errno, refusal.text) : undefined)));
  }
  return results;
}
