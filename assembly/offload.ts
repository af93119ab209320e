// Offload, the userspace side of what a NIC does: a TUN device opened with IFF_VNET_HDR and
// TUNSETOFFLOAD hands over TCP "super-packets" of up to 64 KB with a virtio-net header
// (include/uapi/linux/virtio_net.h) saying how to cut them, and packets whose TCP/UDP checksum is
// only partial (the pseudo-header sum, to be completed over the rest). This file completes such
// checksums and cuts a TCPv4 super-packet into MSS-sized segments, each with its own IPv4 and TCP
// header, laid out at a fixed stride so that one UDP_SEGMENT send puts each on the wire as its
// own datagram — as Linux's tcp_gso_segment would have.
//
//   virtio_net_hdr (10 bytes, little-endian on this path):
//   +--------+----------+----------------+----------------+----------------+-----------------+
//   | flags  | gso_type |    hdr_len     |    gso_size    |   csum_start   |   csum_offset   |
//   +--------+----------+----------------+----------------+----------------+-----------------+

import { Status } from "./shared/status";
import { IP_PROTOCOL_TCP } from "./shared/fields";
import { checksum, pseudoHeader } from "./wire/checksum";
import { load16, load32, store16, store32 } from "./wire/bytes";
import { checkIpv4, IPV4_CHECKSUM, IPV4_DESTINATION, IPV4_PROTOCOL, IPV4_SOURCE } from "./wire/ipv4";

// @ts-ignore: decorator
@inline export const VNET_FLAGS: usize = 0;
// @ts-ignore: decorator
@inline export const VNET_GSO_TYPE: usize = 1;
// @ts-ignore: decorator
@inline export const VNET_GSO_SIZE: usize = 4;
// @ts-ignore: decorator
@inline export const VNET_CSUM_START: usize = 6;
// @ts-ignore: decorator
@inline export const VNET_CSUM_OFFSET: usize = 8;
// @ts-ignore: decorator
@inline export const VNET_F_NEEDS_CSUM: u32 = 1;
// @ts-ignore: decorator
@inline export const GSO_NONE: u32 = 0;
// @ts-ignore: decorator
@inline export const GSO_TCPV4: u32 = 1;
// @ts-ignore: decorator
@inline export const GSO_ECN: u32 = 0x80;

// @ts-ignore: decorator
@inline const TCP_SEQUENCE: usize = 4;
// @ts-ignore: decorator
@inline const TCP_DATA_OFFSET: usize = 12;
// @ts-ignore: decorator
@inline const TCP_FLAGS: usize = 13;
// @ts-ignore: decorator
@inline const TCP_CHECKSUM: usize = 16;
// @ts-ignore: decorator
@inline const TCP_FIN: u32 = 0x01;
// @ts-ignore: decorator
@inline const TCP_PSH: u32 = 0x08;
// @ts-ignore: decorator
@inline const TCP_CWR: u32 = 0x80;
// @ts-ignore: decorator
@inline const TCP_ACK: u32 = 0x10;

/** The IPv4 + TCP headers of the super-packet being cut (at most 60 + 60 bytes). */
const TEMPLATE: usize = memory.data(128, 16);

/** Result of the last segmentTcpv4: how many segments, and the headers' length in each. */
export let segmentCount: u32 = 0;
export let segmentHeaderLength: u32 = 0;

/** Zeroes a virtio-net header: "no offload", as a packet written back to the TUN device needs. */
// @ts-ignore: decorator
@inline export function clearVnetHeader(p: usize): void {
  store<u64>(p, 0);
  store<u16>(p, 0, 8);
}

/**
 * Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the 16 bits at start + offset hold
 * the pseudo-header sum; the checksum covers everything from start to the packet's end.
 */
export function completeChecksum(packet: usize, length: u32, start: u32, offset: u32): Status {
  if (start + offset + 2 > length) return Status.Malformed;
  store16(packet + start + offset, checksum(packet + start, length - start, 0));
  return Status.Ok;
}

/**
 * Cuts the TCPv4 super-packet at `inner` (IPv4 total length `total`) into segments of `mss`
 * payload bytes. Segment i goes to out + i × stride, where stride = prefix + headers + mss: `prefix`
 * bytes are left for the caller's per-segment header (VXLAN + Ethernet), then a copy of the IPv4 and
 * TCP headers with total length, identification (+ i), sequence number (+ i × mss), flags (FIN and
 * PSH on the last only, CWR on the first only) and both checksums made right, then the payload.
 * Works in place, from the last segment back, so out may lie before inner (headroom) as long as
 * out + stride × count fits before `limit`. The caller has checked the IPv4 header; the TTL is
 * taken as the caller left it.
 */
