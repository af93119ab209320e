// ICMPv4 message header (RFC 792):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Rest of header: identifier + sequence (echo), unused +       |
// |  next-hop MTU (RFC 1191, "fragmentation needed"), or unused   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data: echo payload, or for errors the offending IP header    |
// |  plus the first 64 bits of its data                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers the header and all data. `len` is the ICMP message's length (the IP
// payload), not the buffer's.

import { Status } from "../shared/status";
import { ChecksumState, EmitFlags, Icmpv4Field } from "../shared/fields";
import { checksum, storeChecksum } from "./checksum";
import { getField, load16, load32, setField, store16, store32 } from "./bytes";

// @ts-ignore: decorator
@inline const TYPE: usize = 0;
// @ts-ignore: decorator
@inline const CODE: usize = 1;
// @ts-ignore: decorator
@inline const CHECKSUM: usize = 2;
// @ts-ignore: decorator
@inline const REST_OF_HEADER: usize = 4;

// @ts-ignore: decorator
@inline export const ICMPV4_HEADER_LEN: usize = REST_OF_HEADER + 4;

export const ICMP_ECHO_REPLY: u32 = 0;
export const ICMP_DESTINATION_UNREACHABLE: u32 = 3;
export const ICMP_ECHO_REQUEST: u32 = 8;
export const ICMP_TIME_EXCEEDED: u32 = 11;
/** Destination unreachable codes (RFC 792, RFC 1191). */
export const ICMP_NET_UNREACHABLE: u32 = 0;
export const ICMP_FRAGMENTATION_NEEDED: u32 = 4;
/** Time exceeded code: TTL exceeded in transit. */
export const ICMP_TTL_EXCEEDED: u32 = 0;

/** Parses an ICMPv4 message of `len` bytes at `p` into `record`, verifying its checksum. */
export function parseIcmpv4(p: usize, len: usize, record: usize): Status {
  if (len < ICMPV4_HEADER_LEN) return Status.Truncated;
  setField(record, Icmpv4Field.Type, <u32>load<u8>(p + TYPE));
  setField(record, Icmpv4Field.Code, <u32>load<u8>(p + CODE));
  setField(record, Icmpv4Field.Checksum, load16(p + CHECKSUM));
  setField(record, Icmpv4Field.RestOfHeader, load32(p + REST_OF_HEADER));
  setField(record, Icmpv4Field.PayloadLength, <u32>(len - ICMPV4_HEADER_LEN));
  let valid = checksum(p, len, 0) == 0;
  setField(record, Icmpv4Field.ChecksumState, valid ? ChecksumState.Good : ChecksumState.Bad);
  return Status.Ok;
}

/**
 * Writes the 8-byte header in `record` to `p`; the record's PayloadLength bytes must already
 * follow it. The checksum over both is computed unless `flags` has KeepChecksum.
 * Returns the header length (8), or -Status.
 */
export function emitIcmpv4(record: usize, p: usize, capacity: usize, flags: u32): i32 {
  let length = <usize>getField(record, Icmpv4Field.PayloadLength) + ICMPV4_HEADER_LEN;
  if (capacity < length) return -Status.TooBig;
  store<u8>(p + TYPE, <u8>getField(record, Icmpv4Field.Type));
  store<u8>(p + CODE, <u8>getField(record, Icmpv4Field.Code));
  store32(p + REST_OF_HEADER, getField(record, Icmpv4Field.RestOfHeader));
  storeChecksum(p + CHECKSUM, (flags & EmitFlags.KeepChecksum) != 0, getField(record, Icmpv4Field.Checksum), p, length, 0);
  return <i32>ICMPV4_HEADER_LEN;
}
