// Calico mode's data plane: a blackhole for each block of this node's own, as Calico's BIRD installs
// them (an address of a local block that no pod holds is dropped here instead of following the
// default route out), and for each remote block either
// - a plain route via the node that announced it: host-gw's kernel route when the node is on this
//   node's L2 segment, else through the underlay's gateway towards it (BIRD's `gateway recursive`),
//   which works only when the routers between know the pods' blocks (they peer by BGP), or
// - a route through the IPIP tunnel (ipip.ts) when the block's pool says so (ipipMode Always, or
//   CrossSubnet and the node is outside this node's subnet): the control plane marks such routes.

import type { Logger } from "pino";
import { deleteRoutesExcept, ipCommands } from "../net/ip";
import type { Kernel } from "../net/kernel";
import { kernelFailures, type Backend, type LocalNode, type PeerRoute, type RouteFailure } from "./backend";
import { HostGatewayBackend } from "./host-gw";
import type { IpipTunnel } from "./ipip";
import { IPIP_OVERHEAD } from "../../assembly/shared/slots";

/** Bytes a route through the IPIP tunnel adds (the outer IPv4 header). */
export const ROUTED_TUNNEL_OVERHEAD = IPIP_OVERHEAD;

/** backendData of a route for one of this node's own blocks. */
export const LOCAL_BLOCK = { localBlock: true } as const;
/** backendData of a route to a remote block through the IPIP tunnel. */
export const VIA_IPIP = { ipip: true } as const;

const isLocal = (route: PeerRoute) => route.backendData?.localBlock === true;
const isTunnelled = (route: PeerRoute) => route.backendData?.ipip === true;

export class RoutedBackend implements Backend {
  readonly name = "routed";
  readonly overhead = 0;
  private readonly remote: HostGatewayBackend;
  private local?: LocalNode;
  private tunnelAddress?: string;
  private tunnel?: IpipTunnel;

  constructor(
    private readonly log: Logger,
    private readonly kernel: Kernel,
    /** Makes the IPIP tunnel (kernel tunl0 or userspace) the first time a route needs it. */
    private readonly makeTunnel?: () => IpipTunnel,
  ) {
    this.remote = new HostGatewayBackend(log, kernel);
  }

  async prepare(): Promise<null> {
    return null;
  }

  async setup(local: LocalNode): Promise<void> {
    this.local = local;
    await this.remote.setup(local);
    // A tunnel address known already (a restart) opens the tunnel now: its kept routes carry on.
    if (this.tunnelAddress) {
      const tunnel = await this.openTunnel();
      if (typeof tunnel === "string") this.log.warn(tunnel);
    }
  }

  /** The tunnel device's address (an address of a local block); the tunnel opens with the first route through it. */
  async useTunnelAddress(address: string): Promise<void> {
    this.tunnelAddress = address;
  }

  /** The open tunnel, opened now if it can be; a message saying why not otherwise. */
  private async openTunnel(): Promise<IpipTunnel | string> {
    if (this.tunnel) return this.tunnel;
    if (!this.makeTunnel) return "this agent was built without IPIP";
    if (!this.local || !this.tunnelAddress) return "the IPIP tunnel has no address yet (an address of one of this node's blocks)";
    const tunnel = this.makeTunnel();
    try {
      await tunnel.open({ tunnelAddress: this.tunnelAddress, publicIp: this.local.publicIp, underlayMtu: this.local.underlayMtu });
    } catch (error) {
      await tunnel.close().catch(() => undefined);
      return `the IPIP tunnel could not be opened: ${(error as Error).message}`;
    }
    this.tunnel = tunnel;
    return tunnel;
  }

  /** The tunnel's kind and device, once open (for logs and tests). */
  get tunnelDevice(): { kind: string; device: string } | undefined {
    return this.tunnel ? { kind: this.tunnel.kind, device: this.tunnel.device } : undefined;
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const local = routes.filter(isLocal);
    const tunnelled = routes.filter(isTunnelled);
    const native = routes.filter((route) => !isLocal(route) && !isTunnelled(route));
    const failures = kernelFailures(local, await this.kernel.apply(local.map((route) => ipCommands.routeReplaceBlackhole(route.prefix))));
    if (tunnelled.length > 0) {
      const tunnel = await this.openTunnel();
      if (typeof tunnel === "string") failures.push(...tunnelled.map((route) => ({ route, reason: "kernel" as const, message: tunnel })));
      else failures.push(...(await tunnel.addRoutes(tunnelled)));
    }
    // A block reached natively now (CrossSubnet, a pool's mode changed) is no longer the tunnel's.
    this.tunnel?.forget([...native, ...local].map((route) => route.prefix));
    const offLink: PeerRoute[] = [];
    for (const failure of await this.remote.addRoutes(native)) {
      if (failure.reason === "not-on-link") offLink.push(failure.route);
      else failures.push(failure);
    }
    return [...failures, ...(await this.viaGateway(offLink))];
  }

  /**
   * Routes to nodes off this segment through the gateway the kernel uses towards each node, as
   * BIRD's `gateway recursive` resolves a BGP next hop.
   */
  private async viaGateway(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const failures: RouteFailure[] = [];
    const resolved: Array<{ route: PeerRoute; gateway: string; device: string }> = [];
    for (const route of routes) {
      const towards = await this.kernel.routeTo(route.nodeIp).catch(() => undefined);
      if (towards?.gateway && towards.dev) resolved.push({ route, gateway: towards.gateway, device: towards.dev });
      else failures.push({ route, reason: "not-on-link", message: `no route to node ${route.nodeIp} through a gateway (it announced ${route.prefix})` });
    }
    const refused = await this.kernel.apply(resolved.map(({ route, gateway, device }) => ipCommands.routeReplace(route.prefix, gateway, device)));
    return [...failures, ...kernelFailures(resolved.map(({ route }) => route), refused)];
  }

  removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    this.tunnel?.forget(routes.map((route) => route.prefix));
    // `route del <prefix> proto podnet` removes a blackhole, a tunnel route or a route via a node alike.
    return this.remote.removeRoutes(routes);
  }

  prune(keep: PeerRoute[]): Promise<string[]> {
    // Every podnet route, blackholes (which have no device) and tunnel routes included.
    return deleteRoutesExcept(this.kernel, new Set(keep.map((route) => route.prefix)));
  }

  async teardown(): Promise<void> {
    await this.tunnel?.close();
    this.log.info("bgp: routes and blackholes are left in place (fail-static; BGP peers keep ours for the graceful-restart time)");
  }
}