export function segmentTcpv4(inner: usize, total: u32, mss: u32, prefix: u32, out: usize, limit: usize): Status {
  let ipHeaderLength = <u32>checkIpv4(inner, total);
  if (<i32>ipHeaderLength < 0) return <Status>(-<i32>ipHeaderLength);
  if (<u32>load<u8>(inner + IPV4_PROTOCOL) != IP_PROTOCOL_TCP) return Status.Unsupported;
  if (total < ipHeaderLength + 20) return Status.Truncated;
  let tcpHeaderLength = (<u32>load<u8>(inner + ipHeaderLength + TCP_DATA_OFFSET) >> 4) << 2;
  let headers = ipHeaderLength + tcpHeaderLength;
  if (tcpHeaderLength < 20 || headers > total) return Status.BadHeaderLength;
  if (mss == 0) return Status.Malformed;
  let payload = total - headers;
  let count = payload == 0 ? 1 : (payload + mss - 1) / mss;
  let stride = prefix + headers + mss;
  let lastLength = payload - (count - 1) * mss;
  if (<u64>out + <u64>(count - 1) * stride + prefix + headers + lastLength > <u64>limit) return Status.TooBig;
  memory.copy(TEMPLATE, inner, headers);
  let identification = load16(TEMPLATE + 4);
  let sequence = load32(TEMPLATE + ipHeaderLength + TCP_SEQUENCE);
  let flags = <u32>load<u8>(TEMPLATE + ipHeaderLength + TCP_FLAGS);
  let source = load32(TEMPLATE + IPV4_SOURCE);
  let destination = load32(TEMPLATE + IPV4_DESTINATION);
  let i = count;
  while (i > 0) {
    i--;
    let length = i == count - 1 ? lastLength : mss;
    let segment = out + <usize>(i * stride + prefix);
    // Payload first: it moves up (never down), and every chunk before it is still where it was.
    memory.copy(segment + headers, inner + headers + <usize>(i * mss), length);
    memory.copy(segment, TEMPLATE, headers);
    store16(segment + 2, headers + length);
    store16(segment + 4, (identification + i) & 0xffff);
    store16(segment + IPV4_CHECKSUM, 0);
    store16(segment + IPV4_CHECKSUM, checksum(segment, ipHeaderLength, 0));
    let tcp = segment + ipHeaderLength;
    store32(tcp + TCP_SEQUENCE, sequence + i * mss);
    let segmentFlags = flags;
    if (i != count - 1) segmentFlags &= ~(TCP_FIN | TCP_PSH);
    if (i != 0) segmentFlags &= ~TCP_CWR;
    store<u8>(tcp + TCP_FLAGS, <u8>segmentFlags);
    store16(tcp + TCP_CHECKSUM, 0);
    let tcpLength = tcpHeaderLength + length;
    store16(tcp + TCP_CHECKSUM, checksum(tcp, tcpLength, pseudoHeader(source, destination, IP_PROTOCOL_TCP, tcpLength)));
  }
  segmentCount = count;
  segmentHeaderLength = headers;
  return Status.Ok;
}

// Receive side: a UDP socket with UDP_GRO hands over several datagrams of one flow in one read.
// Their inner packets go back into the TUN device as records — a u32 length (little-endian), then
// a virtio-net header and the packet — and consecutive segments of one TCP stream are joined into
// one super-packet with a GSO header (as Linux's tcp_gro_receive would), so the kernel behind the
// TUN device takes ~45 segments in one write.

/** Bytes before each packet of a record: its u32 length, then the virtio-net header. */
// @ts-ignore: decorator
@inline export const RECORD_HEADER_LEN: usize = 4 + 10;

let cursor: usize = 0;
/** The record of the TCP run being joined (0: none), and what the next segment must match. */
let runRecord: usize = 0;
let runHeaders: u32 = 0;
let runMss: u32 = 0;
let runPayload: u32 = 0;
let runSegments: u32 = 0;
let runNextSequence: u32 = 0;
let runPush: u32 = 0;

/** Starts writing records at `at`. */
export function recordsBegin(at: usize): void {
  cursor = at;
  runRecord = 0;
}

/** The TCP payload length of `packet` if it is a segment that may join a run (plain ACK ± PSH, data, intact), else 0. */
function joinablePayload(packet: usize, length: u32): u32 {
  if (load<u8>(packet) != 0x45 || <u32>load<u8>(packet + IPV4_PROTOCOL) != IP_PROTOCOL_TCP || (load16(packet + 6) & 0x3fff) != 0) return 0;
  if (length < 40) return 0;
  let tcp = packet + 20;
  let tcpHeaderLength = (<u32>load<u8>(tcp + TCP_DATA_OFFSET) >> 4) << 2;
  if (tcpHeaderLength < 20 || tcpHeaderLength + 20 >= length) return 0;
  let flags = <u32>load<u8>(tcp + TCP_FLAGS);
  if ((flags & ~(TCP_ACK | TCP_PSH)) != 0 || (flags & TCP_ACK) == 0) return 0;
  let tcpLength = length - 20;
  // Joined segments reach the pod with a checksum left for no one to verify: verify each here.
  if (checksum(tcp, tcpLength, pseudoHeader(load32(packet + IPV4_SOURCE), load32(packet + IPV4_DESTINATION), IP_PROTOCOL_TCP, tcpLength)) != 0) return 0;
  return tcpLength - tcpHeaderLength;
}

