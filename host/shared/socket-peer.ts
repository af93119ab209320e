// The agent's root-only unix sockets (CNI, BGP control): how they listen, and who is at the other
// end (SO_PEERCRED) — file modes can be loosened by a hostPath mount, the kernel's word cannot.

import { chmodSync, mkdirSync, rmSync } from "node:fs";
import type { Server, Socket } from "node:net";
import { dirname } from "node:path";
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

/**
 * Listens on the unix socket at `path` for root alone: its directory is made 0700 before the socket
 * exists (so it is never reachable with looser modes), a socket file left by a process that died is
 * replaced, and the socket is 0600. Callers check SO_PEERCRED besides (socketPeer).
 */
export async function listenRootOnly(server: Server, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
}
