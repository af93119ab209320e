// Calico's control plane, the coordinator of calico/: registers this node (node.ts), runs the BGP
// speaker with the peers it wants (peers.ts), announces its blocks and borrowed /32s
// (announcements.ts), turns best paths into routes, through IPIP where a pool says so (routes.ts,
// tunnel-address.ts), and keeps the Node entry alive, natOutgoing and leaked blocks in order.
// Level-triggered: a timer re-reads everything, and watches make changes arrive at once.

import type { Logger } from "pino";
import type { Backend, PeerRoute } from "../../backend/backend";
import { Speaker, type RouteEvent, type Transport } from "../../bgp/speaker";
import { NatOutgoing } from "../../net/masquerade";
import { BlockIpam } from "../../ipam/ipam";
import { LeakedBlocks } from "../../ipam/leaked-blocks";
import { DEFAULT_AS, type BGPConfiguration, type CalicoNode, type IPPool } from "../../resources/kinds";
import { ResourceStore } from "../../resources/store";
import { coalesce } from "../../shared/coalesce";
import { stopWatchWithin, type KvStore, type Watch } from "../../store/kv";
import type { ControlPlane, ControlPlaneHooks, SkippedRoute } from "../control-plane";
import { wantedPeers, type WantedPeer } from "./peers";
import { registerNode, waitForNodeAddress } from "./node";
import { wantedAnnouncements } from "./announcements";
import { blackhole, ipipWanted, routeOf, type RouteContext } from "./routes";
import { TunnelAddress } from "./tunnel-address";

interface CalicoOptions {
  kv: KvStore;
  /** Key prefix of Calico-mode resources and blocks. */
  prefix: string;
  nodeName: string;
  publicIp: string;
  /** This node's address with its subnet's prefix length (the Node's spec.bgp.ipv4Address); throws saying why when it cannot be found. */
  ipv4Address: () => string;
  /** The Node entry expires this long after the agent last refreshed it. */
  nodeTtlSeconds: number;
  /** An empty block of ours is given back after this long. */
  emptyBlockGraceSeconds: number;
  /** RFC 4724 restart time we announce (Calico's BIRD: 120 s). */
  gracefulRestartSeconds: number;
  /** Blocks of a node whose Node entry is gone are released this long after it was first seen gone (Calico: 15 min). */
  leakGraceSeconds: number;
  log: Logger;
  /** TCP MD5 and GTSM through the addon (socketTransport); plain sockets when absent. */
  transport?: Transport;
  /** A store entry skipped because it does not parse (podnet_store_entries_skipped_total). */
  onSkippedEntry?: () => void;
}

