// What the agent's daemon shell asks of a control plane: Flannel's (a subnet lease per node in the
// store, peers from the other leases) or Calico's (blocks, Nodes and the BGP speaker's best routes);
// modes.ts lists them. A control plane decides which prefixes live behind which node; the shell
// owns the backend, the programmed route table, the reconcile timer, health and metrics.

import type { Backend, LocalNode, PeerRoute } from "../backend/backend";

/** A route the control plane knows of but will not hand to the backend, and why. */
export interface SkippedRoute {
  prefix: string;
  nodeIp: string;
  /** A label of podnet_peer_errors_total, e.g. "backend-type". */
  reason: string;
  message: string;
}

/** One change the control plane saw between reconciles. */
export type PeerRouteChange = { type: "added"; route: PeerRoute } | { type: "removed"; prefix: string } | { type: "skipped"; skipped: SkippedRoute };

export interface ControlPlaneHooks {
  /** A route was added, changed or removed. */
  routeChanged(change: PeerRouteChange): void;
  /** The control plane lost track of changes (a watch gap): the shell reconciles everything; rejects when that failed. */
  resync(): Promise<void>;
}

export interface ControlPlane {
  /**
   * Waits for the cluster's configuration and returns the backend `choose` makes for it; while the
   * configuration is missing, or `choose` refuses it, logs why and asks again.
   */
  configure(choose: (backendType: string, settings: Record<string, unknown>) => Backend): Promise<Backend>;
  /** Claims this node's place (a lease, blocks), publishing the backend's data; returns what the backend needs of this node. */
  join(backend: Backend, backendData: Record<string, unknown> | null): Promise<Pick<LocalNode, "tunnelAddress">>;
  /**
   * Every route this node should have now, read from the source of truth (level-triggered), and
   * those skipped. `settled: false` says the list may still be short (a restarting BGP speaker
   * waiting for its peers' tables): the shell then adds what it lists but removes nothing.
   */
  routesWanted(): Promise<{ routes: PeerRoute[]; skipped: SkippedRoute[]; settled?: boolean }>;
  /** Starts following changes. */
  follow(hooks: ControlPlaneHooks): void;
  /** True while this node holds its place and the source of truth answered last time it was asked. */
  healthy(): boolean;
  /** Stops following; what this node holds (its lease, its blocks) stays, so a restart reuses it. */
  stop(): Promise<void>;
}
