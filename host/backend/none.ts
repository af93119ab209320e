// The `none` backend: programs nothing and logs what a real backend would do. Lets the control
// plane (leases, watch, reconcile) run and be tested on its own.

import type { Logger } from "pino";
import type { Backend, LocalNode, PeerRoute, RouteFailure } from "./backend";

export class NoneBackend implements Backend {
  readonly name = "none";
  readonly overhead = 0;
  constructor(private readonly log: Logger) {}

  async prepare(): Promise<null> {
    return null;
  }

  async setup(local: LocalNode): Promise<void> {
    this.log.info({ tunnelAddress: local.tunnelAddress, publicIp: local.publicIp }, "backend none: setup (nothing to program)");
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    for (const route of routes) this.log.debug({ prefix: route.prefix, nodeIp: route.nodeIp }, "backend none: would add route");
    return [];
  }

  async removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    for (const route of routes) this.log.debug({ prefix: route.prefix, nodeIp: route.nodeIp }, "backend none: would remove route");
    return [];
  }

  async prune(): Promise<string[]> {
    return [];
  }

  async teardown(): Promise<void> {
    this.log.info("backend none: teardown (nothing to remove)");
  }
}