export class CalicoControlPlane implements ControlPlane {
  readonly resources: ResourceStore;
  readonly ipam: BlockIpam;
  private readonly leakedBlocks: LeakedBlocks;
  speaker?: Speaker;
  /** Peer address → how it came to be a peer (for `podnet status`). */
  readonly peerKinds = new Map<string, WantedPeer["kind"]>();
  /** Peers that are other nodes (mesh or reflector sessions), not external routers. */
  private meshPeers = new Set<string>();
  private pools: IPPool[] = [];
  /** What the speaker announces for us: our blocks, and the /32s we borrowed. */
  private announced = new Set<string>();
  private localBlocks = new Set<string>();
  private hooks?: ControlPlaneHooks;
  private watches: Watch[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private registered = false;
  private storeHealthy = false;
  private missedRouteEvents = false;
  /** This node's address with its mask, once found. */
  private address?: string;
  private announcing: Promise<void> = Promise.resolve();
  private readonly natOutgoing = new NatOutgoing();
  /** Warnings about store entries already logged (each once, not at every re-read), by what they are about. */
  private readonly warned = new Set<string>();
  private backend?: Backend;
  /** Whether this agent started with blocks of its own (a restart), and when. */
  private restarting = false;
  private readonly startedAt = Date.now();
  private settledAt?: number;
  private readonly tunnel: TunnelAddress;

  constructor(private readonly options: CalicoOptions) {
    this.resources = new ResourceStore(options.kv, options.prefix);
    this.ipam = new BlockIpam(options.kv, this.resources);
    this.leakedBlocks = new LeakedBlocks(this.ipam, options.leakGraceSeconds);
    this.tunnel = new TunnelAddress(this.ipam, options.nodeName, options.log);
    // A borrowed address (no claim of ours changes) is announced as soon as the CNI plugin takes it.
    this.ipam.onChange = () => void this.syncAnnouncements().catch(() => undefined);
    this.ipam.onCorrupt = (entry) => {
      options.onSkippedEntry?.();
      options.log.warn({ key: entry.key }, `IPAM handle entry ${entry.key} skipped: ${entry.reason}; its address is looked for in the blocks (podnet ipam check lists it, podnet ipam release --handle removes it)`);
    };
  }

  healthy(): boolean {
    return this.registered && this.storeHealthy && !this.stopped;
  }

  async configure(choose: (backendType: string, settings: Record<string, unknown>) => Backend): Promise<Backend> {
    return choose("routed", {});
  }

  private async bgpConfiguration(): Promise<BGPConfiguration["spec"]> {
    return (await this.resources.get<BGPConfiguration>("BGPConfiguration", "default"))?.spec ?? { asNumber: DEFAULT_AS, nodeToNodeMeshEnabled: true, listenPort: 179, logSeverityScreen: "Info" };
  }

  private async register(): Promise<void> {
    await registerNode(this.resources, this.options.nodeName, this.address!, this.options.nodeTtlSeconds);
    this.registered = true;
  }

  async join(backend: Backend): Promise<{ tunnelAddress: string }> {
    this.backend = backend;
    this.address = await waitForNodeAddress(this.options.ipv4Address, () => this.stopped, this.options.log);
    // An AS or reflector cluster ID an operator set on this node's Node is kept.
    const node = (await this.resources.get<CalicoNode>("Node", this.options.nodeName).catch(() => undefined)) ?? { spec: {} as CalicoNode["spec"] };
    const config = await this.bgpConfiguration();
    const affine = await this.ipam.affineBlocks(this.options.nodeName);
    this.restarting = affine.length > 0;
    const speaker = new Speaker(
      {
        localAs: node.spec.bgp?.asNumber ?? config.asNumber,
        routerId: this.options.publicIp,
        listen: { address: "0.0.0.0", port: config.listenPort },
        gracefulRestartTime: this.options.gracefulRestartSeconds,
        clusterId: node.spec.bgp?.routeReflectorClusterID,
        // Blocks from an earlier run mean their routes are still in the kernel: say we kept them.
        restarting: this.restarting,
      },
      this.options.log.child({ component: "bgp" }),
      undefined,
      this.options.transport,
    );
    // What leaves this node: its own blocks and borrowed /32s, or reflected routes when it is a reflector.
    speaker.exportPolicy = (path) => path.source.local || node.spec.bgp?.routeReflectorClusterID !== undefined;
    this.speaker = speaker;
    speaker.onRoute((event) => this.routeEvent(event));
    // A node that just registered may dial before our watch has told us of it.
    speaker.reloadPeers = () => this.syncPeers();
    await this.syncPeers();
    await speaker.start();
    // Registered only once listening: the others dial as soon as they see the Node, and a refused
    // connection would cost them a connect-retry time (5 s).
    await this.register();
    await this.syncAnnouncements();
    await this.tunnel.sync(this.encapsulates, this.backend);
    this.storeHealthy = true;
    this.options.log.info({ node: this.options.nodeName, as: speaker.config.localAs, blocks: affine }, `Calico mode: node ${this.options.nodeName} registered, BGP speaker up`);
    return { tunnelAddress: this.options.publicIp };
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.log.warn(fields, message);
  }

  /** Adds the peers that are wanted and missing, removes those no longer wanted; calls are coalesced (one running, one queued). */
  private readonly syncPeers = coalesce(async () => {
    const speaker = this.speaker;
    if (!speaker || this.stopped) return;
    const wanted = await wantedPeers({ resources: this.resources, config: await this.bgpConfiguration(), nodeName: this.options.nodeName, publicIp: this.options.publicIp, log: this.options.log, warnOnce: (key, fields, message) => this.warnOnce(key, fields, message) });
    const addresses = new Set(wanted.map((entry) => entry.config.address));
    this.meshPeers = new Set(wanted.filter((entry) => entry.node).map((entry) => entry.config.address));
    for (const address of speaker.peerAddresses()) {
      if (addresses.has(address)) continue;
      this.options.log.info({ peer: address }, `BGP peer ${address} removed (its Node or BGPPeer is gone)`);
      this.peerKinds.delete(address);
      await speaker.removePeer(address);
    }
    const existing = new Set(speaker.peerAddresses());
    for (const entry of wanted) {
      this.peerKinds.set(entry.config.address, entry.kind);
      if (existing.has(entry.config.address)) continue;
      this.options.log.info({ peer: entry.config.address, as: entry.config.remoteAs, kind: entry.kind }, `BGP peer ${entry.config.address} added (${entry.kind})`);
      speaker.addPeer(entry.config, speaker.listener !== undefined);
    }
  });

  /** One at a time, each reading the store afresh: an older read never undoes a newer one. */
  private syncAnnouncements(): Promise<void> {
    const run = () => this.announceWanted();
    this.announcing = this.announcing.then(run, run);
    return this.announcing;
  }

  private async announceWanted(): Promise<void> {
    const speaker = this.speaker;
    if (!speaker) return;
    this.pools = (await this.resources.list<IPPool>("IPPool")).resources;
    const { blocks, borrowed } = await wantedAnnouncements(this.ipam, this.options.nodeName, (entry) =>
      this.warnOnce(`block:${entry.key}`, { key: entry.key }, `block entry ${entry.key} skipped: ${entry.reason} (podnet ipam check lists it)`),
    );
    const wanted = new Set([...blocks, ...borrowed]);
    for (const prefix of this.announced) {
      if (wanted.has(prefix)) continue;
      speaker.withdraw(prefix);
      if (this.localBlocks.has(prefix)) this.hooks?.routeChanged({ type: "removed", prefix });
    }
    for (const prefix of wanted) {
      if (this.announced.has(prefix)) continue;
      speaker.announce({ prefix, nextHop: this.options.publicIp });
      if (blocks.includes(prefix)) this.hooks?.routeChanged({ type: "added", route: blackhole(prefix, this.options.publicIp) });
    }
    this.announced = wanted;
    this.localBlocks = new Set(blocks);
  }

  private routeContext(): RouteContext {
    return { publicIp: this.options.publicIp, ownAddress: this.address, pools: this.pools, meshPeers: this.meshPeers };
  }

  /** Whether an enabled pool asks for IPIP: the tunnel is then needed, and the pods give up its bytes. */
  get encapsulates(): boolean {
    return ipipWanted(this.pools);
  }

  /** Re-reads peers and what to announce; notes whether the store answered. */
  private async reread(): Promise<void> {
    try {
      await this.syncPeers();
      await this.syncAnnouncements();
      await this.tunnel.sync(this.encapsulates, this.backend);
      try {
        const said = await this.natOutgoing.sync(this.pools);
        if (said) this.options.log.info(said.fields, said.message);
      } catch (error) {
        // Not the store's fault: logged, and tried again at the next re-read.
        this.options.log.warn({ error: (error as Error).message }, "natOutgoing rules could not be written");
      }
      this.storeHealthy = true;
    } catch (error) {
      this.storeHealthy = false;
      throw error;
    }
  }

  async routesWanted(): Promise<{ routes: PeerRoute[]; skipped: SkippedRoute[]; settled: boolean }> {
    await this.reread();
    // Our blocks get a blackhole; a borrowed /32 has the pod's own route (the CNI plugin's).
    const routes: PeerRoute[] = [...this.localBlocks].map((prefix) => blackhole(prefix, this.options.publicIp));
    const skipped: SkippedRoute[] = [];
    const context = this.routeContext();
    for (const [prefix, paths] of this.speaker!.rib.entries()) {
      const route = routeOf(context, prefix, paths[0]);
      if (route && "reason" in route) skipped.push(route);
      else if (route) routes.push(route);
    }
    return { routes, skipped, settled: this.settled() };
  }

  /**
   * False while this agent restarted with routes in the kernel (blocks of its own) and some peer
   * has not yet sent its whole table (End-of-RIB), for at most the restart time we announce: the
   * routes it would otherwise prune are probably still right (RFC 4724's restarting speaker).
   */
  private settled(): boolean {
    if (this.settledAt !== undefined) return true;
    const waited = Date.now() - this.startedAt;
    if (!this.restarting || this.speaker!.endOfRibFromAll() || waited > this.options.gracefulRestartSeconds * 1000) {
      this.settledAt = Date.now();
      if (this.restarting) this.options.log.info({ waitedMs: waited }, "BGP tables complete after the restart: routes no node announces are removed from now on");
    }
    return this.settledAt !== undefined;
  }

  /** A best-route change from the speaker, handed to the agent once it follows; before that, remembered. */
  private routeEvent(event: RouteEvent): void {
    const hooks = this.hooks;
    if (!hooks) {
      this.missedRouteEvents = true;
      return;
    }
    const best = event.best;
    const route = best ? routeOf(this.routeContext(), event.prefix, best) : undefined;
    if (route && "reason" in route) hooks.routeChanged({ type: "skipped", skipped: route });
    else if (route) hooks.routeChanged({ type: "added", route });
    else if (!this.announced.has(event.prefix)) hooks.routeChanged({ type: "removed", prefix: event.prefix });
  }

  follow(hooks: ControlPlaneHooks): void {
    this.hooks = hooks;
    // Sessions that came up between join and now brought routes the agent has not seen.
    if (this.missedRouteEvents) void hooks.resync().catch(() => undefined);
    const { kv, prefix, nodeName } = this.options;
    const onError = (error: Error) => {
      this.storeHealthy = false;
      this.options.log.warn({ error: error.message }, "store watch failed; the next reconcile reads everything again");
    };
    void kv.range(`${prefix}/`).then(({ revision }) => {
      if (this.stopped) return;
      this.watches.push(kv.watch(`${prefix}/nodes/`, revision, () => void this.syncPeers().catch(onError), onError));
      this.watches.push(kv.watch(`${prefix}/bgppeers/`, revision, () => void this.syncPeers().catch(onError), onError));
      this.watches.push(kv.watch(`${prefix}/ipam/affinities/${nodeName}/`, revision, () => void this.syncAnnouncements().catch(onError), onError));
      // The watches start at `revision`; what changed between the last read and it (a Node that
      // registered meanwhile) is only seen by reading once more now.
      void this.syncPeers().catch(onError);
      void this.syncAnnouncements().catch(onError);
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.housekeeping().finally(() => this.schedule());
      },
      Math.max(1, this.options.nodeTtlSeconds / 3) * 1000,
    );
  }

  /** Keeps the Node entry alive, gives back empty blocks, re-reads peers and announcements. */
  private async housekeeping(): Promise<void> {
    try {
      await this.register();
      const released = await this.ipam.releaseEmptyBlocks(this.options.nodeName, this.options.emptyBlockGraceSeconds * 1000);
      if (released.length > 0) this.options.log.info({ blocks: released }, `released empty blocks ${released.join(", ")}`);
      const present = new Set((await this.resources.list<CalicoNode>("Node")).resources.map((node) => node.metadata.name));
      for (const { node, blocks } of await this.leakedBlocks.release(present)) {
        this.options.log.warn({ node, blocks }, `node ${node} has had no Node entry for ${this.options.leakGraceSeconds} s: released its blocks ${blocks.join(", ")}`);
      }
      await this.reread();
    } catch (error) {
      this.storeHealthy = false;
      this.options.log.warn({ error: (error as Error).message }, "Calico housekeeping failed; retrying");
    }
  }

  /** Stops the speaker (peers drop our routes at once: a clean stop) and the watches; blocks stay ours. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.watches.map((watch) => stopWatchWithin(watch)));
    // Waits for a sync under way (the one this queues returns at once: stopped).
    await this.syncPeers().catch(() => undefined);
    await this.speaker?.stop();
  }
}
