// Kernel VXLAN, configured exactly as Flannel's vxlan backend does, so Flannel and podnet nodes
// share a cluster: device flannel.1 (VNI 1, UDP 8472, local = public IP, nolearning, MTU of the
// underlay less 50) with the subnet's .0 as a /32, its MAC published as VtepMAC in the lease. Per
// peer, in this order: a permanent neighbour (peer's .0 → its VtepMAC), an FDB entry (VtepMAC →
// peer's public IP), then the route `<subnet> via <subnet>.0 dev flannel.1 onlink` — the route
// last, or the kernel would ARP for the gateway. A step that fails undoes the ones before it;
// removal tries all three.

import type { Logger } from "pino";
import type { Lease } from "../store/leases";
import { numberToIpv4 } from "../net/addresses";
import { bridge, bridgeJson, deleteRoutesExcept, ipBatch, ipCommands, ipJson, isAlreadyGone, sysctl } from "../net/ip";
import { parsePrefix } from "../wasm/route-table";
import type { Backend, LocalNode } from "./backend";
import { vtepMacOf } from "./vtep";

export const VXLAN_DEVICE = "flannel.1";
const VNI = 1;
const PORT = 8472;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
const OVERHEAD = 50;

interface LinkDetails {
  ifname: string;
  address: string;
  mtu: number;
  linkinfo?: { info_kind: string; info_data?: { id?: number; port?: number; local?: string } };
}

/** The subnet's first address (.0): the VTEP's own address in Flannel's layout. */
const vtepAddress = (subnet: string) => numberToIpv4(parsePrefix(subnet).address);

export class VxlanBackend implements Backend {
  readonly name = "vxlan";
  readonly overhead = OVERHEAD;

  constructor(private readonly log: Logger) {}

  async prepare(node: { publicIp: string; interfaceName: string }): Promise<Record<string, unknown>> {
    const [underlay] = ipJson<LinkDetails[]>(["link", "show", "dev", node.interfaceName]);
    const existing = ipJson<LinkDetails[]>(["-details", "link", "show"]).find((link) => link.ifname === VXLAN_DEVICE);
    const data = existing?.linkinfo?.info_data;
    if (existing && !(existing.linkinfo?.info_kind === "vxlan" && data?.id === VNI && data?.port === PORT && data?.local === node.publicIp)) {
      this.log.warn({ device: VXLAN_DEVICE }, "existing VXLAN device has another configuration; recreating it");
      ipBatch([`link del ${VXLAN_DEVICE}`]);
    }
    if (!existing || ipJson<LinkDetails[]>(["link", "show"]).every((link) => link.ifname !== VXLAN_DEVICE)) {
      ipBatch([`link add ${VXLAN_DEVICE} type vxlan id ${VNI} local ${node.publicIp} dev ${node.interfaceName} dstport ${PORT} nolearning`]);
    }
    ipBatch([`link set ${VXLAN_DEVICE} mtu ${underlay.mtu - OVERHEAD} up`]);
    const [device] = ipJson<LinkDetails[]>(["link", "show", "dev", VXLAN_DEVICE]);
    return { VNI, VtepMAC: device.address };
  }

  async setup(local: LocalNode): Promise<void> {
    sysctl("net.ipv4.ip_forward", "1");
    ipBatch([ipCommands.addressReplace(`${vtepAddress(local.lease.subnet)}/32`, VXLAN_DEVICE)]);
  }

  async addPeer(peer: Lease): Promise<void> {
    const mac = vtepMacOf(peer);
    const gateway = vtepAddress(peer.subnet);
    ipBatch([ipCommands.neighbourReplace(gateway, mac, VXLAN_DEVICE)]);
    try {
      bridge(["fdb", "replace", mac, "dev", VXLAN_DEVICE, "dst", peer.publicIp]);
      try {
        ipBatch([ipCommands.routeReplace(peer.subnet, gateway, VXLAN_DEVICE, true)]);
      } catch (error) {
        bridge(["fdb", "del", mac, "dev", VXLAN_DEVICE]);
        throw error;
      }
    } catch (error) {
      ipBatch([ipCommands.neighbourDelete(gateway, VXLAN_DEVICE)]);
      throw error;
    }
  }

  async removePeer(peer: Lease): Promise<void> {
    const failures: Error[] = [];
    const attempt = (work: () => void) => {
      try {
        work();
      } catch (error) {
        if (!isAlreadyGone(error)) failures.push(error as Error);
      }
    };
    attempt(() => ipBatch([ipCommands.routeDelete(peer.subnet)]));
    const mac = peer.backendData?.VtepMAC;
    if (typeof mac === "string") attempt(() => bridge(["fdb", "del", mac, "dev", VXLAN_DEVICE]));
    attempt(() => ipBatch([ipCommands.neighbourDelete(vtepAddress(peer.subnet), VXLAN_DEVICE)]));
    if (failures.length > 0) throw failures[0];
  }

  async prune(peers: Lease[]): Promise<string[]> {
    const removed = deleteRoutesExcept(new Set(peers.map((peer) => peer.subnet)), VXLAN_DEVICE);
    const gateways = new Set(peers.map((peer) => vtepAddress(peer.subnet)));
    for (const entry of ipJson<Array<{ dst: string; state?: string[] }>>(["neigh", "show", "dev", VXLAN_DEVICE, "nud", "permanent"])) {
      if (!gateways.has(entry.dst)) {
        ipBatch([ipCommands.neighbourDelete(entry.dst, VXLAN_DEVICE)]);
        removed.push(`neighbour ${entry.dst}`);
      }
    }
    const macs = new Set(peers.map((peer) => String(peer.backendData?.VtepMAC).toLowerCase()));
    for (const entry of bridgeJson<Array<{ mac: string; dst?: string }>>(["fdb", "show", "dev", VXLAN_DEVICE])) {
      if (entry.dst && !macs.has(entry.mac.toLowerCase())) {
        bridge(["fdb", "del", entry.mac, "dev", VXLAN_DEVICE, "dst", entry.dst]);
        removed.push(`fdb ${entry.mac} → ${entry.dst}`);
      }
    }
    return removed;
  }

  async teardown(): Promise<void> {
    this.log.info({ device: VXLAN_DEVICE }, "vxlan: device and routes are left in place (fail-static)");
  }
}
