// TCP MD5 (RFC 2385) and GTSM (RFC 5082) on the speaker's sockets. Node's net cannot set either,
// so the addon does the setsockopt on the fd; everything else stays in Node. A dialing socket needs
// them before its SYN, so it is created by the addon, given its options, then wrapped by net.Socket.

import { Socket, type Server } from "node:net";
import type { Logger } from "pino";
import { addon } from "../native/addon";
import type { PeerConfig } from "./config";
import { connectSocket, plainDial, type Dialer } from "./dial";
import type { Transport } from "./speaker";

const GTSM_TTL = 255;
const GTSM_MINIMUM_TTL = 254;

function fdOf(handleOwner: Server | Socket): number {
  const fd = (handleOwner as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new Error("socket has no file descriptor");
  return fd;
}

const dialWithOptions: Dialer = async (peer: PeerConfig) => {
  const native = addon();
  const fd = native.tcpSocket(peer.address.includes(":"));
  try {
    if (peer.password !== undefined) native.tcpMd5Key(fd, peer.address, peer.password);
    if (peer.ttlSecurity) native.socketTtl(fd, GTSM_TTL, GTSM_MINIMUM_TTL);
  } catch (error) {
    native.closeFd(fd);
    throw error;
  }
  const socket = new Socket({ fd, readable: true, writable: true });
  const connected = connectSocket(socket, peer);
  socket.connect({ host: peer.address, port: peer.port, localAddress: peer.localAddress });
  return connected;
};

/** Sockets with each peer's MD5 key and GTSM, through the addon. */
export function socketTransport(log: Logger): Transport {
  return {
    dial: (peer) => (peer.password !== undefined || peer.ttlSecurity ? dialWithOptions(peer) : plainDial(peer)),
    listening(server: Server, peers: PeerConfig[]) {
      const keyed = peers.filter((peer) => peer.password !== undefined);
      if (keyed.length === 0) return;
      const fd = fdOf(server);
      for (const peer of keyed) {
        addon().tcpMd5Key(fd, peer.address, peer.password!);
        log.info({ peer: peer.address }, `TCP MD5 key set for connections from ${peer.address}`);
      }
    },
    accepted(socket: Socket, peer: PeerConfig) {
      if (peer.ttlSecurity) addon().socketTtl(fdOf(socket), GTSM_TTL, GTSM_MINIMUM_TTL);
    },
  };
}
