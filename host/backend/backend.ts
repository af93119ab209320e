// What the agent asks of a data-plane backend (host-gw, kernel or userspace vxlan, udp). The agent
// owns the peer table and calls these idempotently; a backend makes the kernel or its userspace
// path match.

import type { Lease } from "../store/leases";
import type { NetworkConfig } from "../store/network-config";

/** This node, as backends need it. */
export interface LocalNode {
  lease: Lease;
  config: NetworkConfig;
  publicIp: string;
  interfaceName: string;
  /** The underlay interface's MTU (the path MTU encapsulated packets must fit). */
  underlayMtu: number;
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
  /**
   * Removes what this backend programmed for any subnet not in `peers` — state left in the kernel
   * by an earlier run for leases that went away while no agent was watching. Returns what it removed.
   */
  prune(peers: Lease[]): Promise<string[]>;
  /** Removes what setup made. */
  teardown(): Promise<void>;
}
