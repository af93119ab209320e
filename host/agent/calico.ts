// Calico's control plane: register this node's Node (name, address with its mask, AS) and keep it
// current; run the BGP speaker with every other Node as an iBGP peer (the node-to-node mesh, unless
// BGPConfiguration turns it off) and every global or node-specific BGPPeer; announce this node's
// affine blocks and the /32 of each address it borrowed, nothing else; and turn the speaker's best
// routes to pool prefixes into "block → node" routes, with a blackhole route for each local block;
// a route goes through the IPIP tunnel when its pool's ipipMode says so (Always, or CrossSubnet and
// the node is outside this node's subnet), the tunnel holding an address of ours from the IPAM.
// Level-triggered: a timer re-reads Nodes, peers and blocks and the agent's reconcile asks for
// every route again; watches make changes arrive at once.

import type { Logger } from "pino";
import type { Backend, PeerRoute } from "../backend/backend";
import { LOCAL_BLOCK, VIA_IPIP } from "../backend/routed";
import { Speaker, type RouteEvent, type Transport } from "../bgp/speaker";
import type { Path } from "../bgp/route";
import { peerDefaults, type PeerConfig } from "../bgp/config";
import { ipv4PrefixKey } from "../bgp/ipv4-prefix-table";
import { ipv4ToNumber, networkOf, prefixContains } from "../shared/addresses";
import { unusableNodeAddress } from "./node-address";
import { hasMasquerade, installNatOutgoing, removeMasquerade } from "../net/masquerade";
import { BlockIpam } from "../ipam/ipam";
import { addressAt } from "../ipam/block";
import { durationSeconds } from "../resources/fields";
import { DEFAULT_AS, type BGPConfiguration, type BGPPeer, type CalicoNode, type IPPool } from "../resources/kinds";
import { ResourceStore } from "../resources/store";
import { coalesce } from "../shared/coalesce";
import { bgpPeerPassword } from "../resources/secrets";
import { stopWatchWithin, type KvStore, type Watch } from "../store/kv";
import type { ControlPlane, ControlPlaneHooks, SkippedRoute } from "./control-plane";

export interface CalicoOptions {
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

const MESH_CONNECT_RETRY = 1;
/** The IPAM handle of the tunnel device's address, as Calico names it. */
const tunnelAddressHandle = (node: string) => `ipip-tunnel-addr-${node}`;
const ADDRESS_RETRY_MILLISECONDS = 2000;

interface WantedPeer {
  config: PeerConfig;
  kind: "node-to-node mesh" | "global" | "node specific";
  /** Another node (mesh or reflector session), not an external router. */
  node: boolean;
}

export class CalicoControlPlane implements ControlPlane {
  readonly resources: ResourceStore;
  readonly ipam: BlockIpam;
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
  /** The natOutgoing rules last installed ("" for none), so they are rewritten only on a change. */
  private natOutgoing?: string;
  /** Warnings about store entries already logged (each once, not at every re-read), by what they are about. */
  private readonly warned = new Set<string>();
  /** Corrupt block entries already logged (each once, not at every re-read). */
  private readonly reportedCorrupt = new Set<string>();
  /** Nodes holding blocks with no Node entry, and since when (ms) this agent has seen them so. */
  private readonly missingSince = new Map<string, number>();
  private backend?: Backend;
  /** Whether this agent started with blocks of its own (a restart), and when. */
  private restarting = false;
  private readonly startedAt = Date.now();
  private settledAt?: number;
  /** The IPIP tunnel's address, once an enabled pool wants IPIP and the IPAM gave one. */
  private tunnelAddress?: string;

