// Opening the TCP connection to a peer. The attempt is abandoned after the connect-retry time, as
// BIRD does: a SYN that gets no answer at all (a firewall, or a TCP MD5 key the peer does not share:
// Linux drops such segments silently) would otherwise wait out the kernel's two minutes of retries.

import { connect as tcpConnect, type Socket } from "node:net";
import type { PeerConfig } from "./config";

/** Opens the outgoing TCP connection to a peer. */
export type Dialer = (peer: PeerConfig) => Promise<Socket>;

/** Connects `socket` (made by the caller) to the peer, or rejects with a reason an operator can act on. */
export function connectSocket(socket: Socket, peer: PeerConfig): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      const hint = peer.password !== undefined ? " (a wrong or missing TCP MD5 password on either side looks like this)" : " (a firewall, or a TCP MD5 password the other side expects, looks like this)";
      // With GTSM the kernel drops the peer's SYN-ACK unless it left the peer with TTL 255.
      const gtsm = peer.ttlSecurity ? "; with ttl-security, so does a peer that does not send with TTL 255 (GTSM off on its side, or more than one hop away)" : "";
      reject(new Error(`no answer from ${peer.address}:${peer.port} within ${peer.connectRetry} s${hint}${gtsm}`));
    }, Math.max(peer.connectRetry, 3) * 1000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/** A plain TCP connection to the peer (no MD5, default TTL). */
export const plainDial: Dialer = (peer: PeerConfig) => {
  const socket = tcpConnect({ host: peer.address, port: peer.port, localAddress: peer.localAddress });
  return connectSocket(socket, peer);
};
