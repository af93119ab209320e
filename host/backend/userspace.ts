// The userspace backends: a TUN device whose packets the Wasm core encapsulates and a UDP socket
// on the underlay (tun-relay.ts). Two flavours with one implementation:
// - `vxlan` in userspace: device flannel.1 (a TUN device here), UDP 8472, VNI 1, inner Ethernet
//   with VtepMACs — the kernel VTEP's wire format, so it talks to Flannel's kernel flannel.1 nodes;
//   chosen by --userspace, or when the kernel has no vxlan module.
// - `udp`: Flannel's UDP backend: TUN flannel0, UDP 8285, the bare inner IPv4 packet.
// The device holds the subnet's .0 as a /32 (the source of the ICMP errors the core builds) and
// one route per peer subnet, tagged as podnet's. The device lives as long as this process: when
// the agent stops, the kernel removes it and its routes; a restart makes them again.

import type { Logger } from "pino";
import { EncapMode } from "../../assembly/shared/slots.js";
import type { AgentMetrics } from "../agent/metrics";
import { ipv4ToNumber, numberToIpv4 } from "../net/addresses";
import { deleteRoutesExcept, ipBatch, ipCommands, ipJson, isAlreadyGone, sysctl } from "../net/ip";
import type { Lease } from "../store/leases";
import { parsePrefix } from "../wasm/route-table";
import type { Backend, LocalNode } from "./backend";
import { datapathCounts, TunRelay } from "./tun-relay";
import { vtepMacOf } from "./vtep";

export interface UserspaceFlavour {
  name: string;
  device: string;
  port: number;
  mode: EncapMode;
  /** Bytes in front of the inner packet on the underlay: the pods' MTU is the underlay's less this. */
  overhead: number;
}

export const USERSPACE_VXLAN: UserspaceFlavour = { name: "vxlan", device: "flannel.1", port: 8472, mode: EncapMode.Vxlan, overhead: 50 };
export const FLANNEL_UDP: UserspaceFlavour = { name: "udp", device: "flannel0", port: 8285, mode: EncapMode.FlannelUdp, overhead: 28 };

const VNI = 1;

/** A stable, locally administered VTEP MAC from the public IP: 02:70 ("p") and its four bytes, so a restart keeps it. */
export function vtepMacFor(publicIp: string): string {
  const value = ipv4ToNumber(publicIp);
  return ["02", "70", ...[24, 16, 8, 0].map((shift) => ((value >>> shift) & 0xff).toString(16).padStart(2, "0"))].join(":");
}

interface LinkDetails {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

export class UserspaceBackend implements Backend {
  readonly name: string;
  readonly overhead: number;
  private readonly relay: TunRelay;
  private vtepMac = "";

  constructor(private readonly flavour: UserspaceFlavour, private readonly log: Logger, metrics: AgentMetrics) {
    this.name = flavour.name;
    this.overhead = flavour.overhead;
    this.relay = new TunRelay(flavour.mode, flavour.port);
    metrics.countDatapath(() => [
      ...datapathCounts(),
      ["encap", "SendFailed", this.relay.counters.sendFailures],
      ["decap", "TunWriteFailed", this.relay.counters.tunWriteFailures],
    ]);
  }

  async prepare(node: { publicIp: string }): Promise<Record<string, unknown> | null> {
    // A device of that name that is not a TUN device (the kernel VTEP from a kernel-mode run) is in the way.
    const existing = ipJson<LinkDetails[]>(["-details", "link", "show"]).find((link) => link.ifname === this.flavour.device);
    if (existing && existing.linkinfo?.info_kind !== "tun") {
      this.log.warn({ device: this.flavour.device, kind: existing.linkinfo?.info_kind }, "removing a device of another kind in the way of the userspace data path");
      ipBatch([`link del ${this.flavour.device}`]);
    }
    if (this.flavour.mode !== EncapMode.Vxlan) return null;
    this.vtepMac = vtepMacFor(node.publicIp);
    return { VNI, VtepMAC: this.vtepMac };
  }

  async setup(local: LocalNode): Promise<void> {
    const { device } = this.flavour;
    const overlayIp = numberToIpv4(parsePrefix(local.lease.subnet).address);
    this.relay.open(device, { publicIp: local.publicIp, overlayIp, vtepMac: this.vtepMac || "00:00:00:00:00:00", vni: VNI, mtu: local.underlayMtu });
    sysctl("net.ipv4.ip_forward", "1");
    ipBatch([ipCommands.addressReplace(`${overlayIp}/32`, device), `link set ${device} mtu ${local.underlayMtu - this.overhead} up`]);
    this.log.info({ device, port: this.flavour.port, mode: EncapMode[this.flavour.mode], offload: this.relay.offload }, "userspace data path running");
  }

  async addPeer(peer: Lease): Promise<void> {
    const vtepMac = this.flavour.mode === EncapMode.Vxlan ? vtepMacOf(peer) : "00:00:00:00:00:00";
    this.relay.setPeer(peer.subnet, { publicIp: peer.publicIp, vtepMac });
    try {
      ipBatch([ipCommands.routeReplaceOnDevice(peer.subnet, this.flavour.device)]);
    } catch (error) {
      this.relay.removePeer(peer.subnet);
      throw error;
    }
  }

  async removePeer(peer: Lease): Promise<void> {
    this.relay.removePeer(peer.subnet);
    try {
      ipBatch([ipCommands.routeDelete(peer.subnet)]);
    } catch (error) {
      if (!isAlreadyGone(error)) throw error;
    }
  }

  async prune(peers: Lease[]): Promise<string[]> {
    return deleteRoutesExcept(new Set(peers.map((peer) => peer.subnet)), this.flavour.device);
  }

  async teardown(): Promise<void> {
    this.relay.close();
    this.log.info({ device: this.flavour.device }, "userspace data path stopped; the device and its routes go with it");
  }
}
