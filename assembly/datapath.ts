// Batch encapsulation and decapsulation: the userspace data path's whole per-packet work in one
// call per batch. The host fills the slot table (shared/slots.ts) and calls encapBatch or
// decapBatch once; every slot gets a Status and an output range, nothing throws.
//
// Encap, per packet: check the inner IPv4 header and its checksum; pick the peer by longest-prefix
// match on the destination (route/lpm.ts: the table maps pod subnets to peer indices);
// act as a router would — TTL ≤ 1 → ICMP time exceeded, too big for the path with DF set →
// ICMP fragmentation needed (RFC 1191), no peer → ICMP net unreachable, each built in place for
// the sender — else decrement the TTL with an incremental checksum update (RFC 1624) and write
// the outer headers into the headroom. Outer UDP checksums are 0, as the kernel's VXLAN sends
// them and RFC 768 allows over IPv4; a host sending through a UDP socket lets the kernel add one.
//
// Decap, per packet: check the outer IPv4 header and checksum, the protocol and port of the
// mode, the VXLAN flags and VNI and the inner Ethernet type, then the inner IPv4 header and
// checksum; the output is the inner packet without link padding.
//
// The datagram variants are the same work for a host that sends and receives through a UDP
// socket: encap writes no outer IPv4/UDP header (the kernel does) and puts the peer's public IP in
// the slot's Address; decap starts at the UDP payload and first checks that Address, the sender,
// is a configured peer's public IP — the only check a socket leaves to us.
//
// IPIP goes through a raw IP-protocol-4 socket, which takes and gives whole IPv4 packets: its
// offload variants work on whole outer packets (encap writes the outer header as Linux's tunl0
// would: TTL and DF of the inner packet, ECN of its TOS; decap checks the outer source is a peer).

import { Status } from "./shared/status";
import {
  COUNTERS_PER_DIRECTION, CounterDirection, DATAGRAM_HEADERS, EncapMode, FLANNEL_UDP_OVERHEAD, ICMP_ERROR_CAPACITY, IPIP_OVERHEAD, MAX_BATCH, MAX_PEERS, SLOT_BYTES,
  SlotField, VNET_HEADER_LEN, VXLAN_OVERHEAD,
} from "./shared/slots";
import {
  clearVnetHeader, completeChecksum, GSO_ECN, GSO_NONE, GSO_TCPV4, RECORD_HEADER_LEN, recordsAdd, recordsBegin, recordsEnd, segmentCount, segmentHeaderLength, segmentTcpv4, VNET_CSUM_OFFSET,
  VNET_CSUM_START, VNET_F_NEEDS_CSUM, VNET_FLAGS, VNET_GSO_SIZE, VNET_GSO_TYPE,
} from "./offload";
import {
  ETHERTYPE_IPV4, FLANNEL_UDP_PORT, FLANNEL_VXLAN_PORT, IP_PROTOCOL_ICMP, IP_PROTOCOL_IPIP, IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
} from "./shared/fields";
import { checksum, update16 } from "./wire/checksum";
import { getField, load16, load32, setField, store16, store32 } from "./wire/bytes";
import { checkIpv4, IPV4_CHECKSUM, IPV4_DESTINATION, IPV4_HEADER_LEN, IPV4_PROTOCOL, IPV4_SOURCE, IPV4_TTL } from "./wire/ipv4";
import {
  ICMP_DESTINATION_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED, ICMP_NET_UNREACHABLE, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED,
  ICMPV4_HEADER_LEN,
} from "./wire/icmpv4";
import { UDP_CHECKSUM, UDP_DESTINATION_PORT, UDP_HEADER_LEN, UDP_LENGTH, UDP_SOURCE_PORT } from "./wire/udp";
import { VXLAN_FLAG_VNI, VXLAN_HEADER_LEN } from "./wire/vxlan";
import { ETHERNET_HEADER_LEN } from "./wire/ethernet";
import { routeLookup } from "./route/lpm";

/** The slot table the host fills; MAX_BATCH rows of SLOT_BYTES. */
export const SLOT_TABLE: usize = memory.data(MAX_BATCH * SLOT_BYTES, 16);

// Peer table: public IP, VTEP MAC high 16 bits, low 32 bits, configured flag.
// @ts-ignore: decorator
@inline const PEER_BYTES: usize = 16;
const PEER_TABLE: usize = memory.data(MAX_PEERS * <i32>PEER_BYTES, 16);

