// What the agent asks of a data-plane backend (host-gw, vxlan, udp, bgp, ipip — the data-plane
// work fills these in). The agent owns the peer table and calls these idempotently; a backend
// makes the kernel or its userspace path match.

import type { Lease } from "../store/leases";
import type { NetworkConfig } from "../store/network-config";

/** This node, as backends need it. */
export interface LocalNode {
  lease: Lease;
  config: NetworkConfig;
  publicIp: string;
  interfaceName: string;
}

export interface Backend {
  readonly name: string;
  /** Bytes the backend adds to each packet: the pods' MTU is the underlay's less this. */
  readonly overhead: number;
  /**
   * Makes what does not depend on the lease (VXLAN: the VTEP device) and returns the data this
   * backend publishes in the lease (VXLAN: VNI and VtepMAC).
   */
  prepare(node: { publicIp: string; interfaceName: string }): Promise<Record<string, unknown> | null>;
  /** Prepares devices for this node's lease. */
  setup(local: LocalNode): Promise<void>;
  /** Makes `peer` reachable; called again for a peer whose lease changed. */
  addPeer(peer: Lease): Promise<void>;
  /** Forgets `peer`. */
  removePeer(peer: Lease): Promise<void>;
  /** Removes what setup made. */
  teardown(): Promise<void>;
}
