// One configured neighbour: the Idle/Connect/Active half of the FSM (RFC 4271 §8.2.2), its
// connections (at most one each way), collision resolution by BGP identifier (RFC 4271 §6.8,
// RFC 6286 §2.3), and retries with a growing wait after errors (Calico's `error wait time 5,30`).

import type { Socket } from "node:net";
import { Connection, type CloseReason, type ConnectionEvents } from "./connection";
import { ERROR_WAIT_MAXIMUM, type PeerConfig, type SpeakerConfig } from "./config";
import { negotiate, ourOpen, type Negotiated } from "./negotiate";
import type { OpenMessage } from "./codec/open";
import { ipv4ToNumber } from "../shared/addresses";
import type { Dialer } from "./dial";
import type { NotificationMessage, RouteRefreshMessage } from "./codec/message";
import type { UpdateMessage } from "./codec/update";

/** How long stopping waits for a peer to close its side after our Cease. */
const STOP_WAIT_MILLISECONDS = 200;

type PeerState = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

interface PeerEvents {
  established(peer: Peer, connection: Connection): void;
  update(peer: Peer, connection: Connection, update: UpdateMessage): void;
  routeRefresh(peer: Peer, request: RouteRefreshMessage): void;
  /** The established session ended. */
  down(peer: Peer, reason: CloseReason, negotiated: Negotiated): void;
  /** A connection ended (established or not), for the log. */
  connectionClosed(peer: Peer, connection: Connection, reason: CloseReason): void;
  notification(peer: Peer, notification: NotificationMessage, direction: "sent" | "received"): void;
}


export class Peer {
  readonly connections = new Set<Connection>();
  established?: Connection;
  /** When the state last changed. */
  since = new Date();
  lastError?: string;
  private dialing = false;
  private stopped = true;
  private retryTimer?: NodeJS.Timeout;
  private errorWait: number;
  private lastState: PeerState = "Idle";
  private readonly open: OpenMessage;

  constructor(
    readonly config: PeerConfig,
    readonly speaker: SpeakerConfig,
    private readonly events: PeerEvents,
    private readonly dial: Dialer,
  ) {
    this.open = ourOpen(speaker, config);
    this.errorWait = config.connectRetry;
  }

  get internal(): boolean {
    return this.config.remoteAs === this.speaker.localAs;
  }

  get state(): PeerState {
    if (this.stopped) return "Idle";
    if (this.established) return "Established";
    let state: PeerState = this.dialing ? "Connect" : "Active";
    for (const connection of this.connections) {
      if (connection.state === "OpenConfirm") state = "OpenConfirm";
      else if (connection.state === "OpenSent" && state !== "OpenConfirm") state = "OpenSent";
    }
    return state;
  }

  start(): void {
    this.stopped = false;
    this.noteState();
    if (!this.config.passive) this.connect();
  }

  /** Closes every connection with Cease `subcode` (2 shutdown, 3 de-configured) and stays idle; resolves once the NOTIFICATIONs are out. */
  async stop(subcode = 2): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const connections = [...this.connections];
    for (const connection of connections) connection.cease(subcode, "stopped");
    this.noteState();
    // The Cease is on its way; a peer busy sending (a table load) may take long to answer with its
    // FIN, and a stop must not wait on it: a short while, then the sockets go.
    const finished = Promise.all(connections.map((connection) => connection.finished));
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MILLISECONDS).unref())]);
    for (const connection of connections) connection.socket.destroy();
  }

  /** Takes a connection the peer opened to us. */
  accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    // RFC 4724 §4.2: a new connection from a peer that can restart gracefully means it restarted;
    // the old session is over (its routes go stale), whatever our side of TCP still believes.
    if (this.established?.negotiated?.gracefulRestart) {
      this.established.close({ message: "the peer connected again: it restarted" });
    }
    this.adopt(new Connection(socket, "inbound", this.open, this.connectionEvents()));
  }

  private connect(): void {
    if (this.stopped || this.dialing || this.config.passive) return;
    this.dialing = true;
    this.noteState();
    this.dial(this.config).then(
      (socket) => {
        this.dialing = false;
        if (this.stopped || this.established) {
          socket.destroy();
          return;
        }
        this.adopt(new Connection(socket, "outbound", this.open, this.connectionEvents()));
      },
      (error: Error) => {
        this.dialing = false;
        this.lastError = `connect: ${error.message}`;
        this.retry(this.config.connectRetry);
      },
    );
  }

  private adopt(connection: Connection): void {
    if (connection.state === "Closed") return;
    this.connections.add(connection);
    this.noteState();
  }

  private retry(seconds: number): void {
    this.noteState();
    if (this.stopped || this.config.passive) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), seconds * 1000);
  }

  private connectionEvents(): ConnectionEvents {
    return {
      open: (connection, open) => this.onOpen(connection, open),
      established: (connection) => {
        for (const other of this.connections) if (other !== connection) other.cease(7, "connection collision: the other connection is established");
        this.established = connection;
        this.errorWait = this.config.connectRetry;
        this.lastError = undefined;
        clearTimeout(this.retryTimer);
        this.noteState();
        this.events.established(this, connection);
      },
      update: (connection, update) => this.events.update(this, connection, update),
      routeRefresh: (_connection, request) => this.events.routeRefresh(this, request),
      notification: (_connection, notification, direction) => this.events.notification(this, notification, direction),
      closed: (connection, reason) => this.onClosed(connection, reason),
    };
  }

  private onOpen(connection: Connection, open: OpenMessage): Negotiated {
    const negotiated = negotiate(this.open, open, this.speaker, this.config);
    for (const other of this.connections) {
      if (other === connection || other.state === "Closed") continue;
      if (other.state === "Established") {
        connection.cease(7, "connection collision with the established session");
        return negotiated;
      }
      if (other.state === "OpenConfirm") {
        // RFC 4271 §6.8: keep the connection opened by the side with the higher identifier;
        // RFC 6286 §2.3: with equal identifiers, the side with the larger AS.
        const ours = ipv4ToNumber(this.speaker.routerId);
        const theirs = ipv4ToNumber(negotiated.peerId);
        const weWin = ours !== theirs ? ours > theirs : this.speaker.localAs > negotiated.peerAs;
        const keep = weWin ? "outbound" : "inbound";
        const loser = connection.direction === keep ? other : connection;
        loser.cease(7, "connection collision resolution");
        return negotiated;
      }
    }
    return negotiated;
  }

  private onClosed(connection: Connection, reason: CloseReason): void {
    this.connections.delete(connection);
    const wasEstablished = this.established === connection;
    if (wasEstablished) this.established = undefined;
    const collision = reason.sent?.code === 6 && reason.sent.subcode === 7;
    if (!collision) this.lastError = reason.message;
    this.events.connectionClosed(this, connection, reason);
    if (wasEstablished && connection.negotiated) this.events.down(this, reason, connection.negotiated);
    if (this.connections.size > 0 || this.established) {
      this.noteState();
      return;
    }
    const wait = this.errorWait;
    if (!collision) this.errorWait = Math.min(this.errorWait * 2, Math.max(ERROR_WAIT_MAXIMUM, this.config.connectRetry));
    this.retry(wait);
  }

  private noteState(): void {
    const state = this.state;
    if (state !== this.lastState) {
      this.lastState = state;
      this.since = new Date();
    }
  }
}