// Public IP → configured? An open-addressing set, twice the peers' size so probes stay short,
// rebuilt from PEER_TABLE whenever a peer changes (peers change rarely; packets arrive always).
// @ts-ignore: decorator
@inline const ADDRESS_SET_SIZE: u32 = MAX_PEERS * 2;
const ADDRESS_SET: usize = memory.data(<i32>ADDRESS_SET_SIZE * 4, 16);

/** Packets per direction and Status (shared/slots.ts CounterDirection), counted as batches run. */
export const STATUS_COUNTERS: usize = memory.data(2 * COUNTERS_PER_DIRECTION * 8, 16);

let localPublicIp: u32 = 0;
let localOverlayIp: u32 = 0;
let localMacHigh: u32 = 0;
let localMacLow: u32 = 0;
let localVni: u32 = 1;
let pathMtu: u32 = 1500;
let nextIdentification: u32 = 1;

// @ts-ignore: decorator
@inline const OUTER_TTL: u32 = 64;
// @ts-ignore: decorator
@inline const FLAG_DONT_FRAGMENT: u32 = 0x4000;
/** More-fragments and the fragment offset: either set makes a packet a fragment. */
@inline const IPV4_FRAGMENT_BITS: u32 = 0x3fff;
// @ts-ignore: decorator
@inline const MIN_MTU: u32 = 576;

/** Sets this node's addresses, VTEP MAC, VNI and the underlay path MTU. */
export function configureLocal(publicIp: u32, overlayIp: u32, macHigh: u32, macLow: u32, vni: u32, mtu: u32): Status {
  if (vni > 0xffffff || mtu < MIN_MTU || mtu > 0xffff) return Status.BadArgument;
  localPublicIp = publicIp;
  localOverlayIp = overlayIp;
  localMacHigh = macHigh & 0xffff;
  localMacLow = macLow;
  localVni = vni;
  pathMtu = mtu;
  return Status.Ok;
}

