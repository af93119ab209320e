// The userspace data path: a TUN device on one side, a socket on the underlay on the other (UDP
// for VXLAN and Flannel UDP; a raw IP-protocol-4 socket for IPIP, whose packets carry the outer
// header the Wasm core wrote), the Wasm core in between. Each time an fd is readable the addon
// reads up to 64 packets straight into the batch's slots in linear memory, one Wasm call
// encapsulates (or decapsulates) the whole batch, and the addon writes the batch out: sendmmsg to the peers, ICMP errors and decapsulated
// packets back into the TUN device. JavaScript only passes numbers; it never loops over bytes.
//
// With offload (the default where the kernel allows it) the TUN device carries a virtio-net header
// and hands over TCP super-packets of up to 64 KB (TSO): one read, one Wasm call that cuts the
// segments, one UDP_SEGMENT send for what would otherwise be ~45 packets each way through here.

import { constants } from "node:os";
import { CounterDirection, EncapMode, MAX_BATCH, MAX_PEERS } from "../../assembly/shared/slots";
import { Status } from "../../assembly/shared/status";
import { addon, type WatchHandle } from "../native/addon";
import { ipv4ToNumber } from "../shared/addresses";
import { configureLocal, configurePeer, PacketBatch, statusCounts, type LocalEndpoint, type PeerEndpoint } from "../wasm/datapath";
import { core } from "../wasm/module";
import { RouteTable } from "../wasm/route-table";

/** Batches handled per wakeup before yielding to the rest of the event loop (the store watch, /metrics). */
const BATCHES_PER_WAKEUP = 8;
/**
 * A slot's bytes with offload: a 64 KB super-packet, its virtio-net header, and the headers each
 * segment gains when it is cut (VXLAN + Ethernet + IPv4 + TCP, ≤ 142 bytes, for down to ~300-byte MSS).
 */
const OFFLOAD_SLOT_BYTES = 96 * 1024;
/**
 * Headroom before each slot with offload: a UDP GRO read of up to 64 Flannel UDP datagrams becomes
 * records of 14 more bytes each (length + virtio-net header), written from before the first.
 */
const OFFLOAD_HEADROOM = 64 * 14 + 64;

/** What the relay has done beyond the Wasm core's own per-Status counters. */
interface RelayCounters {
  /** Datagrams encap made that the socket did not take (buffer full, unreachable). */
  sendFailures: number;
  /** Of those, the ones the kernel refused (no route to the node, too large…), not a full buffer. */
  sendRefusals: number;
  /** The errno of the last refusal (0: none yet). */
  lastSendErrno: number;
  /** Packets for the TUN device it did not take. */
  tunWriteFailures: number;
}

export class TunRelay {
  readonly counters: RelayCounters = { sendFailures: 0, sendRefusals: 0, lastSendErrno: 0, tunWriteFailures: 0 };
  /** [refused slots, last errno] of the last send, written by the addon. */
  private readonly sendResult = new Int32Array(2);
  private readonly routes = new RouteTable();
  /** Allocated at open, once its slot size is known (linear memory is never given back). */
  private batch!: PacketBatch;
  /** Whether the TUN device was opened with a virtio-net header and TSO (known after open). */
  offload = false;
  /** Peer nodes by underlay address: their slot in the core's peer table and the prefixes behind them. */
  private readonly nodes = new Map<string, { index: number; prefixes: Set<string> }>();
  private readonly prefixNode = new Map<string, string>();
  private readonly freeIndices: number[] = [];
  private nextIndex = 0;
  private tunFd = -1;
  private underlayFd = -1;
  private watches: WatchHandle[] = [];

  constructor(
    private readonly mode: EncapMode,
    private readonly port: number,
    private readonly wantOffload = true,
    /** Told when the kernel starts refusing datagrams with another errno than last time. */
    private readonly onSendRefused?: (errno: number) => void,
  ) {}

  /** IPIP: whole IPv4 packets through a raw socket, not payloads through a UDP one. */
  private get raw(): boolean {
    return this.mode === EncapMode.Ipip;
  }

  /**
   * Opens (creating, or taking over a persistent one) the TUN device and binds the underlay socket
   * on the public IP; starts relaying. With persist, the device and its routes outlive this process.
   */
  open(device: string, local: LocalEndpoint, options: { persist?: boolean } = {}): void {
    configureLocal(local);
    const native = addon();
    this.tunFd = -1;
    if (this.wantOffload) {
      try {
        this.tunFd = native.tunOpen(device, false, true).fd;
        this.offload = true;
      } catch {
        // A kernel without TUN offload: packet by packet, as before.
      }
    }
    if (this.tunFd < 0) this.tunFd = native.tunOpen(device, false).fd;
    if (options.persist) native.tunPersist(this.tunFd, true);
    this.batch ??= this.offload ? new PacketBatch(OFFLOAD_SLOT_BYTES, OFFLOAD_HEADROOM) : new PacketBatch();
    for (let i = 0; i < MAX_BATCH; i++) this.batch.describe(i, 0);
    try {
      this.underlayFd = this.raw ? native.rawIpipOpen(ipv4ToNumber(local.publicIp)) : native.udpOpen(ipv4ToNumber(local.publicIp), this.port, this.offload);
    } catch (error) {
      this.close();
      throw new Error(`cannot bind ${this.raw ? "a raw IPIP socket on" : "UDP"} ${local.publicIp}${this.raw ? "" : `:${this.port}`}: ${(error as Error).message}`);
    }
    this.watches = [
      native.watchReadable(this.tunFd, () => this.fromTun()),
      native.watchReadable(this.underlayFd, () => this.fromUnderlay()),
    ];
  }

