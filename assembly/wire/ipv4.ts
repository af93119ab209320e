// IPv4 header (RFC 791 §3.1):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |   DSCP    |ECN|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |R|D|M|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (IHL > 5, up to 40 bytes)          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parse accepts any IHL from 5 to 15 and a total length from the header length up to the bytes
// given; bytes past the total length (Ethernet padding) are not part of the packet.

import { Status } from "../shared/status";
import { ChecksumState, EmitFlags, Ipv4Field } from "../shared/fields";
import { checksum, storeChecksum } from "./checksum";
import { getField, load16, load32, optionsOf, setField, store16, store32 } from "./bytes";

// @ts-ignore: decorator
@inline const VERSION_IHL: usize = 0;
// @ts-ignore: decorator
@inline const DSCP_ECN: usize = 1;
// @ts-ignore: decorator
@inline const TOTAL_LENGTH: usize = 2;
// @ts-ignore: decorator
@inline const IDENTIFICATION: usize = 4;
// @ts-ignore: decorator
@inline const FLAGS_FRAGMENT: usize = 6;
// @ts-ignore: decorator
@inline export const IPV4_TTL: usize = 8;
// @ts-ignore: decorator
@inline export const IPV4_PROTOCOL: usize = 9;
// @ts-ignore: decorator
@inline export const IPV4_CHECKSUM: usize = 10;
// @ts-ignore: decorator
@inline export const IPV4_SOURCE: usize = 12;
// @ts-ignore: decorator
@inline export const IPV4_DESTINATION: usize = 16;

/** Header length without options. */
// @ts-ignore: decorator
@inline export const IPV4_HEADER_LEN: usize = IPV4_DESTINATION + 4;
/** Largest header: IHL 15 × 4. */
// @ts-ignore: decorator
@inline export const IPV4_MAX_HEADER_LEN: usize = 60;

// @ts-ignore: decorator
@inline const FLAG_RESERVED: u32 = 0x8000;
// @ts-ignore: decorator
@inline const FLAG_DONT_FRAGMENT: u32 = 0x4000;
// @ts-ignore: decorator
@inline const FLAG_MORE_FRAGMENTS: u32 = 0x2000;
// @ts-ignore: decorator
@inline const FRAGMENT_OFFSET_MASK: u32 = 0x1fff;


/**
 * Checks the header at `p` against `len` available bytes without filling a record: the one
 * gate the data path passes before reading fields. Returns the header length, or -Status.
 */
export function checkIpv4(p: usize, len: usize): i32 {
  if (len < IPV4_HEADER_LEN) return -Status.Truncated;
  let versionIhl = <u32>load<u8>(p + VERSION_IHL);
  if (versionIhl >> 4 != 4) return -Status.BadVersion;
  let headerLength = (versionIhl & 0xf) << 2;
  if (headerLength < <u32>IPV4_HEADER_LEN) return -Status.BadHeaderLength;
  if (<usize>headerLength > len) return -Status.Truncated;
  let totalLength = load16(p + TOTAL_LENGTH);
  if (totalLength < headerLength) return -Status.BadHeaderLength;
  if (<usize>totalLength > len) return -Status.Truncated;
  return <i32>headerLength;
}