/** Sets peer `index`: its public (underlay) IP and VTEP MAC. A public IP of 0 removes it. */
export function configurePeer(index: u32, publicIp: u32, macHigh: u32, macLow: u32): Status {
  if (index >= <u32>MAX_PEERS) return Status.BadArgument;
  let peer = PEER_TABLE + <usize>index * PEER_BYTES;
  store<u32>(peer, publicIp);
  store<u32>(peer, macHigh & 0xffff, 4);
  store<u32>(peer, macLow, 8);
  store<u32>(peer, publicIp != 0 ? 1 : 0, 12);
  rebuildAddressSet();
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function addressSlot(address: u32): u32 {
  return (address * 0x9e3779b1) >>> (32 - 13); // 13 bits: ADDRESS_SET_SIZE = 8192
}

function rebuildAddressSet(): void {
  memory.fill(ADDRESS_SET, 0, <usize>ADDRESS_SET_SIZE * 4);
  for (let index: u32 = 0; index < <u32>MAX_PEERS; index++) {
    let address = load<u32>(PEER_TABLE + <usize>index * PEER_BYTES);
    if (address == 0) continue;
    let slot = addressSlot(address);
    for (;;) {
      let entry = load<u32>(ADDRESS_SET + <usize>slot * 4);
      if (entry == address) break;
      if (entry == 0) {
        store<u32>(ADDRESS_SET + <usize>slot * 4, address);
        break;
      }
      slot = (slot + 1) & (ADDRESS_SET_SIZE - 1);
    }
  }
}

/** True when `address` is some configured peer's public IP. */
function isPeerAddress(address: u32): bool {
  if (address == 0) return false;
  let slot = addressSlot(address);
  for (let probe: u32 = 0; probe < ADDRESS_SET_SIZE; probe++) {
    let entry = load<u32>(ADDRESS_SET + <usize>slot * 4);
    if (entry == address) return true;
    if (entry == 0) return false;
    slot = (slot + 1) & (ADDRESS_SET_SIZE - 1);
  }
  return false;
}

/** The peer a packet goes to, by longest-prefix match on its destination; -1 when none is configured. */
// @ts-ignore: decorator
@inline function peerFor(inner: usize): i32 {
  let index = routeLookup(load32(inner + IPV4_DESTINATION));
  if (index >= <u32>MAX_PEERS) return -1;
  if (load<u32>(PEER_TABLE + <usize>index * PEER_BYTES, 12) == 0) return -1;
  return <i32>index;
}

// @ts-ignore: decorator
@inline function overheadOf(mode: u32): u32 {
  return mode == EncapMode.Vxlan ? VXLAN_OVERHEAD : mode == EncapMode.FlannelUdp ? FLANNEL_UDP_OVERHEAD : IPIP_OVERHEAD;
}

/** Writes a 20-byte outer IPv4 header at `p` with its checksum. */
// @ts-ignore: decorator
@inline function writeOuterIpv4(p: usize, totalLength: u32, tos: u32, dontFragment: u32, protocol: u32, source: u32, destination: u32, ttl: u32 = OUTER_TTL): void {
  store<u8>(p, 0x45);
  store<u8>(p, <u8>tos, 1);
  store16(p + 2, totalLength);
  store16(p + 4, nextIdentification);
  nextIdentification = (nextIdentification + 1) & 0xffff;
  store16(p + 6, dontFragment);
  store<u8>(p + IPV4_TTL, <u8>ttl);
  store<u8>(p + IPV4_PROTOCOL, <u8>protocol);
  store16(p + IPV4_CHECKSUM, 0);
  store32(p + IPV4_SOURCE, source);
  store32(p + IPV4_DESTINATION, destination);
  store16(p + IPV4_CHECKSUM, checksum(p, IPV4_HEADER_LEN, 0));
}

/**
 * The outer IPv4 header of an IPIP packet at `outer`, as Linux's tunl0 (ttl inherit, tos 0) writes
 * it: RFC 2003 §3.1's DF copied from the inner header, the inner TTL (already one hop less), no
 * options, and only the ECN bits of the inner TOS (RFC 6040: CE is sent as ECT(0)).
 */
// @ts-ignore: decorator
@inline function writeIpipHeader(outer: usize, inner: usize, outerLength: u32, peerIp: u32): void {
  let ecn = <u32>load<u8>(inner + 1) & 3;
  writeOuterIpv4(outer, outerLength, ecn == 3 ? 2 : ecn, load16(inner + 6) & FLAG_DONT_FRAGMENT, IP_PROTOCOL_IPIP, localPublicIp, peerIp, <u32>load<u8>(inner + IPV4_TTL));
}

/** A UDP source port for VXLAN from a hash of the inner flow (RFC 7348 §5: 49152–65535). */
// @ts-ignore: decorator
@inline function flowSourcePort(inner: usize, headerLength: u32): u32 {
  let hash = load32(inner + IPV4_SOURCE) ^ load32(inner + IPV4_DESTINATION) ^ <u32>load<u8>(inner + IPV4_PROTOCOL);
  let protocol = <u32>load<u8>(inner + IPV4_PROTOCOL);
  let notFragment = (load16(inner + 6) & IPV4_FRAGMENT_BITS) == 0;
  if (notFragment && (protocol == IP_PROTOCOL_TCP || protocol == IP_PROTOCOL_UDP)) hash ^= load32(inner + headerLength);
  hash *= 0x9e3779b1;
  return 49152 | (hash >>> 18);
}

/** True when an ICMP error may be sent about this packet (RFC 1122 §3.2.2: not about ICMP errors or later fragments). */
function mayAnswerWithIcmp(inner: usize, headerLength: u32, length: u32): bool {
  if ((load16(inner + 6) & 0x1fff) != 0) return false;
  if (<u32>load<u8>(inner + IPV4_PROTOCOL) != IP_PROTOCOL_ICMP) return true;
  if (length < headerLength + 1) return false;
  let type = <u32>load<u8>(inner + headerLength);
  return type == 0 || type == 8 || type == 13 || type == 14; // echo, echo reply, timestamp: queries
}

/**
 * Replaces the packet in `slot` with an ICMP error about it, addressed to its sender, built in
 * place (RFC 792: the offending header plus its first 64 bits of data). Returns `why`.
 */
function answerWithIcmp(slot: usize, inner: usize, headerLength: u32, length: u32, type: u32, code: u32, rest: u32, why: Status): Status {
  setField(slot, SlotField.OutputLength, 0);
  if (!mayAnswerWithIcmp(inner, headerLength, length) || getField(slot, SlotField.Capacity) < <u32>ICMP_ERROR_CAPACITY) return why;
  let quoteLength = min(length, headerLength + 8);
  let sender = load32(inner + IPV4_SOURCE);
  let icmpLength = <u32>ICMPV4_HEADER_LEN + quoteLength;
  memory.copy(inner + IPV4_HEADER_LEN + ICMPV4_HEADER_LEN, inner, quoteLength);
  let icmp = inner + IPV4_HEADER_LEN;
  store<u8>(icmp, <u8>type);
  store<u8>(icmp, <u8>code, 1);
  store16(icmp + 2, 0);
  store32(icmp + 4, rest);
  store16(icmp + 2, checksum(icmp, icmpLength, 0));
  writeOuterIpv4(inner, <u32>IPV4_HEADER_LEN + icmpLength, 0xc0, 0, IP_PROTOCOL_ICMP, localOverlayIp, sender);
  setField(slot, SlotField.OutputOffset, <u32>inner);
  setField(slot, SlotField.OutputLength, <u32>IPV4_HEADER_LEN + icmpLength);
  return why;
}

/** checkIpv4, and the header checksum verified too: the header length, or -Status. */
function checkIpv4WithChecksum(p: usize, available: usize): i32 {
  let headerLength = checkIpv4(p, available);
  if (headerLength < 0) return headerLength;
  return checksum(p, <usize>headerLength, 0) == 0 ? headerLength : -Status.BadChecksum;
}

/** VXLAN header (our VNI) and the inner Ethernet header, peer's VTEP MAC ← ours, at `header`. */
function writeVxlanAndEthernet(header: usize, peerEntry: usize): void {
  store32(header, VXLAN_FLAG_VNI << 24);
  store32(header + 4, localVni << 8);
  let ethernet = header + VXLAN_HEADER_LEN;
  store16(ethernet, load<u32>(peerEntry, 4));
  store32(ethernet + 2, load<u32>(peerEntry, 8));
  store16(ethernet + 6, localMacHigh);
  store32(ethernet + 8, localMacLow);
  store16(ethernet + 12, ETHERTYPE_IPV4);
}

function encapOne(mode: u32, slot: usize, datagram: bool): Status {
  return encapPacket(mode, slot, <usize>getField(slot, SlotField.Offset), getField(slot, SlotField.Length), getField(slot, SlotField.Headroom), datagram);
}

/** Encap of the IPv4 packet at `inner` (`available` bytes, `headroom` free before it). */
function encapPacket(mode: u32, slot: usize, inner: usize, available: u32, headroom: u32, datagram: bool): Status {
  let headerLength = checkIpv4WithChecksum(inner, available);
  if (headerLength < 0) return <Status>-headerLength;
  let length = <u32>load16(inner + 2);
  let peer = peerFor(inner);
  setField(slot, SlotField.Peer, <u32>peer);
  if (peer < 0) {
    return answerWithIcmp(slot, inner, headerLength, length, ICMP_DESTINATION_UNREACHABLE, ICMP_NET_UNREACHABLE, 0, Status.NoRoute);
  }
  let ttl = <u32>load<u8>(inner + IPV4_TTL);
  if (ttl <= 1) {
    return answerWithIcmp(slot, inner, headerLength, length, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED, 0, Status.TtlExpired);
  }
  let overhead = overheadOf(mode);
  let dontFragment = load16(inner + 6) & FLAG_DONT_FRAGMENT;
  if (length + overhead > pathMtu && dontFragment != 0) {
    return answerWithIcmp(slot, inner, headerLength, length, ICMP_DESTINATION_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED,
      pathMtu - overhead, Status.TooBig);
  }
  if (headroom < overhead) return Status.BadArgument;

  // Router behaviour: one hop less, checksum patched for the changed TTL/protocol word.
  let ttlWord = load16(inner + IPV4_TTL);
  store<u8>(inner + IPV4_TTL, <u8>(ttl - 1));
  store16(inner + IPV4_CHECKSUM, update16(load16(inner + IPV4_CHECKSUM), ttlWord, ttlWord - 0x100));

  let peerEntry = PEER_TABLE + <usize>peer * PEER_BYTES;
  let peerIp = load<u32>(peerEntry);
  setField(slot, SlotField.Address, peerIp);
  let outer = inner - overhead;
  let tos = <u32>load<u8>(inner + 1);
  let outerLength = length + overhead;
  if (datagram) {
    // The socket writes outer IPv4 and UDP; only VXLAN has bytes of its own before the inner packet.
    let payload = outer + DATAGRAM_HEADERS;
    if (mode == EncapMode.Vxlan) writeVxlanAndEthernet(payload, peerEntry);
    setField(slot, SlotField.OutputOffset, <u32>payload);
    setField(slot, SlotField.OutputLength, outerLength - DATAGRAM_HEADERS);
    return Status.Ok;
  }
  if (mode == EncapMode.Ipip) {
    writeIpipHeader(outer, inner, outerLength, peerIp);
  } else {
    // As the kernel's VXLAN device and Flannel's UDP socket do: the outer UDP datagram may fragment.
    writeOuterIpv4(outer, outerLength, tos, 0, IP_PROTOCOL_UDP, localPublicIp, peerIp);
    let udp = outer + IPV4_HEADER_LEN;
    let vxlan = mode == EncapMode.Vxlan;
    store16(udp + UDP_SOURCE_PORT, vxlan ? flowSourcePort(inner, headerLength) : FLANNEL_UDP_PORT);
    store16(udp + UDP_DESTINATION_PORT, vxlan ? FLANNEL_VXLAN_PORT : FLANNEL_UDP_PORT);
    store16(udp + UDP_LENGTH, outerLength - <u32>IPV4_HEADER_LEN);
    store16(udp + UDP_CHECKSUM, 0);
    if (vxlan) writeVxlanAndEthernet(udp + UDP_HEADER_LEN, peerEntry);
  }
  setField(slot, SlotField.OutputOffset, <u32>outer);
  setField(slot, SlotField.OutputLength, outerLength);
  return Status.Ok;
}

function decapOne(mode: u32, slot: usize, datagram: bool): Status {
  let outer = <usize>getField(slot, SlotField.Offset);
  let available = getField(slot, SlotField.Length);
  if (datagram) {
    if (!isPeerAddress(getField(slot, SlotField.Address))) return Status.UnknownPeer;
    return decapPayload(mode, slot, outer, available);
  }
  let outerHeaderLength = checkIpv4WithChecksum(outer, available);
  if (outerHeaderLength < 0) return <Status>-outerHeaderLength;
  let outerLength = <u32>load16(outer + 2);
  let protocol = <u32>load<u8>(outer + IPV4_PROTOCOL);
  let inner = outer + <usize>outerHeaderLength;
  let innerAvailable = outerLength - <u32>outerHeaderLength;
  if ((load16(outer + 6) & IPV4_FRAGMENT_BITS) != 0) return Status.Fragment;
  if (mode == EncapMode.Ipip) {
    if (protocol != IP_PROTOCOL_IPIP) return Status.Unsupported;
    // A raw IPIP socket takes protocol-4 packets from anyone: only current peers' get through.
    if (!isPeerAddress(load32(outer + IPV4_SOURCE))) return Status.UnknownPeer;
  } else {
    if (protocol != IP_PROTOCOL_UDP) return Status.Unsupported;
    if (innerAvailable < <u32>UDP_HEADER_LEN) return Status.Truncated;
    let udp = inner;
    let udpLength = load16(udp + UDP_LENGTH);
    if (udpLength < <u32>UDP_HEADER_LEN) return Status.BadHeaderLength;
    if (udpLength > innerAvailable) return Status.Truncated;
    let vxlan = mode == EncapMode.Vxlan;
    if (load16(udp + UDP_DESTINATION_PORT) != (vxlan ? FLANNEL_VXLAN_PORT : FLANNEL_UDP_PORT)) return Status.Unsupported;
    return decapPayload(mode, slot, udp + UDP_HEADER_LEN, udpLength - <u32>UDP_HEADER_LEN);
  }
  return decapInner(slot, inner, innerAvailable);
}

/** Decap from the UDP payload on: VXLAN header and inner Ethernet (VXLAN mode), then the inner IPv4. */
function decapPayload(mode: u32, slot: usize, payload: usize, available: u32): Status {
  let inner = payload;
  let innerAvailable = available;
  if (mode == EncapMode.Vxlan) {
    if (innerAvailable < <u32>(VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN)) return Status.Truncated;
    if (((load32(inner) >>> 24) & VXLAN_FLAG_VNI) == 0 || (load32(inner + 4) >>> 8) != localVni) return Status.Malformed;
    if (load16(inner + VXLAN_HEADER_LEN + 12) != ETHERTYPE_IPV4) return Status.Unsupported;
    inner += VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN;
    innerAvailable -= <u32>(VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN);
  }
  return decapInner(slot, inner, innerAvailable);
}

function decapInner(slot: usize, inner: usize, innerAvailable: u32): Status {
  let innerHeaderLength = checkIpv4WithChecksum(inner, innerAvailable);
  if (innerHeaderLength < 0) return <Status>-innerHeaderLength;
  setField(slot, SlotField.OutputOffset, <u32>inner);
  setField(slot, SlotField.OutputLength, load16(inner + 2));
  return Status.Ok;
}

/** An ICMP error built in place goes back into the TUN device, which wants a (cleared) virtio-net header in front. */
function withTunHeader(slot: usize, status: Status): Status {
  if (status != Status.Ok && getField(slot, SlotField.OutputLength) != 0) {
    let output = <usize>getField(slot, SlotField.OutputOffset) - VNET_HEADER_LEN;
    clearVnetHeader(output);
    setField(slot, SlotField.OutputOffset, <u32>output);
    setField(slot, SlotField.OutputLength, getField(slot, SlotField.OutputLength) + <u32>VNET_HEADER_LEN);
  }
  return status;
}

/**
 * Offload encap (datagram): the slot holds a virtio-net header and then the packet, as a TUN
 * device with IFF_VNET_HDR gives it. A partial checksum is completed first; a TCPv4 super-packet
 * is cut into MSS-sized segments (offload.ts), each becoming one datagram of the output, whose
 * stride goes into SegmentSize for one UDP_SEGMENT send. An ICMP error for the sender gets a
 * cleared header in front, as the TUN device wants it back.
 */
function encapOffloadOne(mode: u32, slot: usize): Status {
  let start = <usize>getField(slot, SlotField.Offset);
  let length = getField(slot, SlotField.Length);
  if (length < <u32>VNET_HEADER_LEN) return Status.Truncated;
  let inner = start + VNET_HEADER_LEN;
  let available = length - <u32>VNET_HEADER_LEN;
  let headroom = getField(slot, SlotField.Headroom) + <u32>VNET_HEADER_LEN;
  let gsoType = <u32>load<u8>(start + VNET_GSO_TYPE) & ~GSO_ECN;
  let headerLength = checkIpv4(inner, available);
  if (headerLength < 0) return <Status>-headerLength;
  let total = <u32>load16(inner + 2);
  if ((<u32>load<u8>(start + VNET_FLAGS) & VNET_F_NEEDS_CSUM) != 0 && gsoType == GSO_NONE) {
    let completed = completeChecksum(inner, total, <u32>load<u16>(start + VNET_CSUM_START), <u32>load<u16>(start + VNET_CSUM_OFFSET));
    if (completed != Status.Ok) return completed;
  }
  if (gsoType == GSO_NONE) return withTunHeader(slot, encapPacket(mode, slot, inner, available, headroom, mode != EncapMode.Ipip));
  if (gsoType != GSO_TCPV4) return Status.Unsupported;
  // A router's duties come first, as for single packets, answered about the super-packet (its
  // header and first 8 bytes quoted): no peer, TTL spent, or segments too big for the path — the
  // last is how a pod with too large an MTU learns the path's (RFC 1191) instead of a black hole.
  let mss = <u32>load<u16>(start + VNET_GSO_SIZE);
  if (total < <u32>headerLength + 20) return Status.Truncated;
  let segmentLength = <u32>headerLength + ((<u32>load<u8>(inner + <usize>headerLength + 12) >> 4) << 2) + mss;
  let peer = peerFor(inner);
  setField(slot, SlotField.Peer, <u32>peer);
  let ttl = <u32>load<u8>(inner + IPV4_TTL);
  let overhead = overheadOf(mode);
  let refused = Status.Ok;
  if (peer < 0) {
    refused = answerWithIcmp(slot, inner, headerLength, total, ICMP_DESTINATION_UNREACHABLE, ICMP_NET_UNREACHABLE, 0, Status.NoRoute);
  } else if (ttl <= 1) {
    refused = answerWithIcmp(slot, inner, headerLength, total, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED, 0, Status.TtlExpired);
  } else if (segmentLength + overhead > pathMtu) {
    // Without DF the kernel would not take such segments for UDP_SEGMENT either: dropped, counted.
    refused = (load16(inner + 6) & FLAG_DONT_FRAGMENT) == 0 ? Status.TooBig
      : answerWithIcmp(slot, inner, headerLength, total, ICMP_DESTINATION_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED, pathMtu - overhead, Status.TooBig);
  }
  if (refused != Status.Ok) return withTunHeader(slot, refused);
  store<u8>(inner + IPV4_TTL, <u8>(ttl - 1)); // every segment's header checksum is computed anew
  // Each segment's own bytes in front: VXLAN + Ethernet, or IPIP's whole outer header.
  let prefix: u32 = mode == EncapMode.Vxlan ? <u32>(VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN) : mode == EncapMode.Ipip ? <u32>IPV4_HEADER_LEN : 0;
  let out = inner - prefix;
  let status = segmentTcpv4(inner, total, mss, prefix, out, start + getField(slot, SlotField.Capacity));
  if (status != Status.Ok) return status;
  let peerEntry = PEER_TABLE + <usize>peer * PEER_BYTES;
  let stride = prefix + segmentHeaderLength + mss;
  if (mode == EncapMode.Vxlan) {
    for (let i: u32 = 0; i < segmentCount; i++) writeVxlanAndEthernet(out + <usize>(i * stride), peerEntry);
  } else if (mode == EncapMode.Ipip) {
    for (let i: u32 = 0; i < segmentCount; i++) {
      let segment = out + <usize>(i * stride);
      writeIpipHeader(segment, segment + IPV4_HEADER_LEN, load16(segment + IPV4_HEADER_LEN + 2) + <u32>IPV4_HEADER_LEN, load<u32>(peerEntry));
    }
  }
  let last = out + <usize>((segmentCount - 1) * stride + prefix);
  setField(slot, SlotField.Address, load<u32>(peerEntry));
  setField(slot, SlotField.OutputOffset, <u32>out);
  setField(slot, SlotField.OutputLength, (segmentCount - 1) * stride + prefix + load16(last + 2));
  setField(slot, SlotField.SegmentSize, segmentCount > 1 ? stride : 0);
  return Status.Ok;
}

/**
 * Offload decap (datagram): as decapOne, with a cleared virtio-net header in front of the inner
 * packet for the TUN device. A read that UDP GRO coalesced (SegmentSize: the datagrams' stride)
 * becomes records, one TCP stream's consecutive segments joined (offload.ts); the output's
 * SegmentSize is then 1, telling the writer to walk records.
 */
function decapOffloadOne(mode: u32, slot: usize): Status {
  if (getField(slot, SlotField.Headroom) < <u32>VNET_HEADER_LEN) return Status.BadArgument;
  let stride = getField(slot, SlotField.SegmentSize);
  setField(slot, SlotField.SegmentSize, 0);
  let length = getField(slot, SlotField.Length);
  // A raw socket (IPIP) coalesces nothing: one packet per read.
  if (stride != 0 && stride < length && mode != EncapMode.Ipip) {
    if (!isPeerAddress(getField(slot, SlotField.Address))) return Status.UnknownPeer;
    let start = <usize>getField(slot, SlotField.Offset);
    // Each record is 14 bytes of length and header; a VXLAN datagram sheds 22 (VXLAN + Ethernet),
    // a Flannel UDP one none, so its records start that much before the first datagram.
    let shed: u32 = mode == EncapMode.Vxlan ? <u32>(VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN) : 0;
    let count = (length + stride - 1) / stride;
    let growth: u32 = shed >= <u32>RECORD_HEADER_LEN ? 0 : (<u32>RECORD_HEADER_LEN - shed) * count;
    if (getField(slot, SlotField.Headroom) < growth) return Status.BadArgument;
    let recordsStart = start - growth;
    recordsBegin(recordsStart);
    let delivered = 0;
    let failure = Status.Ok;
    for (let at: u32 = 0; at < length; at += stride) {
      let status = decapPayload(mode, slot, start + at, min(stride, length - at));
      if (status != Status.Ok) {
        failure = status;
        continue;
      }
      recordsAdd(<usize>getField(slot, SlotField.OutputOffset), getField(slot, SlotField.OutputLength));
      delivered++;
    }
    if (delivered == 0) {
      setField(slot, SlotField.OutputLength, 0);
      return failure;
    }
    setField(slot, SlotField.OutputOffset, <u32>recordsStart);
    setField(slot, SlotField.OutputLength, <u32>(recordsEnd() - recordsStart));
    setField(slot, SlotField.SegmentSize, 1);
    return Status.Ok;
  }
  let status = decapOne(mode, slot, mode != EncapMode.Ipip);
  if (status != Status.Ok) return status;
  let output = <usize>getField(slot, SlotField.OutputOffset) - VNET_HEADER_LEN;
  clearVnetHeader(output);
  setField(slot, SlotField.OutputOffset, <u32>output);
  setField(slot, SlotField.OutputLength, getField(slot, SlotField.OutputLength) + <u32>VNET_HEADER_LEN);
  return Status.Ok;
}

/**
 * IPIP offload decap, after each slot's own: a raw socket hands over one packet per read, so the
 * inner packets of slots 0 … n − 1 are joined, in order, into records in the first one's output —
 * consecutive segments of one TCP stream merged into a super-packet (offload.ts), as GRO would —
 * for one write to the TUN device; the other slots' outputs become empty. Only done when the
 * slots' buffers follow one another in memory (the host's PacketBatch layout), since records are
 * written front to back over them; otherwise each slot keeps its own output.
 */
function coalesceDecapped(n: u32): void {
  let first: usize = 0;
  let previous: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let slot = SLOT_TABLE + <usize>i * SLOT_BYTES;
    let offset = getField(slot, SlotField.Offset);
    if (offset < previous) return;
    previous = offset;
    if (first == 0 && getField(slot, SlotField.Status) == Status.Ok && getField(slot, SlotField.OutputLength) != 0) first = slot;
  }
  if (first == 0) return;
  // Each output is a cleared virtio-net header and the inner packet; a record puts a u32 length first.
  let start = <usize>getField(first, SlotField.OutputOffset) - 4;
  recordsBegin(start);
  for (let i: u32 = 0; i < n; i++) {
    let slot = SLOT_TABLE + <usize>i * SLOT_BYTES;
    let length = getField(slot, SlotField.OutputLength);
    if (getField(slot, SlotField.Status) != Status.Ok || length == 0) continue;
    recordsAdd(<usize>getField(slot, SlotField.OutputOffset) + VNET_HEADER_LEN, length - <u32>VNET_HEADER_LEN);
    setField(slot, SlotField.OutputLength, 0);
  }
  setField(first, SlotField.OutputOffset, <u32>start);
  setField(first, SlotField.OutputLength, <u32>(recordsEnd() - start));
  setField(first, SlotField.SegmentSize, 1);
}