  /**
   * Routes `prefix` to the node at `peer.publicIp` (added or changed). Peers are kept by node, not
   * by prefix: a node with several prefixes (Calico's blocks) takes one peer entry, which decap
   * also uses to accept that node's datagrams.
   */
  setRoute(prefix: string, peer: PeerEndpoint): void {
    const previous = this.prefixNode.get(prefix);
    if (previous !== undefined && previous !== peer.publicIp) this.removeRoute(prefix);
    let node = this.nodes.get(peer.publicIp);
    if (!node) {
      const index = this.freeIndices.pop() ?? this.nextIndex;
      if (index >= MAX_PEERS) throw new RangeError(`the userspace data path holds at most ${MAX_PEERS} peer nodes`);
      if (index === this.nextIndex) this.nextIndex++;
      node = { index, prefixes: new Set() };
      this.nodes.set(peer.publicIp, node);
    }
    configurePeer(node.index, peer);
    this.routes.add(prefix, node.index);
    node.prefixes.add(prefix);
    this.prefixNode.set(prefix, peer.publicIp);
  }

  /** Forgets `prefix`; its node's entry goes with its last prefix. */
  removeRoute(prefix: string): void {
    const nodeIp = this.prefixNode.get(prefix);
    if (nodeIp === undefined) return;
    this.routes.remove(prefix);
    this.prefixNode.delete(prefix);
    const node = this.nodes.get(nodeIp)!;
    node.prefixes.delete(prefix);
    if (node.prefixes.size > 0) return;
    configurePeer(node.index, undefined);
    this.nodes.delete(nodeIp);
    this.freeIndices.push(node.index);
  }

  /** The core's packet counts and the relay's own, as [direction, status, count] rows for /metrics. */
  counts(): Array<[direction: string, status: string, count: number]> {
    return [
      ...datapathCounts(),
      ["encap", "SendFailed", this.counters.sendFailures],
      ["encap", "SendRefused", this.counters.sendRefusals],
      ["decap", "TunWriteFailed", this.counters.tunWriteFailures],
    ];
  }

  /** How many peer nodes the relay holds (for tests and metrics). */
  get nodeCount(): number {
    return this.nodes.size;
  }

  /** Stops relaying and closes both fds (the TUN device goes with its last fd). */
  close(): void {
    const native = addon();
    for (const watch of this.watches) native.stopWatch(watch);
    this.watches = [];
    for (const fd of [this.tunFd, this.underlayFd]) if (fd >= 0) native.closeFd(fd);
    this.tunFd = this.underlayFd = -1;
  }

  /** Pod packets routed into the TUN device: encapsulate, send to the peers, answer errors. */
  private fromTun(): void {
    const native = addon();
    const table = core().slotTable();
    for (let round = 0; round < BATCHES_PER_WAKEUP; round++) {
      const n = native.readPackets(this.tunFd, core().memory.buffer, table, MAX_BATCH);
      if (n === 0) return;
      const ready = this.offload ? this.batch.encapOffload(this.mode, n) : this.raw ? this.batch.encap(this.mode, n) : this.batch.encapDatagrams(this.mode, n);
      const memory = core().memory.buffer;
      if (ready > 0) {
        const sent = this.raw
          ? native.sendPackets(this.underlayFd, memory, table, n, this.sendResult)
          : native.sendDatagrams(this.underlayFd, memory, table, n, this.port, this.sendResult);
        this.counters.sendFailures += ready - sent;
        if (this.sendResult[0] > 0) {
          this.counters.sendRefusals += this.sendResult[0];
          if (this.sendResult[1] !== this.counters.lastSendErrno) this.onSendRefused?.(this.sendResult[1]);
          this.counters.lastSendErrno = this.sendResult[1];
        }
      }
      // Slots that failed may carry an ICMP error for the sender; it goes back in through the TUN device.
      if (ready < n) native.writePackets(this.tunFd, memory, table, n, false);
      if (n < MAX_BATCH) return;
    }
  }

  /** Packets from other nodes: decapsulate (only from current peers) and deliver to the TUN device. */
  private fromUnderlay(): void {
    const native = addon();
    const table = core().slotTable();
    for (let round = 0; round < BATCHES_PER_WAKEUP; round++) {
      // recvmmsg serves the raw socket too: Length is then the whole outer packet.
      const n = native.receiveDatagrams(this.underlayFd, core().memory.buffer, table, MAX_BATCH);
      if (n === 0) return;
      const ready = this.offload ? this.batch.decapOffload(this.mode, n) : this.raw ? this.batch.decap(this.mode, n) : this.batch.decapDatagrams(this.mode, n);
      if (ready > 0) {
        const written = native.writePackets(this.tunFd, core().memory.buffer, table, n, true);
        // IPIP with offload joins a batch's packets into one slot's records (the core's userspace GRO): all went, or none counted as gone.
        const joined = this.raw && this.offload && ready > 1;
        this.counters.tunWriteFailures += joined ? (written === 1 ? 0 : ready) : ready - written;
      }
      if (n < MAX_BATCH) return;
    }
  }
}

/** ENETUNREACH for 101: the name an operator searches for. */
export function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, value]) => value === errno)?.[0] ?? `ERRNO${errno}`;
}

/** The Wasm core's packet counts as [direction, status, count] rows, for /metrics. */
function datapathCounts(): Array<[direction: string, status: string, count: number]> {
  const rows: Array<[string, string, number]> = [];
  for (const direction of [CounterDirection.Encap, CounterDirection.Decap]) {
    for (const [status, count] of statusCounts(direction)) rows.push([CounterDirection[direction].toLowerCase(), Status[status] ?? `status${status}`, count]);
  }
  return rows;
}
