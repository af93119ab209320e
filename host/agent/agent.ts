// The node agent's daemon shell: it asks its control plane (Flannel's leases; Calico's blocks and
// BGP) which prefixes live behind which node, hands what changed to the backend in batches,
// and keeps the table of what the backend holds. Level-triggered: a full reconcile on a timer
// repairs what an event missed. One peer that cannot be programmed (bad backend data, a node off
// the L2 segment, a kernel refusal) is logged, counted and retried at the next reconcile; every
// other peer is programmed and the agent stays healthy. Route changes run one at a time.

import type { Logger } from "pino";
import type { Backend, PeerRoute, RouteFailure } from "../backend/backend";
import type { ControlPlane, PeerRouteChange, SkippedRoute } from "./control-plane";
import type { AgentMetrics } from "./metrics";
import type { KernelEvents } from "../net/kernel-monitor";

interface AgentOptions {
  plane: ControlPlane;
  /** The backend for a configured type and its settings (an operator's --backend may override the type); throws ConfigError to refuse them. */
  backendFor: (configuredType: string, settings: Record<string, unknown>) => Backend;
  publicIp: string;
  interfaceName: string;
  /** The underlay's MTU. */
  underlayMtu: number;
  reconcileIntervalSeconds?: number;
  /** Starts hearing the kernel delete routes and links (kernel-monitor.ts). Without it, none are heard. */
  watchKernel?: (events: KernelEvents) => { stop(): void };
  log: Logger;
  metrics: AgentMetrics;
  /**
   * False: each change goes to the backend alone, as before batching (kept only so the calico bench
   * can show both in one run). True, the default: the changes of one turn of the event loop, and
   * those that arrive while a batch is in the kernel, go to the backend as one batch.
   */
  batchRouteChanges?: boolean;
}

/** The most routes handed to the backend in one call; a larger batch goes in several, a loop turn apart. */
const ROUTES_PER_BACKEND_CALL = 2000;

/** Above this many routes in one batch, the log says how many (and the first few), not each. */
const ROUTES_LOGGED_ONE_BY_ONE = 10;

/** Two routes program the same state. */
const sameRoute = (a: PeerRoute, b: PeerRoute) => a.nodeIp === b.nodeIp && JSON.stringify(a.backendData) === JSON.stringify(b.backendData);

export class Agent {
  /** Every route the backend holds, by prefix. */
  readonly programmed = new Map<string, PeerRoute>();
  backend?: Backend;
  /** The last failure of each prefix that could not be programmed, so a repeat is counted but not logged again. */
  private readonly failing = new Map<string, string>();
  private serial: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private kernelWatch?: { stop(): void };
  private tunnelAddress = "";
  /** Changes from the control plane not yet handed to the backend, by prefix (a later one replaces an earlier). */
  private readonly pendingChanges = new Map<string, PeerRouteChange>();
  private changesQueued = false;

  constructor(private readonly options: AgentOptions) {}

  /** Ready: the control plane holds this node's place and its source of truth answers. Failing peers do not count. */
  healthy(): boolean {
    return this.backend !== undefined && this.options.plane.healthy() && !this.stopped;
  }

  async start(): Promise<void> {
    const { log, plane } = this.options;
    const backend = await plane.configure(this.options.backendFor);
    log.info({ backend: backend.name }, "backend chosen");
    const backendData = await backend.prepare({ publicIp: this.options.publicIp, interfaceName: this.options.interfaceName });
    const { tunnelAddress } = await plane.join(backend, backendData);
    this.tunnelAddress = tunnelAddress;
    await backend.setup({ tunnelAddress, publicIp: this.options.publicIp, interfaceName: this.options.interfaceName, underlayMtu: this.options.underlayMtu });
    this.backend = backend;
    // A store that fails right now is retried by the timer; start does not fail for it.
    await this.reconcile().catch(() => undefined);
    plane.follow({
      routeChanged: (change) => this.queueChange(change),
      resync: () => this.reconcile(),
    });
    this.kernelWatch = this.options.watchKernel?.({
      routeDeleted: (prefix) => void this.serially(() => this.restore(prefix)).catch(() => undefined),
      linkDeleted: (name) => {
        if (name === backend.kernelDevice) void this.serially(() => this.restoreDevice(name)).catch(() => undefined);
      },
      lost: (error) => {
        log.warn({ err: error.message }, "kernel notifications were lost; programming every route again");
        void this.serially(async () => this.programmed.clear()).then(() => this.reconcile()).catch(() => undefined);
      },
    });
    this.scheduleReconcile();
  }

