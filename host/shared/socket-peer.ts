// Who is at the other end of a unix socket (SO_PEERCRED), for the agent's root-only sockets (CNI,
// BGP control): file modes can be loosened by a hostPath mount, the kernel's word cannot.

import type { Socket } from "node:net";
import { addon } from "../native/addon";

interface SocketPeer {
  pid: number;
  uid: number;
}

/** The peer's credentials, or undefined when they cannot be read. */
export function socketPeer(connection: Socket): SocketPeer | undefined {
  // Node keeps a unix socket's fd on its handle; SO_PEERCRED needs it.
  const fd = (connection as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  return fd >= 0 ? addon().peerCredentials(fd) : undefined;
}

/** Who may use the agent's sockets: root, and the agent's own user (an agent run unprivileged in a test). */
export function isAllowedPeer(peer: SocketPeer | undefined): boolean {
  return peer !== undefined && (peer.uid === 0 || peer.uid === process.getuid?.());
}

/** "uid 1000 (pid 42)", or what could not be read, for a refusal. */
export function describePeer(peer: SocketPeer | undefined): string {
  return peer ? `uid ${peer.uid} (pid ${peer.pid})` : "a caller whose credentials could not be read";
}
