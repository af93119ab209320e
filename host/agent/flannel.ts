// Flannel's control plane: take this node's subnet lease, publish it in the subnet file, and turn
// every other node's lease into a route "subnet → node" — all of them on each reconcile, and from
// the store's watch as they change. Renews the lease before it expires and acquires it again if it
// vanished. A bad store entry is logged and skipped; a lease of another backend type is skipped
// with a reason (as flanneld does); a store outage is retried with backoff.

import type { Logger } from "pino";
import type { Backend, LocalNode, PeerRoute } from "../backend/backend";
import { formatPrefix, numberToIpv4, parsePrefix, prefixContains } from "../shared/addresses";
import { unusableNodeAddress } from "./node-address";
import { hasMasquerade, installMasquerade, removeMasquerade } from "../net/masquerade";
import { previousSubnet, writeSubnetFile } from "../shared/subnet-file";
import { CompactedError, stopWatchWithin, type KvStore, type Watch } from "../store/kv";
import { DEFAULT_LEASE_TTL_SECONDS, LeaseRegistry, type Lease, type LeaseEvent } from "../store/leases";
import type { NetworkConfig } from "../store/network-config";
import type { ControlPlane, ControlPlaneHooks, SkippedRoute } from "./control-plane";
import type { AgentMetrics } from "./metrics";

interface FlannelOptions {
  store: KvStore;
  prefix: string;
  publicIp: string;
  subnetFile: string;
  /** The underlay's MTU; the subnet file gets it less the backend's overhead. */
  underlayMtu: number;
  ipMasquerade: boolean;
  /** Written to <prefix>/config when the store has none (the embedded store's first start). */
  networkConfig?: string;
  leaseTtlSeconds?: number;
  /** Renew this long before the lease would expire (Flannel: an hour). */
  renewMarginSeconds?: number;
  log: Logger;
  metrics: AgentMetrics;
}

const MAX_BACKOFF_MILLISECONDS = 30_000;

export class FlannelControlPlane implements ControlPlane {
  readonly registry: LeaseRegistry;
  lease?: Lease;
  config?: NetworkConfig;
  private backend?: Backend;
  private backendData: Record<string, unknown> | null = null;
  private hooks?: ControlPlaneHooks;
  private watch?: Watch;
  private lastRevision = 0;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private storeHealthy = false;
  private backoff = 1000;
  /** The last renewal failed: reads may still work (a full disk), but the lease is at risk. */
  private renewFailing = false;

  constructor(private readonly options: FlannelOptions) {
    this.registry = new LeaseRegistry(options.store, options.prefix);
  }

  healthy(): boolean {
    return this.lease !== undefined && this.storeHealthy && !this.renewFailing && !this.stopped;
  }

