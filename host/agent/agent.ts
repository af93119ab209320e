// The node agent's control plane: take this node's subnet lease, publish it in the subnet file,
// keep a table of every other node's lease current — from the store's watch as changes happen,
// and by a full reconciliation on a timer, so a missed event is repaired (level-triggered) —
// hand peer changes to the backend, and renew the lease before it expires. A bad store entry is
// logged and skipped; a store outage is retried with backoff while the peer table stays as it was.

import type { Logger } from "pino";
import type { Backend } from "../backend/backend";
import { CompactedError, type KvStore, type Watch } from "../store/kv";
import { DEFAULT_LEASE_TTL_SECONDS, LeaseRegistry, type Lease, type LeaseEvent } from "../store/leases";
import type { NetworkConfig } from "../store/network-config";
import { formatPrefix } from "../wasm/route-table";
import type { AgentMetrics } from "./metrics";
import { previousSubnet, writeSubnetFile } from "./subnet-file";
import { hasMasquerade, installMasquerade, removeMasquerade } from "../net/masquerade";

export interface AgentOptions {
  store: KvStore;
  prefix: string;
  publicIp: string;
  interfaceName: string;
  /** The backend for a network config's Backend.Type (an operator's --backend may override it). */
  backendFor: (configuredType: string) => Backend;
  subnetFile: string;
  /** The underlay's MTU; the subnet file gets it less the backend's overhead. */
  underlayMtu: number;
  ipMasquerade: boolean;
  /** Written to <prefix>/config when the store has none (the embedded store's first start). */
  networkConfig?: string;
  leaseTtlSeconds?: number;
  /** Renew this long before the lease would expire (Flannel: an hour). */
  renewMarginSeconds?: number;
  reconcileIntervalSeconds?: number;
  log: Logger;
  metrics: AgentMetrics;
}

const MAX_BACKOFF_MILLISECONDS = 30_000;

export class Agent {
  readonly registry: LeaseRegistry;
  /** Every other node's lease, by subnet, as the backend has been told. */
  readonly peers = new Map<string, Lease>();
  lease?: Lease;
  config?: NetworkConfig;
  private watch?: Watch;
  private lastRevision = 0;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private storeHealthy = false;
  private backoff = 1000;
  private backendData: Record<string, unknown> | null = null;
  private backend!: Backend;

  constructor(private readonly options: AgentOptions) {
    this.registry = new LeaseRegistry(options.store, options.prefix);
  }

  /** Ready: the lease is held and the store answered last time it was asked. */
  healthy(): boolean {
    return this.lease !== undefined && this.storeHealthy && !this.stopped;
  }

  async start(): Promise<void> {
    const { log } = this.options;
    if (this.options.networkConfig && (await this.registry.initialise(this.options.networkConfig))) {
      log.info({ prefix: this.options.prefix }, "wrote the network config to the store");
    }
    this.config = await this.waitForConfig();
    this.backend = this.options.backendFor(this.config.backendType);
    log.info({ backend: this.backend.name }, "backend chosen");
    this.backendData = await this.backend.prepare({ publicIp: this.options.publicIp, interfaceName: this.options.interfaceName });
    await this.acquire();
    await this.backend.setup({
      lease: this.lease!, config: this.config, publicIp: this.options.publicIp, interfaceName: this.options.interfaceName, underlayMtu: this.options.underlayMtu,
    });
    await this.reconcile();
    this.startWatch();
    this.every((this.options.reconcileIntervalSeconds ?? 30) * 1000, () => this.reconcile().catch(() => undefined));
    this.scheduleRenewal();
  }