  constructor(private readonly options: CalicoOptions) {
    this.resources = new ResourceStore(options.kv, options.prefix);
    this.ipam = new BlockIpam(options.kv, this.resources);
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

  /** Writes this node's Node entry (with its TTL); keeps an AS or reflector cluster ID an operator set on it. */
  private async register(): Promise<CalicoNode> {
    const { nodeName, nodeTtlSeconds } = this.options;
    const ipv4Address = this.address!;
    const existing = await this.resources.get<CalicoNode>("Node", nodeName).catch(() => undefined);
    const bgp = { ...existing?.spec.bgp, ipv4Address };
    const node: CalicoNode = { apiVersion: "projectcalico.org/v3", kind: "Node", metadata: { name: nodeName }, spec: { bgp } };
    await this.resources.put(node, nodeTtlSeconds);
    this.registered = true;
    return node;
  }

  /** Until this node's address with its mask is known: logs why it waits (healthz is 503 meanwhile). */
  private async findAddress(): Promise<void> {
    let said = "";
    while (!this.stopped) {
      try {
        this.address = this.options.ipv4Address();
        return;
      } catch (error) {
        const reason = (error as Error).message;
        if (reason !== said) this.options.log.warn({ reason }, `waiting for this node's address in CIDR form: ${reason}`);
        said = reason;
      }
      await new Promise((resolve) => setTimeout(resolve, ADDRESS_RETRY_MILLISECONDS));
    }
  }

  async join(backend: Backend): Promise<{ tunnelAddress: string }> {
    this.backend = backend;
    await this.findAddress();
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
    await this.syncTunnelAddress();
    this.storeHealthy = true;
    this.options.log.info({ node: this.options.nodeName, as: speaker.config.localAs, blocks: affine }, `Calico mode: node ${this.options.nodeName} registered, BGP speaker up`);
    return { tunnelAddress: this.options.publicIp };
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.log.warn(fields, message);
  }

  /** The peers this node should have: the mesh (every other Node) and the BGPPeers that apply to it. */
  private async wantedPeers(): Promise<WantedPeer[]> {
    const config = await this.bgpConfiguration();
    const me = this.options.publicIp;
    const myNumber = ipv4ToNumber(me);
    const wanted: WantedPeer[] = [];
    const self = await this.resources.get<CalicoNode>("Node", this.options.nodeName);
    const reflector = self?.spec.bgp?.routeReflectorClusterID;
    const { resources: nodes, skipped } = await this.resources.list<CalicoNode>("Node");
    for (const entry of skipped) this.options.log.warn({ key: entry.key }, `Node entry skipped: ${entry.reason}`);
    const claimed = new Map<string, string>();
    for (const node of nodes) {
      if (node.metadata.name === this.options.nodeName || !node.spec.bgp) continue;
      const address = node.spec.bgp.ipv4Address.split("/")[0];
      const unusable = unusableNodeAddress(address, me);
      if (unusable) {
        this.warnOnce(`node:${node.metadata.name}:${address}`, { node: node.metadata.name }, `Node ${node.metadata.name} skipped: its address ${unusable}; not peering with it`);
        continue;
      }
      const first = claimed.get(address);
      if (first !== undefined) {
        this.warnOnce(`node:${node.metadata.name}:${address}`, { node: node.metadata.name, claimedBy: first }, `Node ${node.metadata.name} claims ${address}, which Node ${first} holds: skipped`);
        continue;
      }
      claimed.set(address, node.metadata.name);
      const otherReflector = node.spec.bgp.routeReflectorClusterID;
      // With the mesh off, reflectors peer with every node, clients only with reflectors.
      if (!config.nodeToNodeMeshEnabled && reflector === undefined && otherReflector === undefined) continue;
      // Calico: the node with the lower address waits for the one with the higher to dial.
      wanted.push({
        // With the mesh off these are the route-reflector sessions; calicoctl calls such peers node specific.
        kind: config.nodeToNodeMeshEnabled ? "node-to-node mesh" : "node specific",
        config: peerDefaults(address, node.spec.bgp.asNumber ?? config.asNumber, {
          passive: ipv4ToNumber(address) > myNumber,
          // Nodes starting together dial peers that are not listening, or do not know them, yet:
          // retry after 1 s (doubling to 30 s after errors) rather than BIRD's 5 s.
          connectRetry: MESH_CONNECT_RETRY,
          routeReflectorClient: !config.nodeToNodeMeshEnabled && reflector !== undefined && otherReflector === undefined,
          importPolicy: "all",
          exportPolicy: "all",
        }),
        node: true,
      });
    }
    for (const peer of (await this.resources.list<BGPPeer>("BGPPeer")).resources) {
      if (peer.spec.node !== undefined && peer.spec.node !== this.options.nodeName) continue;
      const [address, port] = peer.spec.peerIP.split(":");
      if (wanted.some((entry) => entry.config.address === address)) continue;
      const keepalive = peer.spec.keepaliveTime ? durationSeconds(peer.spec.keepaliveTime) : undefined;
      const restart = peer.spec.maxRestartTime ? durationSeconds(peer.spec.maxRestartTime) : undefined;
      let password: string | undefined;
      try {
        password = bgpPeerPassword(peer);
      } catch (error) {
        // Without its password the session cannot come up: say why once, and leave the peer out.
        this.warnOnce(`password ${peer.metadata.name}`, { peer: peer.metadata.name }, `BGPPeer ${peer.metadata.name} skipped: ${(error as Error).message}`);
        continue;
      }
      wanted.push({
        kind: peer.spec.node === undefined ? "global" : "node specific",
        config: peerDefaults(address, peer.spec.asNumber, {
          port: port === undefined ? 179 : Number(port),
          password,
          // BIRD's: a hold time of three keepalives.
          ...(keepalive === undefined ? {} : { holdTime: Math.max(3, keepalive * 3) }),
          ...(restart === undefined ? {} : { gracefulRestartTime: restart }),
          // UseNodeIP (Calico's default): connect from the node's address; None: let the kernel choose.
          ...(peer.spec.sourceAddress === "UseNodeIP" ? { localAddress: this.options.publicIp } : {}),
          importPolicy: "all",
          exportPolicy: "all",
        }),
        node: false,
      });
    }
    return wanted;
  }

  /** Adds the peers that are wanted and missing, removes those no longer wanted; calls are coalesced (one running, one queued). */
  private readonly syncPeers = coalesce(async () => {
    const speaker = this.speaker;
    if (!speaker || this.stopped) return;
    const wanted = await this.wantedPeers();
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

  /** What this node announces: its affine blocks and the addresses it borrowed. */
  private async wantedAnnouncements(): Promise<{ blocks: string[]; borrowed: string[] }> {
    this.pools = (await this.resources.list<IPPool>("IPPool")).resources;
    const blocks = await this.ipam.affineBlocks(this.options.nodeName);
    const borrowed: string[] = [];
    const { blocks: stored, corrupt } = await this.ipam.blocks();
    for (const entry of corrupt) {
      if (this.reportedCorrupt.has(entry.key)) continue;
      this.reportedCorrupt.add(entry.key);
      this.options.log.warn({ key: entry.key }, `block entry ${entry.key} skipped: ${entry.reason} (podnet ipam check lists it)`);
    }
    for (const { block } of stored) {
      if (block.affinity === this.options.nodeName) continue;
      block.allocations.forEach((handle, offset) => {
        if (handle !== null && block.attributes[handle]?.node === this.options.nodeName) borrowed.push(`${addressAt(block, offset)}/32`);
      });
    }
    return { blocks, borrowed };
  }

  /** One at a time, each reading the store afresh: an older read never undoes a newer one. */
  private syncAnnouncements(): Promise<void> {
    const run = () => this.announceWanted();
    this.announcing = this.announcing.then(run, run);
    return this.announcing;
  }

  private async announceWanted(): Promise<void> {
    const speaker = this.speaker;
    if (!speaker) return;
    const { blocks, borrowed } = await this.wantedAnnouncements();
    const wanted = new Set([...blocks, ...borrowed]);
    for (const prefix of this.announced) {
      if (wanted.has(prefix)) continue;
      speaker.withdraw(prefix);
      if (this.localBlocks.has(prefix)) this.hooks?.routeChanged({ type: "removed", prefix });
    }
    for (const prefix of wanted) {
      if (this.announced.has(prefix)) continue;
      speaker.announce({ prefix, nextHop: this.options.publicIp });
      if (blocks.includes(prefix)) this.hooks?.routeChanged({ type: "added", route: this.blackhole(prefix) });
    }
    this.announced = wanted;
    this.localBlocks = new Set(blocks);
  }

  private inPool(prefix: string): boolean {
    return this.pools.some((pool) => prefixContains(pool.spec.cidr, prefix));
  }

  /** Whether an enabled pool asks for IPIP: the tunnel is then needed, and pods get the tunnel's MTU. */
  get ipipWanted(): boolean {
    return this.pools.some((pool) => !pool.spec.disabled && pool.spec.ipipMode !== "Never");
  }

  /** Whether routes may go through the tunnel (an enabled pool asks for IPIP): the pods then give up its bytes. */
  get encapsulates(): boolean {
    return this.ipipWanted;
  }

  /** Whether `nodeIp` is on this node's subnet (the Node's ipv4Address with its mask), as CrossSubnet asks. */
  private sameSubnet(nodeIp: string): boolean {
    const [address, length] = (this.address ?? `${this.options.publicIp}/32`).split("/");
    return networkOf(ipv4ToNumber(address), Number(length)) === networkOf(ipv4ToNumber(nodeIp), Number(length));
  }

  /** VIA_IPIP when the pool holding `prefix` wants IPIP towards `nodeIp`, else null (routed natively; outside the pools too). */
  private encapsulationFor(prefix: string, nodeIp: string): PeerRoute["backendData"] {
    const mode = this.pools.find((pool) => prefixContains(pool.spec.cidr, prefix))?.spec.ipipMode ?? "Never";
    return mode === "Always" || (mode === "CrossSubnet" && !this.sameSubnet(nodeIp)) ? { ...VIA_IPIP } : null;
  }

  /** Once a pool wants IPIP: an address for the tunnel from our blocks (Calico's handle), handed to the backend. */
  private async syncTunnelAddress(): Promise<void> {
    if (!this.ipipWanted || this.tunnelAddress) return;
    let address: string;
    try {
      ({ address } = await this.ipam.assign(this.options.nodeName, tunnelAddressHandle(this.options.nodeName)));
    } catch (error) {
      // Routes through the tunnel fail (counted) until it has an address; tried again at each re-read.
      this.options.log.warn({ error: (error as Error).message }, "IPIP: no address for the tunnel device yet");
      return;
    }
    this.tunnelAddress = address;
    await this.backend?.useTunnelAddress?.(address);
    this.options.log.info({ address }, `IPIP: the tunnel device holds ${address} (IPAM handle ${tunnelAddressHandle(this.options.nodeName)})`);
  }

  /**
   * A best route learned by BGP as a route for the backend, or undefined when it is not one to
   * program: pool prefixes from any peer; anything else only from an external peer (a top-of-rack
   * router's networks, as Calico's BIRD programs them), never from the mesh.
   */
  private routeOf(prefix: string, path: Path): PeerRoute | SkippedRoute | undefined {
    const nextHop = path.attributes.nextHop;
    if (path.source.local || !nextHop || nextHop === this.options.publicIp || ipv4PrefixKey(prefix) < 0) return undefined;
    if (!this.inPool(prefix) && this.meshPeers.has(path.source.address)) return undefined;
    // A peer may say anything: a next hop no node can have is never programmed.
    const unusable = unusableNodeAddress(nextHop, this.options.publicIp);
    if (unusable) return { prefix, nodeIp: nextHop, reason: "bad-address", message: `route to ${prefix} from ${path.source.address}: next hop ${unusable}` };
    return { prefix, nodeIp: nextHop, backendData: this.encapsulationFor(prefix, nextHop) };
  }

  /** natOutgoing: masquerade rules for the pools that ask for it, removed when none does. */
  private async syncNatOutgoing(): Promise<void> {
    const enabled = this.pools.filter((pool) => !pool.spec.disabled);
    const natPools = enabled.filter((pool) => pool.spec.natOutgoing).map((pool) => pool.spec.cidr);
    const wanted = natPools.length === 0 ? "" : JSON.stringify([natPools, enabled.map((pool) => pool.spec.cidr)]);
    if (wanted === this.natOutgoing) return;
    try {
      if (natPools.length > 0) {
        await installNatOutgoing(natPools, enabled.map((pool) => pool.spec.cidr));
        this.options.log.info({ pools: natPools }, `natOutgoing: traffic from ${natPools.join(", ")} to outside the pools is masqueraded`);
      } else if (await hasMasquerade()) {
        await removeMasquerade();
        this.options.log.info("natOutgoing: no pool asks for it; removed the masquerade rules");
      }
      this.natOutgoing = wanted;
    } catch (error) {
      // Not the store's fault: logged, and tried again at the next re-read.
      this.options.log.warn({ error: (error as Error).message }, "natOutgoing rules could not be written");
    }
  }

  /** Re-reads peers and what to announce; notes whether the store answered. */
  private async reread(): Promise<void> {
    try {
      await this.syncPeers();
      await this.syncAnnouncements();
      await this.syncTunnelAddress();
      await this.syncNatOutgoing();
      this.storeHealthy = true;
    } catch (error) {
      this.storeHealthy = false;
      throw error;
    }
  }

  async routesWanted(): Promise<{ routes: PeerRoute[]; skipped: SkippedRoute[]; settled: boolean }> {
    await this.reread();
    // Our blocks get a blackhole; a borrowed /32 has the pod's own route (the CNI plugin's).
    const routes: PeerRoute[] = [...this.localBlocks].map((prefix) => this.blackhole(prefix));
    const skipped: SkippedRoute[] = [];
    for (const [prefix, paths] of this.speaker!.rib.entries()) {
      const route = this.routeOf(prefix, paths[0]);
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

  private blackhole(prefix: string): PeerRoute {
    return { prefix, nodeIp: this.options.publicIp, backendData: { ...LOCAL_BLOCK } };
  }

  /** A best-route change from the speaker, handed to the agent once it follows; before that, remembered. */
  private routeEvent(event: RouteEvent): void {
    const hooks = this.hooks;
    if (!hooks) {
      this.missedRouteEvents = true;
      return;
    }
    const best = event.best;
    const route = best ? this.routeOf(event.prefix, best) : undefined;
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
      await this.releaseLeakedBlocks();
      await this.reread();
    } catch (error) {
      this.storeHealthy = false;
      this.options.log.warn({ error: (error as Error).message }, "Calico housekeeping failed; retrying");
    }
  }

  /** Blocks of nodes whose Node entry expired, given back once it has been gone for the leak grace period. */
  private async releaseLeakedBlocks(): Promise<void> {
    const present = new Set((await this.resources.list<CalicoNode>("Node")).resources.map((node) => node.metadata.name));
    const now = Date.now();
    const holders = await this.ipam.nodesWithBlocks();
    for (const node of [...this.missingSince.keys()]) if (present.has(node) || !holders.includes(node)) this.missingSince.delete(node);
    for (const node of holders) {
      if (present.has(node)) continue;
      const since = this.missingSince.get(node) ?? now;
      this.missingSince.set(node, since);
      if (now - since < this.options.leakGraceSeconds * 1000) continue;
      const blocks = await this.ipam.releaseNodeBlocks(node);
      this.missingSince.delete(node);
      this.options.log.warn({ node, blocks }, `node ${node} has had no Node entry for ${this.options.leakGraceSeconds} s: released its blocks ${blocks.join(", ")}`);
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