/** Parses the IPv4 header at `p` into `record`, recording whether its checksum verifies. */
export function parseIpv4(p: usize, len: usize, record: usize): Status {
  let checked = checkIpv4(p, len);
  if (checked < 0) return <Status>-checked;
  let headerLength = <u32>checked;
  let dscpEcn = <u32>load<u8>(p + DSCP_ECN);
  let flagsFragment = load16(p + FLAGS_FRAGMENT);
  setField(record, Ipv4Field.Version, 4);
  setField(record, Ipv4Field.HeaderLength, headerLength);
  setField(record, Ipv4Field.Dscp, dscpEcn >> 2);
  setField(record, Ipv4Field.Ecn, dscpEcn & 3);
  setField(record, Ipv4Field.TotalLength, load16(p + TOTAL_LENGTH));
  setField(record, Ipv4Field.Identification, load16(p + IDENTIFICATION));
  setField(record, Ipv4Field.ReservedFlag, (flagsFragment & FLAG_RESERVED) != 0 ? 1 : 0);
  setField(record, Ipv4Field.DontFragment, (flagsFragment & FLAG_DONT_FRAGMENT) != 0 ? 1 : 0);
  setField(record, Ipv4Field.MoreFragments, (flagsFragment & FLAG_MORE_FRAGMENTS) != 0 ? 1 : 0);
  setField(record, Ipv4Field.FragmentOffset, flagsFragment & FRAGMENT_OFFSET_MASK);
  setField(record, Ipv4Field.Ttl, <u32>load<u8>(p + IPV4_TTL));
  setField(record, Ipv4Field.Protocol, <u32>load<u8>(p + IPV4_PROTOCOL));
  setField(record, Ipv4Field.Checksum, load16(p + IPV4_CHECKSUM));
  setField(record, Ipv4Field.Source, load32(p + IPV4_SOURCE));
  setField(record, Ipv4Field.Destination, load32(p + IPV4_DESTINATION));
  // A header that carries its correct checksum sums to 0xffff, so its checksum is 0.
  let valid = checksum(p, headerLength, 0) == 0;
  setField(record, Ipv4Field.ChecksumState, valid ? ChecksumState.Good : ChecksumState.Bad);
  memory.copy(optionsOf(record), p + IPV4_HEADER_LEN, headerLength - <u32>IPV4_HEADER_LEN);
  return Status.Ok;
}

/**
 * Writes the header in `record` (options from the record) to `p`, checksum last unless
 * `flags` has KeepChecksum. Returns the header length, or -Status.
 */
export function emitIpv4(record: usize, p: usize, capacity: usize, flags: u32): i32 {
  let headerLength = getField(record, Ipv4Field.HeaderLength);
  if (headerLength < <u32>IPV4_HEADER_LEN || headerLength > <u32>IPV4_MAX_HEADER_LEN || (headerLength & 3) != 0) {
    return -Status.BadHeaderLength;
  }
  if (capacity < <usize>headerLength) return -Status.TooBig;
  store<u8>(p + VERSION_IHL, <u8>((getField(record, Ipv4Field.Version) & 0xf) << 4 | headerLength >> 2));
  store<u8>(p + DSCP_ECN, <u8>((getField(record, Ipv4Field.Dscp) & 0x3f) << 2 | getField(record, Ipv4Field.Ecn) & 3));
  store16(p + TOTAL_LENGTH, getField(record, Ipv4Field.TotalLength));
  store16(p + IDENTIFICATION, getField(record, Ipv4Field.Identification));
  let flagsFragment = getField(record, Ipv4Field.FragmentOffset) & FRAGMENT_OFFSET_MASK;
  if (getField(record, Ipv4Field.ReservedFlag) != 0) flagsFragment |= FLAG_RESERVED;
  if (getField(record, Ipv4Field.DontFragment) != 0) flagsFragment |= FLAG_DONT_FRAGMENT;
  if (getField(record, Ipv4Field.MoreFragments) != 0) flagsFragment |= FLAG_MORE_FRAGMENTS;
  store16(p + FLAGS_FRAGMENT, flagsFragment);
  store<u8>(p + IPV4_TTL, <u8>getField(record, Ipv4Field.Ttl));
  store<u8>(p + IPV4_PROTOCOL, <u8>getField(record, Ipv4Field.Protocol));
  store32(p + IPV4_SOURCE, getField(record, Ipv4Field.Source));
  store32(p + IPV4_DESTINATION, getField(record, Ipv4Field.Destination));
  memory.copy(p + IPV4_HEADER_LEN, optionsOf(record), headerLength - <u32>IPV4_HEADER_LEN);
  storeChecksum(p + IPV4_CHECKSUM, (flags & EmitFlags.KeepChecksum) != 0, getField(record, Ipv4Field.Checksum), p, headerLength, 0);
  return <i32>headerLength;
}