  /**
   * The network config; while it is missing or malformed, as flanneld does, log why and ask again
   * (with backoff) instead of exiting: an operator may be about to write it.
   */
  private async waitForConfig(): Promise<NetworkConfig> {
    for (;;) {
      try {
        const config = await this.registry.config();
        this.backoff = 1000;
        return config;
      } catch (error) {
        if (this.stopped) throw error;
        this.storeHealthy = false;
        this.options.log.error({ error: (error as Error).message, retryInMilliseconds: this.backoff }, "no usable network config; waiting for one");
        this.options.metrics.storeErrors.inc({ operation: "config" });
        await new Promise((resolve) => setTimeout(resolve, this.backoff));
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MILLISECONDS);
      }
    }
  }

  /** Stops watching and renewing; the lease stays in the store, so a restart reuses it. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.watch?.stop();
    await this.backend?.teardown();
    this.options.log.info({ subnet: this.lease?.subnet }, "agent stopped; lease kept");
  }

  private async acquire(): Promise<void> {
    const { log } = this.options;
    const backend = this.backend;
    const previous = previousSubnet(this.options.subnetFile);
    this.lease = await this.registry.acquire({
      publicIp: this.options.publicIp,
      backendType: backend.name,
      backendData: this.backendData,
      previousSubnet: previous,
      ttlSeconds: this.options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS,
    });
    this.storeHealthy = true;
    writeSubnetFile(this.options.subnetFile, {
      network: formatPrefix(this.config!.network),
      subnet: this.lease.subnet,
      mtu: this.options.underlayMtu - backend.overhead,
      ipMasquerade: this.options.ipMasquerade,
    });
    const network = formatPrefix(this.config!.network);
    if (this.options.ipMasquerade) {
      installMasquerade(network, this.lease.subnet);
      log.info({ network, subnet: this.lease.subnet }, "masquerading pod traffic that leaves the cluster network");
    } else if (hasMasquerade()) {
      removeMasquerade();
      log.info("removed the masquerade rules of an earlier --ip-masq run");
    }
    log.info({ subnet: this.lease.subnet, publicIp: this.options.publicIp, previous, subnetFile: this.options.subnetFile }, "lease acquired");
  }

  /** Makes the peer table and the backend match the store exactly. */
  async reconcile(): Promise<void> {
    const { metrics, log } = this.options;
    const end = metrics.reconcileSeconds.startTimer();
    try {
      const { leases, skipped, revision } = await this.registry.list();
      this.storeHealthy = true;
      for (const entry of skipped) log.warn({ key: entry.key, reason: entry.reason }, "skipped a store entry that is not a valid lease");
      metrics.skippedEntries.inc(skipped.length);
      const wanted = new Map(leases.filter((lease) => lease.subnet !== this.lease?.subnet).map((lease) => [lease.subnet, lease]));
      for (const [subnet, peer] of this.peers) if (!wanted.has(subnet)) await this.removePeer(peer);
      for (const peer of wanted.values()) await this.addPeer(peer);
      const pruned = await this.backend.prune([...wanted.values()]);
      if (pruned.length > 0) log.info({ removed: pruned }, "removed state left for subnets that have no lease");
      if (!leases.some((lease) => lease.subnet === this.lease?.subnet) && !this.stopped) {
        log.warn({ subnet: this.lease?.subnet }, "our lease is gone from the store; acquiring again");
        await this.acquire();
      }
      this.lastRevision = Math.max(this.lastRevision, revision);
      metrics.reconcileRuns.inc();
    } catch (error) {
      this.storeFailed("reconcile", error as Error);
      throw error;
    } finally {
      end();
    }
  }

  private async addPeer(peer: Lease): Promise<void> {
    const known = this.peers.get(peer.subnet);
    if (known && known.publicIp === peer.publicIp && JSON.stringify(known.backendData) === JSON.stringify(peer.backendData)) return;
    await this.backend.addPeer(peer);
    this.peers.set(peer.subnet, peer);
    this.options.metrics.leasesKnown.set(this.peers.size);
    this.options.log.info({ subnet: peer.subnet, publicIp: peer.publicIp }, known ? "peer changed" : "peer added");
  }

  private async removePeer(peer: Lease): Promise<void> {
    await this.backend.removePeer(peer);
    this.peers.delete(peer.subnet);
    this.options.metrics.leasesKnown.set(this.peers.size);
    this.options.log.info({ subnet: peer.subnet, publicIp: peer.publicIp }, "peer removed");
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
        await this.addPeer(event.lease);
      } else if (event.type === "removed") {
        const peer = this.peers.get(event.subnet);
        if (peer) await this.removePeer(peer);
        else if (event.subnet === this.lease?.subnet && !this.stopped) {
          log.warn({ subnet: event.subnet }, "our lease was removed from the store; acquiring again");
          await this.acquire();
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
        await this.reconcile();
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
    this.after((ttl - margin) * 1000, async () => {
      try {
        if (await this.registry.renew(this.lease!, ttl)) {
          this.options.metrics.renewals.inc();
          this.options.log.info({ subnet: this.lease!.subnet }, "lease renewed");
        } else {
          this.options.log.warn({ subnet: this.lease!.subnet }, "lease expired before renewal; acquiring again");
          await this.acquire();
        }
        this.scheduleRenewal();
      } catch (error) {
        this.storeFailed("renew", error as Error);
        this.after(this.backoff, () => this.scheduleRenewal());
      }
    });
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

  private every(milliseconds: number, work: () => unknown): void {
    this.after(milliseconds, () => {
      void work();
      this.every(milliseconds, work);
    });
  }

  private sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => this.after(milliseconds, resolve));
  }
}