  /** Someone deleted the backend's device (and with it every route through it): made again as at start, then every route. */
  private async restoreDevice(name: string): Promise<void> {
    if (this.stopped) return;
    const { log, metrics } = this.options;
    log.warn({ device: name }, "the backend's device was deleted by someone else; making it again");
    metrics.devicesRestored.inc();
    const backend = this.backend!;
    await backend.prepare({ publicIp: this.options.publicIp, interfaceName: this.options.interfaceName });
    await backend.setup({ tunnelAddress: this.tunnelAddress, publicIp: this.options.publicIp, interfaceName: this.options.interfaceName, underlayMtu: this.options.underlayMtu });
    this.programmed.clear();
    await this.reconcileNow();
  }

  /**
   * Someone else deleted the kernel route of `prefix`. Queued behind the agent's own changes: if
   * the agent itself removed it, it is no longer in the table and nothing is done.
   */
  private async restore(prefix: string): Promise<void> {
    const route = this.programmed.get(prefix);
    // A change of the control plane's for this prefix is on its way: it decides, not the old route.
    if (!route || this.stopped || this.pendingChanges.has(prefix)) return;
    this.options.log.warn({ subnet: prefix, publicIp: route.nodeIp }, "route removed from the kernel by someone else; restoring it");
    this.options.metrics.routesRestored.inc();
    this.programmed.delete(prefix);
    await this.add([route]);
  }