  /**
   * The network config and its backend; while the config is missing or malformed, or names a
   * backend setting podnet refuses, log why and ask again with backoff (as flanneld does) instead
   * of exiting: an operator may be about to write it.
   */
  async configure(choose: (backendType: string, settings: Record<string, unknown>) => Backend): Promise<Backend> {
    const { log } = this.options;
    if (this.options.networkConfig && (await this.registry.initialise(this.options.networkConfig))) {
      log.info({ prefix: this.options.prefix }, "wrote the network config to the store");
    }
    for (;;) {
      try {
        this.config = await this.registry.config();
        this.backend = choose(this.config.backendType, this.config.backend);
        this.backoff = 1000;
        return this.backend;
      } catch (error) {
        if (this.stopped) throw error;
        this.storeHealthy = false;
        log.error({ error: (error as Error).message, retryInMilliseconds: this.backoff }, "no usable network config; waiting for one");
        this.options.metrics.storeErrors.inc({ operation: "config" });
        // Cleared by stop(): a SIGTERM while waiting ends the agent at once.
        await this.sleep(this.backoff);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MILLISECONDS);
      }
    }
  }

  async join(backend: Backend, backendData: Record<string, unknown> | null): Promise<Pick<LocalNode, "tunnelAddress">> {
    this.backend = backend;
    this.backendData = backendData;
    await this.acquire();
    // Flannel's layout: the tunnel device holds the subnet's .0.
    return { tunnelAddress: numberToIpv4(parsePrefix(this.lease!.subnet).address) };
  }

  async routesWanted(): Promise<{ routes: PeerRoute[]; skipped: SkippedRoute[] }> {
    const { metrics, log } = this.options;
    let listed: Awaited<ReturnType<LeaseRegistry["list"]>>;
    try {
      listed = await this.registry.list();
    } catch (error) {
      this.storeFailed("list", error as Error);
      throw error;
    }
    this.storeHealthy = true;
    for (const entry of listed.skipped) log.warn({ key: entry.key, reason: entry.reason }, "skipped a store entry that is not a valid lease");
    metrics.skippedEntries.inc(listed.skipped.length);
    this.lastRevision = Math.max(this.lastRevision, listed.revision);
    if (!listed.leases.some((lease) => lease.subnet === this.lease?.subnet) && !this.stopped) {
      log.warn({ subnet: this.lease?.subnet }, "our lease is gone from the store; acquiring again");
      await this.acquire();
    }
    const routes: PeerRoute[] = [];
    const skipped: SkippedRoute[] = [];
    for (const lease of listed.leases) {
      if (lease.subnet === this.lease?.subnet) continue;
      const route = this.routeOf(lease);
      if ("reason" in route) skipped.push(route);
      else routes.push(route);
    }
    return { routes, skipped };
  }

  /**
   * The route for another node's lease, or why it is skipped: a lease of another backend type
   * (flanneld ignores those too), a subnet outside the network, or a public IP no node can have.
   */
  private routeOf(lease: Lease): PeerRoute | SkippedRoute {
    const ours = this.backend!.name;
    const network = formatPrefix(this.config!.network);
    if (!prefixContains(network, lease.subnet)) {
      return { prefix: lease.subnet, nodeIp: lease.publicIp, reason: "outside-network", message: `lease of ${lease.publicIp} is for ${lease.subnet}, outside the network ${network}` };
    }
    const unusable = unusableNodeAddress(lease.publicIp, this.options.publicIp);
    if (unusable) return { prefix: lease.subnet, nodeIp: lease.publicIp, reason: "bad-address", message: `lease of ${lease.subnet}: PublicIP ${unusable}` };
    if (lease.backendType !== ours) {
      return { prefix: lease.subnet, nodeIp: lease.publicIp, reason: "backend-type", message: `lease of ${lease.publicIp} (${lease.subnet}) is for backend ${lease.backendType}, this node runs ${ours}` };
    }
    return { prefix: lease.subnet, nodeIp: lease.publicIp, backendData: lease.backendData };
  }

  follow(hooks: ControlPlaneHooks): void {
    this.hooks = hooks;
    this.startWatch();
    this.scheduleRenewal();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.watch) await stopWatchWithin(this.watch);
    this.options.log.info({ subnet: this.lease?.subnet }, "agent stopped; lease kept");
  }

  private async acquire(): Promise<void> {
    const { log } = this.options;
    const backend = this.backend!;
    const previous = previousSubnet(this.options.subnetFile);
    this.lease = await this.registry.acquire({
      publicIp: this.options.publicIp,
      backendType: backend.name,
      backendData: this.backendData,
      previousSubnet: previous,
      ttlSeconds: this.options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS,
    });
    this.storeHealthy = true;
    const network = formatPrefix(this.config!.network);
    writeSubnetFile(this.options.subnetFile, {
      network,
      subnet: this.lease.subnet,
      mtu: this.options.underlayMtu - backend.overhead,
      ipMasquerade: this.options.ipMasquerade,
    });
    if (this.options.ipMasquerade) {
      await installMasquerade(network, this.lease.subnet);
      log.info({ network, subnet: this.lease.subnet }, "masquerading pod traffic that leaves the cluster network");
    } else if (await hasMasquerade()) {
      await removeMasquerade();
      log.info("removed the masquerade rules of an earlier --ip-masq run");
    }
    log.info({ subnet: this.lease.subnet, publicIp: this.options.publicIp, previous, subnetFile: this.options.subnetFile }, "lease acquired");
  }

  private startWatch(): void {
    if (this.stopped) return;
    this.watch = this.registry.watch(this.lastRevision, (event) => void this.onEvent(event), (error) => void this.onWatchError(error));
  }

  private async onEvent(event: LeaseEvent): Promise<void> {
    const { metrics, log } = this.options;
    metrics.watchEvents.inc({ type: event.type });
    this.lastRevision = Math.max(this.lastRevision, event.revision);
    this.storeHealthy = true;
    this.backoff = 1000;
    try {
      if (event.type === "skipped") {
        metrics.skippedEntries.inc();
        log.warn({ key: event.entry.key, reason: event.entry.reason }, "skipped a store entry that is not a valid lease");
      } else if (event.type === "added" && event.lease.subnet !== this.lease?.subnet) {
        const route = this.routeOf(event.lease);
        this.hooks?.routeChanged("reason" in route ? { type: "skipped", skipped: route } : { type: "added", route });
      } else if (event.type === "removed") {
        if (event.subnet === this.lease?.subnet && !this.stopped) {
          log.warn({ subnet: event.subnet }, "our lease was removed from the store; acquiring again");
          await this.acquire();
        } else {
          this.hooks?.routeChanged({ type: "removed", prefix: event.subnet });
        }
      }
    } catch (error) {
      log.error({ error: (error as Error).message, event: event.type }, "handling a lease change failed; the next reconcile repairs it");
    }
  }

  private async onWatchError(error: Error): Promise<void> {
    if (this.stopped) return;
    const { log } = this.options;
    await this.watch?.stop().catch(() => undefined);
    if (error instanceof CompactedError) {
      log.warn({ revision: this.lastRevision }, "watch history compacted; listing again");
    } else {
      this.storeFailed("watch", error);
      log.warn({ error: error.message, retryInMilliseconds: this.backoff }, "watch failed; retrying");
      await this.sleep(this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MILLISECONDS);
    }
    // Level-triggered recovery: a full list repairs whatever the gap hid, then watch from there.
    while (!this.stopped) {
      try {
        await this.hooks!.resync();
        break;
      } catch {
        await this.sleep(this.backoff);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MILLISECONDS);
      }
    }
    this.startWatch();
  }

  private scheduleRenewal(): void {
    const ttl = this.options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    const margin = Math.min(this.options.renewMarginSeconds ?? 3600, ttl / 2);
    this.after((ttl - margin) * 1000, () => this.renew(1000));
  }

  /**
   * Renews the lease; a failed renewal (the store unreachable, its disk full) is tried again after
   * `retryMilliseconds`, doubling, not a whole renewal period later — the lease must not run out
   * meanwhile — and /healthz says 503 until one succeeds.
   */
  private async renew(retryMilliseconds: number): Promise<void> {
    const ttl = this.options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    try {
      if (await this.registry.renew(this.lease!, ttl)) {
        this.options.metrics.renewals.inc();
        this.options.log.info({ subnet: this.lease!.subnet }, "lease renewed");
      } else {
        this.options.log.warn({ subnet: this.lease!.subnet }, "lease expired before renewal; acquiring again");
        await this.acquire();
      }
      this.renewFailing = false;
      this.scheduleRenewal();
    } catch (error) {
      this.renewFailing = true;
      this.storeFailed("renew", error as Error);
      this.after(retryMilliseconds, () => this.renew(Math.min(retryMilliseconds * 2, MAX_BACKOFF_MILLISECONDS)));
    }
  }

  private storeFailed(operation: string, error: Error): void {
    this.storeHealthy = false;
    this.options.metrics.storeErrors.inc({ operation });
    this.options.log.error({ operation, error: error.message }, "store operation failed");
  }

  private after(milliseconds: number, work: () => unknown): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void work();
    }, milliseconds);
    this.timers.add(timer);
  }

  private sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => this.after(milliseconds, resolve));
  }
}
