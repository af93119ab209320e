// Host side of the batch data path: packet buffers allocated once in linear memory, the slot
// table filled from them, one encapBatch/decapBatch call per batch, results read in place.

import { Status } from "../../assembly/shared/status";
import {
  COUNTERS_PER_DIRECTION, CounterDirection, EncapMode, MAX_BATCH, MAX_PEERS, SLOT_FIELDS, SlotField,
} from "../../assembly/shared/slots";
import { ipv4ToNumber, macToWords } from "../shared/addresses";
import { core } from "./module";
import { memoryBytes } from "./scratch";

/** This node, as the data path needs it. */
export interface LocalEndpoint {
  publicIp: string;
  /** Source of ICMP errors the data path builds (Flannel: the subnet's .0 address). */
  overlayIp: string;
  vtepMac: string;
  vni: number;
  /** Underlay path MTU. */
  mtu: number;
}

/** A remote node: where its encapsulated packets go. */
export interface PeerEndpoint {
  publicIp: string;
  vtepMac: string;
}

function batchResult(result: number, what: string): number {
  if (result < 0) throw new RangeError(`${what}: ${Status[-result]}`);
  return result;
}

/** Packets the data path has handled since the module loaded, per Status, in one direction. */
export function statusCounts(direction: CounterDirection): Map<Status, number> {
  const counters = new BigUint64Array(memoryBytes().buffer, core().statusCounters() + direction * COUNTERS_PER_DIRECTION * 8, COUNTERS_PER_DIRECTION);
  const counts = new Map<Status, number>();
  counters.forEach((count, status) => {
    if (count > 0n) counts.set(status as Status, Number(count));
  });
  return counts;
}

function check(status: Status, what: string): void {
  if (status !== Status.Ok) throw new RangeError(`${what}: ${Status[status]}`);
}

/** Configures this node's endpoint in the data path. */
export function configureLocal(local: LocalEndpoint): void {
  const [high, low] = macToWords(local.vtepMac);
  check(core().configureLocal(ipv4ToNumber(local.publicIp), ipv4ToNumber(local.overlayIp), high, low, local.vni, local.mtu), "configureLocal");
}

/** Sets peer `index` (0 … MAX_PEERS − 1), or removes it with `undefined`. */
export function configurePeer(index: number, peer: PeerEndpoint | undefined): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_PEERS) throw new RangeError(`peer index ${index} is outside 0…${MAX_PEERS - 1}`);
  const [high, low] = peer ? macToWords(peer.vtepMac) : [0, 0];
  check(core().configurePeer(index, peer ? ipv4ToNumber(peer.publicIp) : 0, high, low), "configurePeer");
}

/** Headroom before each packet: the largest encapsulation (VXLAN, 50 bytes) rounded up. */
export const SLOT_HEADROOM = 64;

/** MAX_BATCH packet buffers in linear memory and the slot table that describes them. */
export class PacketBatch {
  readonly base: number;
  private readonly table: number;

  /** Allocates the buffers once; `slotBytes` is each buffer's size after its `headroom`. */
  constructor(readonly slotBytes = 2048, readonly headroom = SLOT_HEADROOM) {
    const wasm = core();
    this.base = wasm.allocate(MAX_BATCH * (headroom + slotBytes));
    if (this.base === 0) throw new RangeError("podnet.wasm refused the batch buffers");
    this.table = wasm.slotTable();
  }

  private slotWords(index: number): Uint32Array {
    return new Uint32Array(memoryBytes().buffer, this.table + index * SLOT_FIELDS * 4, SLOT_FIELDS);
  }

  /** Address of slot `index`'s packet buffer (after its headroom). */
  packetAddress(index: number): number {
    return this.base + index * (this.headroom + this.slotBytes) + this.headroom;
  }

  /** Copies `packet` into slot `index` and describes it. */
  set(index: number, packet: Uint8Array): void {
    if (packet.length > this.slotBytes) throw new RangeError(`packet of ${packet.length} bytes exceeds the ${this.slotBytes}-byte slot`);
    const address = this.packetAddress(index);
    memoryBytes().set(packet, address);
    this.describe(index, packet.length);
  }

  /** Describes a packet already written at packetAddress(index). */
  describe(index: number, length: number): void {
    const words = this.slotWords(index);
    words[SlotField.Offset] = this.packetAddress(index);
    words[SlotField.Length] = length;
    words[SlotField.Headroom] = this.headroom;
    words[SlotField.Capacity] = this.slotBytes;
    words[SlotField.Peer] = 0;
  }

  /** Encapsulates slots 0 … n − 1; returns how many are ready to send. */
  encap(mode: EncapMode, n: number): number {
    return batchResult(core().encapBatch(mode, n), "encapBatch");
  }

  /** Decapsulates slots 0 … n − 1; returns how many inner packets are ready. */
  decap(mode: EncapMode, n: number): number {
    return batchResult(core().decapBatch(mode, n), "decapBatch");
  }

  /** encap for a UDP socket: outputs are UDP payloads, address(i) the peer to send each to. */
  encapDatagrams(mode: EncapMode, n: number): number {
    return batchResult(core().encapDatagramBatch(mode, n), "encapDatagramBatch");
  }

  /** decap of UDP payloads; address(i) must hold each sender, which must be a configured peer. */
  decapDatagrams(mode: EncapMode, n: number): number {
    return batchResult(core().decapDatagramBatch(mode, n), "decapDatagramBatch");
  }

  /** encapDatagrams for a TUN device with offload: each slot starts with a virtio-net header; see segmentSize(i). */
  encapOffload(mode: EncapMode, n: number): number {
    return batchResult(core().encapOffloadBatch(mode, n), "encapOffloadBatch");
  }

  /** decapDatagrams whose outputs start with a cleared virtio-net header. */
  decapOffload(mode: EncapMode, n: number): number {
    return batchResult(core().decapOffloadBatch(mode, n), "decapOffloadBatch");
  }

  /** After offload encap: the stride of the datagrams slot `index`'s output holds (0: one datagram). */
  segmentSize(index: number): number {
    return this.slotWords(index)[SlotField.SegmentSize];
  }

  /** Slot `index`'s Address: the peer's public IP after datagram encap, the sender before datagram decap. */
  address(index: number): number {
    return this.slotWords(index)[SlotField.Address];
  }

  setAddress(index: number, address: number): void {
    this.slotWords(index)[SlotField.Address] = address;
  }

  /** Status the last batch call gave slot `index`. */
  status(index: number): Status {
    return this.slotWords(index)[SlotField.Status] as Status;
  }

  /** The peer encap chose for slot `index` (route table lookup of its destination), or -1. */
  peer(index: number): number {
    return this.slotWords(index)[SlotField.Peer] | 0;
  }

  /** Copy of slot `index`'s output (the packet to send, or an ICMP error for the sender). */
  output(index: number): Uint8Array {
    const words = this.slotWords(index);
    return memoryBytes().slice(words[SlotField.OutputOffset], words[SlotField.OutputOffset] + words[SlotField.OutputLength]);
  }
}
