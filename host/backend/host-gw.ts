// host-gw (Flannel's): no encapsulation, a route to each peer's subnet via the peer's public IP.
// Only works when every peer is on this node's L2 segment; a peer behind a router is refused.

import type { Logger } from "pino";
import type { Lease } from "../store/leases";
import { deleteRoutesExcept, ipBatch, ipCommands, ipJson, isAlreadyGone, sysctl } from "../net/ip";
import type { Backend, LocalNode } from "./backend";

interface RouteGet {
  gateway?: string;
  dev: string;
}

export class HostGatewayBackend implements Backend {
  readonly name = "host-gw";
  readonly overhead = 0;
  private interfaceName = "";

  constructor(private readonly log: Logger) {}

  async prepare(): Promise<null> {
    return null;
  }

  async setup(local: LocalNode): Promise<void> {
    this.interfaceName = local.interfaceName;
    sysctl("net.ipv4.ip_forward", "1");
  }

  async addPeer(peer: Lease): Promise<void> {
    const [route] = ipJson<RouteGet[]>(["route", "get", peer.publicIp]);
    if (route?.gateway) {
      throw new Error(`host-gw needs peers on the same L2 segment: ${peer.publicIp} (${peer.subnet}) is reached via router ${route.gateway}`);
    }
    ipBatch([ipCommands.routeReplace(peer.subnet, peer.publicIp, this.interfaceName)]);
  }

  async removePeer(peer: Lease): Promise<void> {
    try {
      ipBatch([ipCommands.routeDelete(peer.subnet)]);
    } catch (error) {
      if (!isAlreadyGone(error)) throw error;
    }
  }

  async prune(peers: Lease[]): Promise<string[]> {
    return deleteRoutesExcept(new Set(peers.map((peer) => peer.subnet)), this.interfaceName);
  }

  async teardown(): Promise<void> {
    this.log.info("host-gw: routes are left in place (fail-static)");
  }
}
