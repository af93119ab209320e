// The speaker: listens and dials, runs one Peer per neighbour, feeds UPDATEs into the Loc-RIB
// through import policy, and exports every best-path change to each established peer through
// export policy (iBGP split horizon, route reflection, NO_EXPORT/NO_ADVERTISE, RFC 8212). It knows
// nothing of pods or kernels: the agent subscribes to its best-route events.

import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { Afi, Safi, notificationName } from "./constants";
import type { PathAttribute } from "./codec/attributes";
import type { NotificationMessage } from "./codec/message";
import { endOfRibFamily, treatAsWithdraw, type UpdateMessage } from "./codec/update";
import { AdjRibOut } from "./adj-rib-out";
import type { PeerConfig, SpeakerConfig } from "./config";
import type { CloseReason, Connection } from "./connection";
import { familyKey, type Negotiated } from "./negotiate";
import { Peer } from "./peer";
import { plainDial } from "./dial";
import { UnknownPeerGate } from "./unknown-peers";
import { exportFor, importRefusal, type PolicyContext } from "./policy";
import { takeRoutes } from "./rib-in";
import { LocalRoutes, type LocalRoute } from "./local-routes";
import type { ExportPolicy, ImportPolicy, PeerSlotView, SpeakerCounters, Transport } from "./speaker-types";
import { LocRib } from "./rib";
import { isIpv4Prefix, routesOfUpdate, type Path, type RouteAttributes, type RouteSource } from "./route";

export type { ExportPolicy, ImportPolicy, LocalRoute, PeerSlotView, SpeakerCounters, Transport };

export type RouteEvent = { type: "added" | "changed" | "withdrawn"; prefix: string; best?: Path; previous?: Path };

interface PeerSlot {
  peer: Peer;
  source: RouteSource;
  received: number;
  accepted: number;
  /** Prefixes the import policy or a loop check refused (counted as received, not accepted). */
  rejected: Set<string>;
  out?: AdjRibOut;
  exportCache?: WeakMap<RouteAttributes, PathAttribute[] | null>;
  staleTimer?: NodeJS.Timeout;
  endOfRibReceived: boolean;
}

export class Speaker {
  readonly rib: LocRib;
  private readonly slots = new Map<string, PeerSlot>();
  private readonly listeners = new Set<(event: RouteEvent) => void>();
  private stopping = false;
  private readonly localSource: RouteSource;
  private readonly local = new LocalRoutes();
  private server?: Server;
  importPolicy?: ImportPolicy;
  exportPolicy?: ExportPolicy;
  /**
   * Asked when a connection comes from an address that is not a peer: re-reads the peers, which may
   * add it (with addPeer) before it is refused; unknown-peers.ts keeps a storm of such connections cheap.
   */
  set reloadPeers(reload: (() => Promise<void>) | undefined) {
    this.unknown.reload = reload;
  }
  private readonly unknown: UnknownPeerGate;

  constructor(
    readonly config: SpeakerConfig,
    private readonly log: Logger,
    private readonly counters?: SpeakerCounters,
    private readonly transport: Transport = { dial: plainDial },
  ) {
    this.unknown = new UnknownPeerGate(log);
    this.localSource = { address: "local", routerId: config.routerId, asn: config.localAs, internal: true, routeReflectorClient: false, local: true };
    this.rib = new LocRib((prefix, best, previous) => this.bestChanged(prefix, best, previous));
  }

  get clusterId(): string {
    return this.config.clusterId ?? this.config.routerId;
  }