  /** Stops the control plane and the timer; the backend keeps or removes its state as it says. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.kernelWatch?.stop();
    await this.options.plane.stop();
    await this.serial.catch(() => undefined);
    await this.backend?.teardown();
  }

  /** Makes the backend hold exactly the control plane's routes; rejects when the control plane could not say which. */
  reconcile(): Promise<void> {
    return this.serially(() => this.reconcileNow());
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(work, work);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private scheduleReconcile(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reconcile()
        .catch(() => undefined)
        .finally(() => this.scheduleReconcile());
    }, (this.options.reconcileIntervalSeconds ?? 30) * 1000);
  }

  private async reconcileNow(): Promise<void> {
    const { metrics, log } = this.options;
    const backend = this.backend!;
    const end = metrics.reconcileSeconds.startTimer();
    try {
      const { routes, skipped, settled = true } = await this.options.plane.routesWanted();
      for (const entry of skipped) this.skip(entry);
      const wanted = new Map(routes.map((route) => [route.prefix, route]));
      // Until the list is whole, what it lacks may just not be known yet: kept (fail-static).
      const gone = settled ? [...this.programmed.values()].filter((route) => !wanted.has(route.prefix)) : [];
      const changed = routes.filter((route) => {
        const known = this.programmed.get(route.prefix);
        return !known || !sameRoute(known, route);
      });
      await this.remove(gone);
      await this.add(changed);
      for (const prefix of this.failing.keys()) if (!wanted.has(prefix) && !skipped.some((entry) => entry.prefix === prefix)) this.failing.delete(prefix);
      const pruned = settled ? await backend.prune(routes) : [];
      if (pruned.length > 0) log.info({ removed: pruned }, "removed state left for prefixes no node holds");
      metrics.reconcileRuns.inc();
    } finally {
      end();
    }
  }

  /**
   * Gathers a change for the next batch. A BGP table load brings thousands of best-path changes a
   * second; one backend call each meant one kernel exchange (and a dump of connected routes) each.
   */
  private queueChange(change: PeerRouteChange): void {
    if (this.options.batchRouteChanges === false) {
      void this.serially(() => this.applyChanges([change])).catch(() => undefined);
      return;
    }
    const prefix = change.type === "added" ? change.route.prefix : change.type === "removed" ? change.prefix : change.skipped.prefix;
    this.pendingChanges.delete(prefix);
    this.pendingChanges.set(prefix, change);
    if (this.changesQueued) return;
    this.changesQueued = true;
    // The batch is taken when its turn in the serial queue comes, after this turn of the event loop:
    // whatever arrives meanwhile (while an earlier batch is in the kernel) joins it.
    setImmediate(() => {
      void this.serially(async () => {
        this.changesQueued = false;
        const batch = [...this.pendingChanges.values()];
        this.pendingChanges.clear();
        await this.applyChanges(batch);
      }).catch(() => undefined);
    });
  }

  private async applyChanges(changes: PeerRouteChange[]): Promise<void> {
    const removals: PeerRoute[] = [];
    const additions: PeerRoute[] = [];
    for (const change of changes) {
      if (change.type === "added") {
        const known = this.programmed.get(change.route.prefix);
        if (!known || !sameRoute(known, change.route)) additions.push(change.route);
        continue;
      }
      if (change.type === "skipped") this.skip(change.skipped);
      else this.failing.delete(change.prefix);
      const programmed = this.programmed.get(change.type === "skipped" ? change.skipped.prefix : change.prefix);
      if (programmed) removals.push(programmed);
    }
    await this.remove(removals);
    await this.add(additions);
  }

  private async add(routes: PeerRoute[]): Promise<void> {
    const done = await this.programmable(routes, (batch) => this.backend!.addRoutes(batch));
    const oneByOne = done.length <= ROUTES_LOGGED_ONE_BY_ONE;
    for (const route of done) {
      const known = this.programmed.get(route.prefix);
      this.programmed.set(route.prefix, route);
      if (this.failing.delete(route.prefix)) this.options.log.info({ subnet: route.prefix }, "peer programmed after earlier failures");
      if (oneByOne) this.options.log.info({ subnet: route.prefix, publicIp: route.nodeIp }, known ? "peer changed" : "peer added");
    }
    if (!oneByOne) this.logBatch(done, "added or changed");
    this.countRoutes();
  }

  private async remove(routes: PeerRoute[]): Promise<void> {
    const done = await this.programmable(routes, (batch) => this.backend!.removeRoutes(batch));
    const oneByOne = done.length <= ROUTES_LOGGED_ONE_BY_ONE;
    for (const route of done) {
      this.programmed.delete(route.prefix);
      if (oneByOne) this.options.log.info({ subnet: route.prefix, publicIp: route.nodeIp }, "peer removed");
    }
    if (!oneByOne) this.logBatch(done, "removed");
    this.countRoutes();
  }

  /** One line for a batch too large to log route by route. */
  private logBatch(routes: PeerRoute[], what: string): void {
    this.options.log.info({ count: routes.length, first: routes.slice(0, 3).map((route) => route.prefix) }, `${routes.length} peers ${what}`);
  }

  private countRoutes(): void {
    this.options.metrics.peerRoutes.set(this.programmed.size);
    this.options.metrics.leasesKnown.set(this.programmed.size);
  }

  /**
   * Hands `routes` to the backend in batches of at most ROUTES_PER_BACKEND_CALL, with a turn of the
   * event loop between (building 10,000 kernel changes at once held the loop ~60 ms); counts what
   * failed; resolves with the routes that went through.
   */
  private async programmable(routes: PeerRoute[], work: (batch: PeerRoute[]) => Promise<RouteFailure[]>): Promise<PeerRoute[]> {
    if (routes.length === 0) return [];
    const failures: RouteFailure[] = [];
    for (let from = 0; from < routes.length; from += ROUTES_PER_BACKEND_CALL) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      failures.push(...(await work(routes.slice(from, from + ROUTES_PER_BACKEND_CALL))));
    }
    for (const { route, reason, message } of failures) this.countPeerError(route.prefix, route.nodeIp, reason, message);
    const failed = new Set(failures.map((failure) => failure.route.prefix));
    return routes.filter((route) => !failed.has(route.prefix));
  }

  private skip(entry: SkippedRoute): void {
    this.countPeerError(entry.prefix, entry.nodeIp, entry.reason, entry.message);
  }

  /** Counts every attempt; logs a peer's failure when it is new or says something new. */
  private countPeerError(prefix: string, nodeIp: string, reason: string, message: string): void {
    this.options.metrics.peerErrors.inc({ reason });
    if (this.failing.get(prefix) === message) return;
    this.failing.set(prefix, message);
    this.options.log.warn({ subnet: prefix, publicIp: nodeIp, reason }, `peer not programmed: ${message}; retrying at the next reconcile`);
  }
}
