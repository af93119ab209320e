// Calico's IPIP (RFC 2003): pod packets to a remote block wrapped in a second IPv4 header addressed
// to the node that owns it, through a tunnel device holding one address of a local block as a /32
// (the source of the host's own packets to remote pods, and of ICMP errors), with the MTU of the
// underlay less 20 and one route per remote block: `<block> via <node> dev tunl0 onlink proto podnet`.
// - kernel: tunl0, the fallback device the ipip module makes; podnet sets it up, the kernel does
//   the rest.
// - userspace (no ipip module, or --userspace): a persistent TUN device of the same name (where it
//   is free) with the same routes; the relay (tun-relay.ts) encapsulates in the Wasm core — the
//   outer header as tunl0 writes it — and sends through a raw IP-protocol-4 socket, accepting
//   protocol-4 packets only from nodes it holds routes to.

import type { Logger } from "pino";
import { EncapMode, IPIP_OVERHEAD } from "../../assembly/shared/slots";
import { ipCommands, readPodnetRoutes } from "../net/ip";
import { applyOrThrow, type Kernel } from "../net/kernel";
import { kernelFailures, type BackendMetrics, type PeerRoute, type RouteFailure } from "./backend";
import { errnoName, TunRelay } from "./tun-relay";

/** The kernel's IPIP device, and the name the userspace one takes where it is free. */
const TUNNEL_DEVICE = "tunl0";
/** The userspace device's name when a kernel tunl0 (which cannot be deleted) is in the way. */
const USERSPACE_FALLBACK_DEVICE = "podnet-ipip";

/** What the tunnel needs of this node. */
interface TunnelEndpoint {
  /** The /32 the device holds: an address of one of this node's blocks. */
  tunnelAddress: string;
  publicIp: string;
  underlayMtu: number;
}

export interface IpipTunnel {
  readonly kind: "kernel" | "userspace";
  /** The device routes go through; known after open. */
  readonly device: string;
  /** Makes the device hold the endpoint's address, with its MTU, up. */
  open(endpoint: TunnelEndpoint): Promise<void>;
  /** Routes each remote block through the device to its node; removing one is an ordinary `route del`. */
  addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]>;
  /** Routes this tunnel no longer carries (their node is now reached natively, or gone). */
  forget(prefixes: string[]): void;
  close(): Promise<void>;
}

const tunnelRoute = (device: string) => (route: PeerRoute) => ipCommands.routeReplace(route.prefix, route.nodeIp, device, true);

/** tunl0 of the kernel's ipip module. */
export class KernelIpipTunnel implements IpipTunnel {
  readonly kind = "kernel";
  readonly device = TUNNEL_DEVICE;

  constructor(private readonly log: Logger, private readonly kernel: Kernel) {}

  async open(endpoint: TunnelEndpoint): Promise<void> {
    await this.kernel.writeSysctl("net/ipv4/ip_forward", "1");
    await applyOrThrow(this.kernel, [ipCommands.addressReplace(`${endpoint.tunnelAddress}/32`, this.device), ipCommands.linkMtuUp(this.device, endpoint.underlayMtu - IPIP_OVERHEAD)]);
    this.log.info({ device: this.device, address: endpoint.tunnelAddress }, "IPIP through the kernel's tunl0");
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    return kernelFailures(routes, await this.kernel.apply(routes.map(tunnelRoute(this.device))));
  }

  forget(): void {}

  async close(): Promise<void> {
    this.log.info({ device: this.device }, "IPIP: tunl0 and its routes are left in place (fail-static)");
  }
}

/** A TUN device, the Wasm core and a raw socket in place of tunl0. */
export class UserspaceIpipTunnel implements IpipTunnel {
  readonly kind = "userspace";
  device = TUNNEL_DEVICE;
  private readonly relay: TunRelay;

  constructor(private readonly log: Logger, private readonly kernel: Kernel, metrics: BackendMetrics, offload = true) {
    this.relay = new TunRelay(EncapMode.Ipip, 0, offload, (errno) =>
      log.warn({ device: this.device, errno: errnoName(errno) }, "the kernel refused IPIP packets to a peer node (counted as SendRefused)"),
    );
    metrics.countDatapath(() => this.relay.counts());
  }

  /** Whether the TUN device runs with offload (TSO super-packets cut in the Wasm core); known after open. */
  get offload(): boolean {
    return this.relay.offload;
  }

  async open(endpoint: TunnelEndpoint): Promise<void> {
    const existing = await this.kernel.link(TUNNEL_DEVICE);
    // The kernel's tunl0 cannot be deleted while its module is loaded: take another name.
    this.device = existing && existing.linkinfo?.info_kind !== "tun" ? USERSPACE_FALLBACK_DEVICE : TUNNEL_DEVICE;
    // Persistent, as tunl0 is: when this process dies its routes stay, and a restart carries on with
    // them at once (the relay learns them back from the kernel) instead of after BGP has converged.
    this.relay.open(this.device, { publicIp: endpoint.publicIp, overlayIp: endpoint.tunnelAddress, vtepMac: "00:00:00:00:00:00", vni: 1, mtu: endpoint.underlayMtu }, { persist: true });
    await this.kernel.writeSysctl("net/ipv4/ip_forward", "1");
    // IPv4 only, as tunl0: no IPv6 link-local address, router solicitations or MLD reports for the core to drop.
    await this.kernel.writeSysctl(`net/ipv6/conf/${this.device}/disable_ipv6`, "1").catch(() => undefined);
    await applyOrThrow(this.kernel, [ipCommands.addressReplace(`${endpoint.tunnelAddress}/32`, this.device), ipCommands.linkMtuUp(this.device, endpoint.underlayMtu - IPIP_OVERHEAD)]);
    const kept = (await readPodnetRoutes(this.kernel, this.device)).filter((route) => route.gateway);
    for (const route of kept) this.relay.setRoute(route.dst, { publicIp: route.gateway!, vtepMac: "00:00:00:00:00:00" });
    this.log.info({ device: this.device, address: endpoint.tunnelAddress, offload: this.relay.offload, keptRoutes: kept.length }, "IPIP in userspace: TUN device, Wasm core, raw IP-protocol-4 socket");
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const failures: RouteFailure[] = [];
    const set: PeerRoute[] = [];
    for (const route of routes) {
      try {
        this.relay.setRoute(route.prefix, { publicIp: route.nodeIp, vtepMac: "00:00:00:00:00:00" });
        set.push(route);
      } catch (error) {
        failures.push({ route, reason: "capacity", message: (error as Error).message });
      }
    }
    const refused = kernelFailures(set, await this.kernel.apply(set.map(tunnelRoute(this.device))));
    for (const failure of refused) this.relay.removeRoute(failure.route.prefix);
    return [...failures, ...refused];
  }

  forget(prefixes: string[]): void {
    for (const prefix of prefixes) this.relay.removeRoute(prefix);
  }

  async close(): Promise<void> {
    this.relay.close();
    this.log.info({ device: this.device }, "IPIP in userspace stopped; the device and its routes go with it");
  }
}