  /** Subscribes to best-route changes; returns the unsubscribe function. */
  onRoute(listener: (event: RouteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts listening (if configured) and every peer. Resolves with the bound port. */
  async start(): Promise<number | undefined> {
    let port: number | undefined;
    if (this.config.listen) {
      const server = createServer((socket) => this.accept(socket));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.config.listen!.port, this.config.listen!.address, () => resolve());
      });
      port = (server.address() as { port: number }).port;
      this.transport.listening?.(server, [...this.slots.values()].map((slot) => slot.peer.config));
    }
    for (const slot of this.slots.values()) slot.peer.start();
    return port;
  }

  /** The listening socket, for the TCP MD5 keys set per peer on it. */
  get listener(): Server | undefined {
    return this.server;
  }

  addPeer(config: PeerConfig, start = false): void {
    if (this.slots.has(config.address)) throw new Error(`peer ${config.address} is already configured`);
    const internal = config.remoteAs === this.config.localAs;
    if (!internal && (config.importPolicy === undefined || config.exportPolicy === undefined)) {
      this.log.warn({ peer: config.address }, `eBGP peer ${config.address} has no explicit ${config.importPolicy === undefined ? "import" : "export"} policy: RFC 8212 says exchange nothing that way`);
    }
    const peer = new Peer(config, this.config, this.peerEvents(), this.transport.dial);
    const source: RouteSource = { address: config.address, routerId: "0.0.0.0", asn: config.remoteAs, internal, routeReflectorClient: config.routeReflectorClient, local: false };
    this.slots.set(config.address, { peer, source, received: 0, accepted: 0, rejected: new Set(), endOfRibReceived: false });
    if (start) peer.start();
  }

  /** Ends the session with a peer (Cease 3, Peer De-configured) and forgets it and its routes. */
  async removePeer(address: string): Promise<void> {
    const slot = this.slots.get(address);
    if (!slot) return;
    clearTimeout(slot.staleTimer);
    await slot.peer.stop(3);
    this.rib.removeWhere(slot.source);
    this.slots.delete(address);
  }

  /** True when every configured peer has sent its End-of-RIB since its session came up (RFC 4724: the table is whole). */
  endOfRibFromAll(): boolean {
    return [...this.slots.values()].every((slot) => slot.endOfRibReceived);
  }

  /** The configured peers' addresses. */
  peerAddresses(): string[] {
    return [...this.slots.keys()];
  }

  /** Announces a route of our own (replacing an earlier announcement of the same prefix). */
  announce(route: LocalRoute): void {
    this.rib.upsert(route.prefix, { pathId: 0, source: this.localSource, attributes: this.local.set(route), stale: false });
  }

  /** Withdraws a route of our own. */
  withdraw(prefix: string): void {
    this.local.delete(prefix);
    this.rib.remove(prefix, this.localSource, 0);
  }

  /** Our own announced prefixes. */
  announced(): string[] {
    return this.local.prefixes();
  }

  /** Stops every session (Cease 2, Administrative Shutdown) and the listener. */
  async stop(): Promise<void> {
    // Going away: the sessions end, but the routes learned stay as they are (no withdrawal events):
    // the kernel keeps forwarding on them (fail-static), and a table of a million is not unwound.
    this.stopping = true;
    const stopping: Array<Promise<void>> = [];
    for (const slot of this.slots.values()) {
      clearTimeout(slot.staleTimer);
      stopping.push(slot.peer.stop(2));
    }
    await Promise.all(stopping);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  peers(): PeerSlotView[] {
    return [...this.slots.values()].map((slot) => ({ peer: slot.peer, received: slot.received, accepted: slot.accepted, sent: slot.out?.sentCount ?? 0, routerId: slot.source.routerId }));
  }

  private accept(socket: Socket): void {
    const address = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    if (this.slots.has(address)) this.adopt(socket, address);
    else this.unknown.admit(socket, address, () => this.slots.has(address), () => this.adopt(socket, address));
  }

  private adopt(socket: Socket, address: string): void {
    if (socket.destroyed) return;
    const slot = this.slots.get(address);
    if (!slot) {
      this.log.warn({ peer: address }, `connection from ${address}, which is not a configured peer: closed`);
      socket.destroy();
      return;
    }
    socket.resume();
    try {
      this.transport.accepted?.(socket, slot.peer.config);
    } catch (error) {
      this.log.error({ peer: address }, `cannot set socket options for ${address}: ${(error as Error).message}`);
      socket.destroy();
      return;
    }
    slot.peer.accept(socket);
  }

  private peerEvents() {
    return {
      established: (peer: Peer, connection: Connection) => this.established(peer, connection),
      update: (peer: Peer, _connection: Connection, update: UpdateMessage) => this.receiveUpdate(peer, update),
      routeRefresh: (peer: Peer) => this.refresh(peer),
      down: (peer: Peer, reason: CloseReason, negotiated: Negotiated) => this.down(peer, reason, negotiated),
      connectionClosed: (peer: Peer, connection: Connection, reason: CloseReason) => {
        const fields = { peer: peer.config.address, direction: connection.direction, state: connection.state, offset: reason.offset };
        if (reason.sent && !(reason.sent.code === 6 && (reason.sent.subcode === 7 || reason.sent.subcode === 2))) this.log.warn(fields, `session with ${peer.config.address} reset: ${reason.message}`);
        else this.log.info(fields, `connection with ${peer.config.address} closed: ${reason.message}`);
      },
      notification: (peer: Peer, notification: NotificationMessage, direction: "sent" | "received") => {
        this.counters?.notification(peer.config.address, notification, direction);
        this.log.info({ peer: peer.config.address, code: notification.code, subcode: notification.subcode }, `NOTIFICATION ${direction}: ${notificationName(notification.code, notification.subcode)}`);
      },
    };
  }

  private slotOf(peer: Peer): PeerSlot {
    return this.slots.get(peer.config.address)!;
  }

  private established(peer: Peer, connection: Connection): void {
    const slot = this.slotOf(peer);
    const negotiated = connection.negotiated!;
    slot.source.routerId = negotiated.peerId;
    slot.endOfRibReceived = false;
    // RFC 4724 §4.2: the peer came back without keeping forwarding state: its stale routes go now.
    if (slot.staleTimer && !negotiated.gracefulRestart?.forwarding.has(familyKey(Afi.ipv4, Safi.unicast))) this.sweepStale(slot, "the peer did not keep its forwarding state");
    this.log.info({ peer: peer.config.address, holdTime: negotiated.holdTime, capabilities: negotiated.capabilities }, `session with ${peer.config.address} established`);
    slot.out = this.adjRibOut(slot, connection);
    slot.exportCache = new WeakMap();
    for (const [prefix, paths] of this.rib.entries()) this.exportTo(slot, prefix, paths[0]);
    slot.out.queueEndOfRib();
  }

  private adjRibOut(slot: PeerSlot, connection: Connection): AdjRibOut {
    const address = slot.peer.config.address;
    return new AdjRibOut(connection, (prefixes, attributesLength, maxLength) => {
      this.counters?.routesNotSent(address, prefixes.length);
      const shown = prefixes.length > 1 ? `${prefixes[0]} and ${prefixes.length - 1} more` : prefixes[0];
      this.log.warn(
        { peer: address, prefixes: prefixes.length, first: prefixes[0], attributesLength, maxLength },
        `not sending ${shown} to ${address}: its attributes take ${attributesLength} octets once exported, which leaves no room for the prefix in a ${maxLength}-octet UPDATE`,
      );
    });
  }

  private down(peer: Peer, reason: CloseReason, negotiated: Negotiated): void {
    const slot = this.slotOf(peer);
    slot.out?.close();
    slot.out = undefined;
    slot.exportCache = undefined;
    if (this.stopping) return;
    const restart = negotiated.gracefulRestart;
    // RFC 4724 covers a session that died (TCP gone, hold timer); one ended by a NOTIFICATION is a
    // deliberate reset, and its routes go at once.
    const died = reason.received === undefined && (reason.sent === undefined || reason.sent.code === 4);
    if (restart && restart.restartTime > 0 && died) {
      // RFC 4724 §4.2 (helper): keep the routes as stale for the restart time.
      const count = this.rib.markStale(slot.source);
      this.log.info({ peer: peer.config.address, routes: count, restartTime: restart.restartTime }, `${peer.config.address} may be restarting: keeping its ${count} routes as stale for ${restart.restartTime} s`);
      clearTimeout(slot.staleTimer);
      slot.staleTimer = setTimeout(() => this.sweepStale(slot, "restart time passed"), restart.restartTime * 1000);
      slot.staleTimer.unref?.();
      return;
    }
    this.rib.removeWhere(slot.source);
    slot.received = slot.accepted = 0;
    slot.rejected.clear();
  }

  private sweepStale(slot: PeerSlot, why: string): void {
    clearTimeout(slot.staleTimer);
    slot.staleTimer = undefined;
    const removed = this.rib.removeWhere(slot.source, (path) => path.stale);
    slot.accepted -= removed;
    slot.received -= removed;
    if (removed > 0 || why !== "End-of-RIB") this.log.info({ peer: slot.peer.config.address, routes: removed }, `removed ${removed} stale routes of ${slot.peer.config.address}: ${why}`);
  }

  private receiveUpdate(peer: Peer, update: UpdateMessage): void {
    const slot = this.slotOf(peer);
    const negotiated = peer.established!.negotiated!;
    for (const problem of update.problems) {
      this.counters?.updateProblem(peer.config.address, problem.action);
      this.log.warn({ peer: peer.config.address, offset: problem.offset, code: problem.code, subcode: problem.subcode, attribute: problem.attribute }, `UPDATE from ${peer.config.address}: ${problem.reason} → ${problem.action}`);
    }
    const endOfRib = endOfRibFamily(update);
    if (endOfRib) {
      slot.endOfRibReceived = true;
      if (slot.staleTimer) this.sweepStale(slot, "End-of-RIB");
      return;
    }
    const routes = routesOfUpdate(update, negotiated.fourOctetAs);
    const withdrawAll = treatAsWithdraw(update);
    const refusal = !withdrawAll && routes.attributes && routes.announced.length > 0 ? importRefusal(slot.peer.config, slot.source, routes.attributes, this.policyContext()) : undefined;
    if (refusal !== undefined) this.log.debug({ peer: peer.config.address, reason: refusal }, `routes from ${peer.config.address} refused: ${refusal}`);
    takeRoutes(this.rib, slot, routes, withdrawAll, (prefix, attributes) =>
      refusal !== undefined ? null : this.importPolicy ? this.importPolicy(prefix, attributes, peer.config) : attributes,
    );
  }

  private policyContext(): PolicyContext {
    return { localAs: this.config.localAs, routerId: this.config.routerId, clusterId: this.clusterId };
  }

  private refresh(peer: Peer): void {
    const slot = this.slotOf(peer);
    if (!slot.out) return;
    // RFC 2918: resend the whole table; the Adj-RIB-Out forgets what it sent so nothing is skipped.
    const out = this.adjRibOut(slot, peer.established!);
    slot.out.close();
    slot.out = out;
    for (const [prefix, paths] of this.rib.entries()) this.exportTo(slot, prefix, paths[0]);
    out.queueEndOfRib();
  }

  private bestChanged(prefix: string, best: Path | undefined, previous: Path | undefined): void {
    for (const slot of this.slots.values()) if (slot.out) this.exportTo(slot, prefix, best, previous !== undefined);
    const type = best === undefined ? "withdrawn" : previous === undefined ? "added" : "changed";
    const event: RouteEvent = { type, prefix, best, previous };
    for (const listener of this.listeners) listener(event);
  }

  private exportTo(slot: PeerSlot, prefix: string, best: Path | undefined, mayHaveSent = true): void {
    if (!isIpv4Prefix(prefix)) return; // IPv6 is received and shown; announcing it comes with dual-stack.
    const attributes = best === undefined ? null : this.exported(slot, best);
    if (attributes === null && !mayHaveSent) return;
    slot.out!.queue(prefix, attributes);
  }

  /** What `path` becomes towards `slot`'s peer, or null when it must not go there. Cached per attributes. */
  private exported(slot: PeerSlot, path: Path): PathAttribute[] | null {
    const cache = slot.exportCache!;
    const cached = cache.get(path.attributes);
    if (cached !== undefined) return cached;
    const result = this.exportPolicy && !this.exportPolicy(path, slot.peer.config) ? null : exportFor(slot.peer, slot.source, path, this.policyContext());
    cache.set(path.attributes, result);
    return result;
  }
}
