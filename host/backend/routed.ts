// Calico mode without encapsulation: a route to each remote block via the node that announced it
// (host-gw's kernel route, and like it only for nodes on this node's L2 segment), and a blackhole
// for each block of this node's own, as Calico's BIRD installs them: an address of a local block
// that no pod holds is dropped here instead of following the default route out.

import type { Logger } from "pino";
import { deleteRoutesExcept, ipCommands } from "../net/ip";
import type { Kernel } from "../net/kernel";
import { kernelFailures, type Backend, type LocalNode, type PeerRoute, type RouteFailure } from "./backend";
import { HostGatewayBackend } from "./host-gw";

/** backendData of a route for one of this node's own blocks. */
export const LOCAL_BLOCK = { localBlock: true } as const;

const isLocal = (route: PeerRoute) => route.backendData?.localBlock === true;

export class RoutedBackend implements Backend {
  readonly name = "bgp";
  readonly overhead = 0;
  private readonly remote: HostGatewayBackend;

  constructor(
    private readonly log: Logger,
    private readonly kernel: Kernel,
  ) {
    this.remote = new HostGatewayBackend(log, kernel);
  }

  async prepare(): Promise<null> {
    return null;
  }

  setup(local: LocalNode): Promise<void> {
    return this.remote.setup(local);
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const local = routes.filter(isLocal);
    const refused = await this.kernel.apply(local.map((route) => ipCommands.routeReplaceBlackhole(route.prefix)));
    return [...kernelFailures(local, refused), ...(await this.remote.addRoutes(routes.filter((route) => !isLocal(route))))];
  }

  removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    // `route del <prefix> proto podnet` removes a blackhole as well as a route via a node.
    return this.remote.removeRoutes(routes);
  }

  prune(keep: PeerRoute[]): Promise<string[]> {
    // Every podnet route, blackholes (which have no device) included.
    return deleteRoutesExcept(this.kernel, new Set(keep.map((route) => route.prefix)));
  }

  async teardown(): Promise<void> {
    this.log.info("bgp: routes and blackholes are left in place (fail-static; BGP peers keep ours for the graceful-restart time)");
  }
}
