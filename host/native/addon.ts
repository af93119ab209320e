// Loads podnet's N-API addon (host/native/podnet.c): from dist/, or, in the single executable,
// from the embedded copy written out once (assets.ts extractAsset), with process.dlopen.

import { MAX_BATCH, SLOT_FIELDS, SlotField } from "../../assembly/shared/slots";
import { extractAsset } from "../assets";

/** An fd watch from watchReadable. */
export type WatchHandle = { readonly __brand: "podnet.watchReadable" };

/**
 * The addon's functions, as defined in host/native/podnet.c. Batch calls take the Wasm memory's
 * current ArrayBuffer and the slot table's address, and work on slots 0 … n − 1.
 */
interface Addon {
  /** With offload: IFF_VNET_HDR and TUNSETOFFLOAD (checksum, TSO4); every packet carries a virtio-net header. */
  tunOpen(name: string, multiQueue: boolean, offload?: boolean): { fd: number; name: string };
  /** A non-blocking UDP socket bound to address (host-order IPv4 number):port; with gro, UDP_GRO on. */
  udpOpen(address: number, port: number, gro?: boolean): number;
  /** TUNSETPERSIST: the device (and its routes) outlives the fd — and this process. */
  tunPersist(fd: number, persist: boolean): void;
  closeFd(fd: number): void;
  /** An exclusive flock on fd without waiting: false when another open file holds it. */
  tryLock(fd: number): boolean;
  /** Reads up to n packets (a TUN device's) into the slots; returns how many. */
  readPackets(fd: number, memory: ArrayBuffer, table: number, n: number): number;
  /** Writes the outputs of the slots whose Status is Ok (statusOk: records where SegmentSize is set) or that carry an error reply; returns how many slots went whole. */
  writePackets(fd: number, memory: ArrayBuffer, table: number, n: number, statusOk: boolean): number;
  /** recvmmsg into the slots (Length, Address, SegmentSize from UDP_GRO); returns how many. */
  receiveDatagrams(fd: number, memory: ArrayBuffer, table: number, n: number): number;
  /**
   * sendmmsg of each Ok slot's output to its Address:port (UDP_SEGMENT sends where SegmentSize is
   * set); returns how many slots went whole. `failures` gets [slots refused for a reason other than
   * a full socket buffer, the last such errno].
   */
  sendDatagrams(fd: number, memory: ArrayBuffer, table: number, n: number, port: number, failures?: Int32Array): number;
  /** A non-blocking raw IP-protocol-4 socket bound to address (host-order IPv4 number), IP_HDRINCL on: IPIP's underlay side. */
  rawIpipOpen(address: number): number;
  /**
   * sendmmsg for a raw socket: each Ok slot's output is whole IPv4 packets (SegmentSize apart when
   * set), each its own message to the slot's Address; returns how many slots went whole. `failures` as sendDatagrams.
   */
  sendPackets(fd: number, memory: ArrayBuffer, table: number, n: number, failures?: Int32Array): number;
  /** Calls `callback` on Node's loop whenever fd is readable, until stopWatch. */
  watchReadable(fd: number, callback: (status: number) => void): WatchHandle;
  stopWatch(handle: WatchHandle): void;
  /** A non-blocking, unconnected TCP socket (for options that must be set before connect). */
  tcpSocket(ipv6: boolean): number;
  /** RFC 2385 TCP_MD5SIG key for the peer's address on fd (listening or not); "" removes it. */
  tcpMd5Key(fd: number, peer: string, key: string): void;
  /** IP_TTL, and IP_MINTTL when minTtl > 0 (RFC 5082). */
  socketTtl(fd: number, ttl: number, minTtl: number): void;
  /** SO_PEERCRED: who is at the other end of a connected unix socket (as of its connect). */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** A NETLINK_ROUTE socket in the network namespace at `namespacePath` (this process's own when absent), in the multicast `groups` (nl_groups bits). */
  netlinkOpen(namespacePath?: string, groups?: number): number;
  /** Sends bytes [offset, offset + length) of memory to the kernel as one datagram. */
  netlinkSend(fd: number, memory: ArrayBuffer, offset: number, length: number): number;
  /** One datagram into [offset, offset + capacity) of memory; 0 when none came within timeoutMs. */
  netlinkReceive(fd: number, memory: ArrayBuffer, offset: number, capacity: number, timeoutMs: number): number;
  /** The slot table layout the C code was compiled with. */
  slotLayout: Record<string, number>;
}

/** Refuses an addon built against another slot table layout than assembly/shared/slots.ts. */
function checkLayout(layout: Record<string, number>): void {
  const expected: Record<string, number> = { SLOT_FIELDS, MAX_BATCH };
  for (const name of ["Offset", "Length", "Capacity", "Status", "OutputOffset", "OutputLength", "Address", "SegmentSize"] as const) expected[name] = SlotField[name];
  for (const [name, value] of Object.entries(expected)) {
    if (layout[name] !== value) throw new Error(`podnet.node was built for another slot layout: ${name} is ${layout[name]}, slots.ts says ${value}`);
  }
}

let cached: Addon | undefined;

/** The process-wide addon, loaded on first use. */
export function addon(): Addon {
  if (cached) return cached;
  const module = { exports: {} as Addon };
  process.dlopen(module, extractAsset("podnet.node"));
  checkLayout(module.exports.slotLayout);
  cached = module.exports;
  return cached;
}
