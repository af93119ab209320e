// What the agent asks of a data-plane backend (host-gw, kernel or userspace vxlan, udp, routed): make the
// kernel, or its userspace path, carry traffic for "this prefix lives behind that node". The
// agent's control plane (Flannel's leases, Calico's blocks and BGP) decides the routes;
// the agent hands the backend only what changed, in batches, and calls everything idempotently.

/** A destination prefix and the node it lives behind. */
export interface PeerRoute {
  /** e.g. "10.244.3.0/24" */
  prefix: string;
  /** The node's underlay address. */
  nodeIp: string;
  /** What the node published for the backend (VXLAN: VNI and VtepMAC), or null. */
  backendData: Record<string, unknown> | null;
}

/** This node, as backends need it. */
export interface LocalNode {
  /** The address a tunnel device holds as a /32 (Flannel: the subnet's .0), the source of the ICMP errors it sends. */
  tunnelAddress: string;
  publicIp: string;
  interfaceName: string;
  /** The underlay interface's MTU (the path MTU encapsulated packets must fit). */
  underlayMtu: number;
}

/** Why a route could not be programmed; a label of podnet_peer_errors_total. */
type PeerErrorReason = "backend-data" | "not-on-link" | "kernel" | "capacity";

/** A route a backend could not program; the agent logs and counts it, and retries at the next reconcile. */
export interface RouteFailure {
  route: PeerRoute;
  reason: PeerErrorReason;
  message: string;
}

/** Backend settings from the network config's Backend object (Flannel's keys; defaults applied by each backend). */
export interface BackendSettings {
  vni?: number;
  port?: number;
}

/** What a backend reports to /metrics, without knowing the agent's metrics. */
export interface BackendMetrics {
  /** Reports the userspace data path's packet counts as [direction, status, count] rows. */
  countDatapath(source: () => Array<[direction: string, status: string, count: number]>): void;
}

export interface Backend {
  readonly name: string;
  /** Bytes the backend adds to each packet: the pods' MTU is the underlay's less this. */
  readonly overhead: number;
  /**
   * Makes what does not depend on this node's addresses (VXLAN: the VTEP device) and returns the
   * data this backend publishes for other nodes (VXLAN: VNI and VtepMAC).
   */
  prepare(node: { publicIp: string; interfaceName: string }): Promise<Record<string, unknown> | null>;
  /** Prepares devices for this node. */
  setup(local: LocalNode): Promise<void>;
  /** Programs each route (new, or changed in node or data) in as few kernel calls as it can; resolves with those it could not. */
  addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]>;
  /** Forgets each route; already gone is fine. Resolves with those it could not remove. */
  removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]>;
  /**
   * Removes what this backend programmed for any prefix not in `keep` — state left in the kernel
   * by an earlier run for routes that went away while no agent was watching. Returns what it removed.
   */
  prune(keep: PeerRoute[]): Promise<string[]>;
  /**
   * The kernel device this backend made and can make again with prepare and setup (kernel VXLAN:
   * flannel.1), so the agent rebuilds it when someone deletes it; absent when there is none, or
   * when the device lives and dies with the agent's own fd (TUN devices).
   */
  readonly kernelDevice?: string;
  /** Calico's IPIP: the address the tunnel device holds (one of a local block), given before routes through it. */
  useTunnelAddress?(address: string): Promise<void>;
  /** Removes what setup made (or leaves it, fail-static, and says so). */
  teardown(): Promise<void>;
}

/** Failures for `routes` from a kernel batch's failures, by the index each route's command had. */
export function kernelFailures(routes: PeerRoute[], failures: Array<{ index: number; message: string }>): RouteFailure[] {
  return failures.map((failure) => ({ route: routes[failure.index], reason: "kernel" as const, message: failure.message }));
}

/** Backend settings that cannot be used (a key the backend does not honour, a value out of range); the message names it. */
export class BackendConfigError extends Error {
  readonly code = "CONFIG";
}
