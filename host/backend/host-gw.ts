// host-gw (Flannel's): no encapsulation, a route to each peer's prefix via the peer's underlay
// address. Only works when every peer is on this node's L2 segment; a peer behind a router is
// refused (and retried, in case the underlay changes).

import type { Logger } from "pino";
import { ipv4ToNumber, networkOf, parsePrefix } from "../shared/addresses";
import { deleteRoutesExcept, ipCommands, readConnectedRoutes } from "../net/ip";
import { isAlreadyGone, type Kernel } from "../net/kernel";
import { kernelFailures, type Backend, type LocalNode, type PeerRoute, type RouteFailure } from "./backend";

export class HostGatewayBackend implements Backend {
  readonly name = "host-gw";
  readonly overhead = 0;
  private interfaceName = "";

  constructor(private readonly log: Logger, private readonly kernel: Kernel) {}

  async prepare(): Promise<null> {
    return null;
  }

  async setup(local: LocalNode): Promise<void> {
    this.interfaceName = local.interfaceName;
    await this.kernel.writeSysctl("net/ipv4/ip_forward", "1");
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    if (routes.length === 0) return [];
    // One read of the connected networks instead of a `route get` per peer.
    const connected = (await readConnectedRoutes(this.kernel))
      .filter((route) => route.dev === this.interfaceName && route.dst !== "0.0.0.0/0")
      .map((route) => parsePrefix(route.dst));
    const onLink = (address: string) => connected.some((prefix) => networkOf(ipv4ToNumber(address), prefix.length) === prefix.address);
    const failures: RouteFailure[] = [];
    const reachable: PeerRoute[] = [];
    for (const route of routes) {
      if (onLink(route.nodeIp)) reachable.push(route);
      else failures.push({ route, reason: "not-on-link", message: `host-gw needs peers on the same L2 segment: ${route.nodeIp} (${route.prefix}) is not on a network of ${this.interfaceName}` });
    }
    const refused = await this.kernel.apply(reachable.map((route) => ipCommands.routeReplace(route.prefix, route.nodeIp, this.interfaceName)));
    return [...failures, ...kernelFailures(reachable, refused)];
  }

  async removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const refused = await this.kernel.apply(routes.map((route) => ipCommands.routeDelete(route.prefix)));
    return kernelFailures(routes, refused.filter((failure) => !isAlreadyGone(failure)));
  }

  async prune(keep: PeerRoute[]): Promise<string[]> {
    return deleteRoutesExcept(this.kernel, new Set(keep.map((route) => route.prefix)), this.interfaceName);
  }

  async teardown(): Promise<void> {
    this.log.info("host-gw: routes are left in place (fail-static)");
  }
}
