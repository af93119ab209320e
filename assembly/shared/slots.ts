// The batch ABI between host and data path. The host owns packet buffers in linear memory and
// describes up to MAX_BATCH of them in the slot table (slotTable()): one row of SlotField u32
// words per packet. encapBatch/decapBatch read Offset, Length, Headroom and Capacity and write
// Status, OutputOffset, OutputLength (and, encap, Peer and Address). The datagram variants work on
// UDP payloads, as a UDP socket sends and receives them, with the remote address in Address.
// Compiled by both AssemblyScript and the host; the addon (host/native/podnet.c) mirrors the layout.

/** Packets one encapBatch/decapBatch call handles at most. */
export const MAX_BATCH = 64;
/** Peers the data path can address (indices 0 … MAX_PEERS − 1). */
export const MAX_PEERS = 4096;

export enum SlotField {
  /** Address of the packet's first byte (encap: inner IPv4; decap: outer IPv4). */
  Offset = 0,
  Length = 1,
  /** Free bytes before Offset that encap may prepend outer headers into. */
  Headroom = 2,
  /** Bytes from Offset that may be written (≥ Length), e.g. for an ICMP error built in place. */
  Capacity = 3,
  /** Written by encap: the peer the route table chose (0xffffffff: none), whose public IP the packet goes to. */
  Peer = 4,
  /** Written: Status of this packet. */
  Status = 5,
  /** Written: where the packet to send starts. */
  OutputOffset = 6,
  /** Written: its length; 0 means drop. With an error Status and a length, it is an ICMP error for the sender. */
  OutputLength = 7,
  /**
   * The remote public IPv4 (host order). Datagram encap writes the peer's, to send the payload to;
   * datagram decap reads the sender's, which must be a configured peer's.
   */
  Address = 8,
  /**
   * Offload (TUN with a virtio-net header, UDP GSO/GRO): encap writes the stride of the equal-size
   * datagrams its output holds back to back, for one UDP_SEGMENT send (0: one datagram); the
   * receive side writes the UDP_GRO segment size of a coalesced read for decap (0: one datagram).
   */
  SegmentSize = 9,
}

export const SLOT_FIELDS = 10;
export const SLOT_BYTES = SLOT_FIELDS * 4;

/** Encapsulations the data path speaks. */
export enum EncapMode {
  /** Flannel UDP: outer IPv4 + UDP 8285 + bare inner IPv4 (28 bytes). */
  FlannelUdp = 1,
  /** VXLAN as Flannel's kernel VTEP: outer IPv4 + UDP 8472 + VXLAN + inner Ethernet (50 bytes). */
  Vxlan = 2,
  /** IPIP: outer IPv4 protocol 4 + inner IPv4 (20 bytes). */
  Ipip = 3,
}

/** Bytes each mode puts in front of the inner IPv4 packet. */
export const FLANNEL_UDP_OVERHEAD = 28;
export const VXLAN_OVERHEAD = 50;
export const IPIP_OVERHEAD = 20;
/** Room an ICMP error built in place needs from Offset: IPv4 20 + ICMP 8 + quoted header ≤ 60 + 8. */
export const ICMP_ERROR_CAPACITY = 96;
/** The virtio-net header a TUN device with IFF_VNET_HDR puts before (and takes before) each packet. */
export const VNET_HEADER_LEN = 10;
/** Outer IPv4 20 + UDP 8: what the datagram variants leave to the kernel's UDP socket. */
export const DATAGRAM_HEADERS = 28;

/** Directions the per-status packet counters (statusCounters()) are kept for. */
export enum CounterDirection {
  Encap = 0,
  Decap = 1,
}
/** Counters per direction: one per Status value, indexed by it. */
export const COUNTERS_PER_DIRECTION = 16;