/** True when `packet` continues the open run: same flow and headers, next sequence number, room left. */
function continuesRun(packet: usize, payload: u32): bool {
  let first = runRecord + RECORD_HEADER_LEN;
  if (payload > runMss || runHeaders + runPayload + payload + 10 > 65535) return false;
  if (<u32>load<u8>(packet + 20 + TCP_DATA_OFFSET) != <u32>load<u8>(first + 20 + TCP_DATA_OFFSET)) return false;
  if (load32(packet + 20 + TCP_SEQUENCE) != runNextSequence) return false;
  // TOS, DF, TTL, protocol, addresses; ports; acknowledgement; window; options: all equal.
  if (load<u8>(packet + 1) != load<u8>(first + 1) || load<u16>(packet + 6) != load<u16>(first + 6) || load<u16>(packet + 8) != load<u16>(first + 8)) return false;
  if (load<u64>(packet + 12) != load<u64>(first + 12) || load<u32>(packet + 20) != load<u32>(first + 20)) return false;
  if (load<u32>(packet + 20 + 8) != load<u32>(first + 20 + 8) || load<u16>(packet + 20 + 14) != load<u16>(first + 20 + 14)) return false;
  return memory.compare(packet + 40, first + 40, runHeaders - 40) == 0;
}

/** Ends the open run: a joined one gets its lengths, checksums and a TCPv4 GSO header. */
function closeRun(): void {
  if (runRecord == 0) return;
  if (runSegments > 1) {
    let packet = runRecord + RECORD_HEADER_LEN;
    let total = runHeaders + runPayload;
    store16(packet + 2, total);
    store16(packet + IPV4_CHECKSUM, 0);
    store16(packet + IPV4_CHECKSUM, checksum(packet, 20, 0));
    let tcp = packet + 20;
    store<u8>(tcp + TCP_FLAGS, load<u8>(tcp + TCP_FLAGS) | <u8>runPush);
    // A partial checksum: the pseudo-header sum, completed by whoever cuts the packet again.
    store16(tcp + TCP_CHECKSUM, pseudoHeader(load32(packet + IPV4_SOURCE), load32(packet + IPV4_DESTINATION), IP_PROTOCOL_TCP, total - 20));
    let vnet = runRecord + 4;
    store<u8>(vnet + VNET_FLAGS, <u8>VNET_F_NEEDS_CSUM);
    store<u8>(vnet + VNET_GSO_TYPE, <u8>GSO_TCPV4);
    store<u16>(vnet + 2, <u16>runHeaders);
    store<u16>(vnet + VNET_GSO_SIZE, <u16>runMss);
    store<u16>(vnet + VNET_CSUM_START, 20);
    store<u16>(vnet + VNET_CSUM_OFFSET, <u16>TCP_CHECKSUM);
    store<u32>(runRecord, 10 + total);
  }
  runRecord = 0;
}

/**
 * Adds the inner IPv4 packet at `packet` (checked, `length` bytes) as a record at the cursor, or
 * joins its payload to the open run. The cursor never passes the packet — a VXLAN datagram sheds
 * more header bytes than a record adds, and Flannel UDP records start early enough (datapath.ts) —
 * so this works in place, front to back.
 */
export function recordsAdd(packet: usize, length: u32): void {
  let payload = joinablePayload(packet, length);
  if (runRecord != 0 && payload != 0 && continuesRun(packet, payload)) {
    // Read before the copy: the payload may land on this packet's own header.
    let push = <u32>load<u8>(packet + 20 + TCP_FLAGS) & TCP_PSH;
    memory.copy(cursor, packet + (length - payload), payload);
    cursor += payload;
    runPayload += payload;
    runSegments++;
    runNextSequence += payload;
    runPush |= push;
    if (payload < runMss || push != 0) closeRun();
    return;
  }
  closeRun();
  memory.copy(cursor + RECORD_HEADER_LEN, packet, length);
  store<u32>(cursor, 10 + length);
  clearVnetHeader(cursor + 4);
  let copy = cursor + RECORD_HEADER_LEN;
  if (payload != 0 && (<u32>load<u8>(copy + 20 + TCP_FLAGS) & TCP_PSH) == 0) {
    runRecord = cursor;
    runHeaders = length - payload;
    runMss = payload;
    runPayload = payload;
    runSegments = 1;
    runNextSequence = load32(copy + 20 + TCP_SEQUENCE) + payload;
    runPush = 0;
  }
  cursor += RECORD_HEADER_LEN + length;
}

/** Ends the records; returns where they end. */
export function recordsEnd(): usize {
  closeRun();
  return cursor;
}