/** True when the slot's described ranges lie inside linear memory. */
function slotInMemory(slot: usize, encap: bool): bool {
  let offset = <u64>getField(slot, SlotField.Offset);
  let length = <u64>getField(slot, SlotField.Length);
  let capacity = <u64>getField(slot, SlotField.Capacity);
  let headroom = encap ? <u64>getField(slot, SlotField.Headroom) : 0;
  let end = <u64>memory.size() << 16;
  return length <= capacity && offset >= headroom && offset + capacity <= end;
}

/**
 * Runs encap (encap = true) or decap over slots 0 … n − 1, on whole packets or (datagram) UDP
 * payloads, the TUN side with virtio-net headers (offload, datagram only); returns how many ended Ok.
 */
export function runBatch(mode: u32, n: u32, encap: bool, datagram: bool, offload: bool = false): i32 {
  if (mode < <u32>EncapMode.FlannelUdp || mode > <u32>EncapMode.Ipip || n > <u32>MAX_BATCH) return -Status.BadArgument;
  if (datagram && !offload && mode == EncapMode.Ipip) return -Status.BadArgument; // IPIP is not carried over UDP
  if (offload && !datagram) return -Status.BadArgument;
  let ok = 0;
  for (let i: u32 = 0; i < n; i++) {
    let slot = SLOT_TABLE + <usize>i * SLOT_BYTES;
    setField(slot, SlotField.OutputOffset, 0);
    setField(slot, SlotField.OutputLength, 0);
    if (encap) setField(slot, SlotField.SegmentSize, 0);
    let status = Status.BadArgument;
    if (slotInMemory(slot, encap)) {
      if (offload) status = encap ? encapOffloadOne(mode, slot) : decapOffloadOne(mode, slot);
      else status = encap ? encapOne(mode, slot, datagram) : decapOne(mode, slot, datagram);
    }
    setField(slot, SlotField.Status, status);
    let counter = STATUS_COUNTERS + ((encap ? CounterDirection.Encap : CounterDirection.Decap) * COUNTERS_PER_DIRECTION + min(<u32>status, COUNTERS_PER_DIRECTION - 1)) * 8;
    store<u64>(counter, load<u64>(counter) + 1);
    if (status == Status.Ok) ok++;
  }
  if (offload && !encap && mode == EncapMode.Ipip && ok > 1) coalesceDecapped(n);
  return ok;
}
