// The userspace backends: a TUN device whose packets the Wasm core encapsulates and a UDP socket
// on the underlay (tun-relay.ts). Two flavours with one implementation:
// - `vxlan` in userspace: device flannel.1 (a TUN device here), UDP 8472, VNI 1, inner Ethernet
//   with VtepMACs — the kernel VTEP's wire format, so it talks to Flannel's kernel flannel.1 nodes;
//   chosen by --userspace, or when the kernel has no vxlan module.
// - `udp`: Flannel's UDP backend: TUN flannel0, UDP 8285, the bare inner IPv4 packet.
// The device holds the tunnel address (the subnet's .0) as a /32 (the source of the ICMP errors
// the core builds) and one route per peer prefix, tagged as podnet's. The device lives as long as
// this process: when the agent stops, the kernel removes it and its routes; a restart makes them again.

import type { Logger } from "pino";
import { EncapMode } from "../../assembly/shared/slots";
import { ipv4ToNumber } from "../shared/addresses";
import { deleteRoutesExcept, ipCommands } from "../net/ip";
import { applyOrThrow, isAlreadyGone, type Kernel } from "../net/kernel";
import { kernelFailures, type Backend, type BackendMetrics, type BackendSettings, type LocalNode, type PeerRoute, type RouteFailure } from "./backend";
import { FLANNEL_UDP, FLANNEL_VXLAN } from "./flannel-wire";
import { errnoName, TunRelay } from "./tun-relay";
import { withVtepMacs } from "./vtep";

interface UserspaceFlavour {
  name: string;
  device: string;
  port: number;
  mode: EncapMode;
  /** Bytes in front of the inner packet on the underlay: the pods' MTU is the underlay's less this. */
  overhead: number;
}

export const USERSPACE_VXLAN: UserspaceFlavour = { name: "vxlan", device: FLANNEL_VXLAN.device, port: FLANNEL_VXLAN.port, mode: EncapMode.Vxlan, overhead: FLANNEL_VXLAN.overhead };
export const USERSPACE_UDP: UserspaceFlavour = { name: "udp", device: FLANNEL_UDP.device, port: FLANNEL_UDP.port, mode: EncapMode.FlannelUdp, overhead: FLANNEL_UDP.overhead };

/** A stable, locally administered VTEP MAC from the public IP: 02:70 ("p") and its four bytes, so a restart keeps it. */
export function vtepMacFor(publicIp: string): string {
  const value = ipv4ToNumber(publicIp);
  return ["02", "70", ...[24, 16, 8, 0].map((shift) => ((value >>> shift) & 0xff).toString(16).padStart(2, "0"))].join(":");
}

/** The MAC the UDP flavour gives the core for peers: its packets carry no Ethernet header. */
const NO_MAC = "00:00:00:00:00:00";

interface UserspaceOptions {
  settings?: BackendSettings;
  /** False forces the packet-by-packet path (no TUN offload), as a kernel without it would. */
  offload?: boolean;
}

export class UserspaceBackend implements Backend {
  readonly name: string;
  readonly overhead: number;
  private readonly relay: TunRelay;
  private readonly port: number;
  private readonly vni: number;
  private vtepMac = "";

  constructor(private readonly flavour: UserspaceFlavour, private readonly log: Logger, private readonly kernel: Kernel, metrics: BackendMetrics, options: UserspaceOptions = {}) {
    this.name = flavour.name;
    this.overhead = flavour.overhead;
    this.port = options.settings?.port ?? flavour.port;
    this.vni = options.settings?.vni ?? FLANNEL_VXLAN.vni;
    this.relay = new TunRelay(flavour.mode, this.port, options.offload ?? true, (errno) =>
      log.warn({ device: flavour.device, errno: errnoName(errno) }, "the kernel refused datagrams to a peer node (counted as SendRefused)"),
    );
    metrics.countDatapath(() => this.relay.counts());
  }

  async prepare(node: { publicIp: string }): Promise<Record<string, unknown> | null> {
    // A device of that name that is not a TUN device (the kernel VTEP from a kernel-mode run) is in the way.
    const existing = await this.kernel.link(this.flavour.device);
    if (existing && existing.linkinfo?.info_kind !== "tun") {
      this.log.warn({ device: this.flavour.device, kind: existing.linkinfo?.info_kind }, "removing a device of another kind in the way of the userspace data path");
      await applyOrThrow(this.kernel, [ipCommands.linkDelete(this.flavour.device)]);
    }
    if (this.flavour.mode !== EncapMode.Vxlan) return null;
    this.vtepMac = vtepMacFor(node.publicIp);
    return { VNI: this.vni, VtepMAC: this.vtepMac };
  }

  async setup(local: LocalNode): Promise<void> {
    const { device } = this.flavour;
    this.relay.open(device, { publicIp: local.publicIp, overlayIp: local.tunnelAddress, vtepMac: this.vtepMac || NO_MAC, vni: this.vni, mtu: local.underlayMtu });
    await this.kernel.writeSysctl("net/ipv4/ip_forward", "1");
    await applyOrThrow(this.kernel, [ipCommands.addressReplace(`${local.tunnelAddress}/32`, device), ipCommands.linkMtuUp(device, local.underlayMtu - this.overhead)]);
    this.log.info({ device, port: this.port, mode: EncapMode[this.flavour.mode], offload: this.relay.offload }, "userspace data path running");
  }

  /** Whether the TUN device runs with offload (TSO super-packets, UDP GSO/GRO); known after setup. */
  get offload(): boolean {
    return this.relay.offload;
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const { usable, failures } = this.flavour.mode === EncapMode.Vxlan ? withVtepMacs(routes) : { usable: routes.map((route) => ({ route, mac: NO_MAC })), failures: [] };
    const set: PeerRoute[] = [];
    for (const { route, mac } of usable) {
      try {
        this.relay.setRoute(route.prefix, { publicIp: route.nodeIp, vtepMac: mac });
        set.push(route);
      } catch (error) {
        failures.push({ route, reason: "capacity", message: (error as Error).message });
      }
    }
    const refused = kernelFailures(set, await this.kernel.apply(set.map((route) => ipCommands.routeReplaceOnDevice(route.prefix, this.flavour.device))));
    for (const failure of refused) this.relay.removeRoute(failure.route.prefix);
    return [...failures, ...refused];
  }

  async removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    for (const route of routes) this.relay.removeRoute(route.prefix);
    const refused = await this.kernel.apply(routes.map((route) => ipCommands.routeDelete(route.prefix)));
    return kernelFailures(routes, refused.filter((failure) => !isAlreadyGone(failure)));
  }

  async prune(keep: PeerRoute[]): Promise<string[]> {
    return deleteRoutesExcept(this.kernel, new Set(keep.map((route) => route.prefix)), this.flavour.device);
  }

  async teardown(): Promise<void> {
    this.relay.close();
    this.log.info({ device: this.flavour.device }, "userspace data path stopped; the device and its routes go with it");
  }
}
