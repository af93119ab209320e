// Connections from addresses that are no configured peer. In Calico mode such an address may be a
// node that just joined (its Node not yet seen), so the speaker re-reads the peers before refusing
// it. A storm of them must cost nothing: re-reads are coalesced (one in flight, one queued), at
// most MAX_HELD_CONNECTIONS wait for one (the rest are closed at once), and an address a re-read
// found to be no peer is refused at once for a while.

import type { Socket } from "node:net";
import type { Logger } from "pino";
import { coalesce } from "../shared/coalesce";

/** Connections from unknown addresses held while the peers are re-read; more are closed at once. */
const MAX_HELD_CONNECTIONS = 32;
/** A held connection whose re-read has not ended by then is closed (the store may be down). */
const HELD_CONNECTION_TIMEOUT_MILLISECONDS = 10_000;
/**
 * After a re-read found an address to be no peer, its connections are closed at once for this long
 * (BIRD's error wait is 5 s too); a node that joins meanwhile is added by the watch on Nodes anyway.
 */
const NOT_PEER_QUIET_MILLISECONDS = 5000;
const MAX_NOT_PEER_ADDRESSES = 1024;

export class UnknownPeerGate {
  private reloadPeers?: () => Promise<void>;
  /** Connections waiting for a re-read of the peers. */
  private held = 0;
  /** Addresses a re-read found to be no peer, refused at once until then (ms). */
  private readonly notPeerUntil = new Map<string, number>();
  private capLogged = false;

  constructor(private readonly log: Logger) {}

  /** How the peers are re-read (undefined: not at all; an unknown address is refused at once). */
  set reload(reload: (() => Promise<void>) | undefined) {
    this.reloadPeers = reload && coalesce(reload);
  }

  /** Holds `socket` from `address` until the peers were re-read, then `adopt`s it (which refuses it if `isPeer` still says no). */
  admit(socket: Socket, address: string, isPeer: () => boolean, adopt: () => void): void {
    const reload = this.reloadPeers;
    if (!reload) return adopt();
    if ((this.notPeerUntil.get(address) ?? 0) > Date.now()) {
      socket.destroy();
      return;
    }
    if (this.held >= MAX_HELD_CONNECTIONS) {
      if (!this.capLogged) this.log.warn({ peer: address, held: this.held }, `${this.held} connections from unknown addresses already wait for a re-read of the peers: closing the rest at once`);
      this.capLogged = true;
      socket.destroy();
      return;
    }
    this.held++;
    socket.pause();
    socket.on("error", () => socket.destroy());
    socket.setTimeout(HELD_CONNECTION_TIMEOUT_MILLISECONDS, () => socket.destroy());
    const release = () => {
      this.held--;
      if (this.held === 0) this.capLogged = false;
      socket.setTimeout(0);
      if (!isPeer()) this.rememberNotPeer(address);
      adopt();
    };
    void reload().then(release, release);
  }

  private rememberNotPeer(address: string): void {
    this.notPeerUntil.delete(address);
    this.notPeerUntil.set(address, Date.now() + NOT_PEER_QUIET_MILLISECONDS);
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (this.notPeerUntil.size > MAX_NOT_PEER_ADDRESSES) this.notPeerUntil.delete(this.notPeerUntil.keys().next().value!);
  }
}
