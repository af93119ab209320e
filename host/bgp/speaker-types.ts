// The shapes the speaker is configured and observed through: policies, counters, transport, and
// the per-peer view `bgp show` reads.

import type { Server, Socket } from "node:net";
import type { NotificationMessage } from "./codec/message";
import type { PeerConfig } from "./config";
import type { Dialer } from "./dial";
import type { Peer } from "./peer";
import type { Path, RouteAttributes } from "./route";

/** Import policy: the attributes to keep (possibly changed), or null to reject. */
export type ImportPolicy = (prefix: string, attributes: RouteAttributes, peer: PeerConfig) => RouteAttributes | null;
/** Export policy: whether `path` may go to `peer`. */
export type ExportPolicy = (path: Path, peer: PeerConfig) => boolean;

export interface SpeakerCounters {
  notification(peer: string, notification: NotificationMessage, direction: "sent" | "received"): void;
  updateProblem(peer: string, action: string): void;
  /** Routes held back from a peer because their attributes leave no room for them in one UPDATE. */
  routesNotSent(peer: string, count: number): void;
}

/** How sessions get their sockets: dialing, and options on the listener and accepted sockets. */
export interface Transport {
  dial: Dialer;
  listening?(server: Server, peers: PeerConfig[]): void;
  accepted?(socket: Socket, peer: PeerConfig): void;
}

export interface PeerSlotView {
  peer: Peer;
  received: number;
  accepted: number;
  sent: number;
  routerId: string;
}
