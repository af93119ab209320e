// TCP header (RFC 9293 §3.1), enough to read it and to verify or fix its checksum; not a TCP stack:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Sequence Number                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Acknowledgment Number                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data |     |N|C|E|U|A|P|R|S|F|                               |
// | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
// |       |     | |R|E|G|K|H|T|N|N|                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (up to 40 bytes)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers a pseudo-header (source, destination, protocol 6, TCP length), the
// header and the data; `len` is the whole segment (the IP payload).

import { Status } from "../shared/status";
import { ChecksumState, EmitFlags, IP_PROTOCOL_TCP, TcpField } from "../shared/fields";
import { checksum, pseudoHeader, storeChecksum } from "./checksum";
import { getField, load16, load32, optionsOf, setField, store16, store32 } from "./bytes";

// @ts-ignore: decorator
@inline const SOURCE_PORT: usize = 0;
// @ts-ignore: decorator
@inline const DESTINATION_PORT: usize = 2;
// @ts-ignore: decorator
@inline const SEQUENCE: usize = 4;
// @ts-ignore: decorator
@inline const ACKNOWLEDGMENT: usize = 8;
// @ts-ignore: decorator
@inline const OFFSET_FLAGS: usize = 12;
// @ts-ignore: decorator
@inline const WINDOW: usize = 14;
// @ts-ignore: decorator
@inline const CHECKSUM: usize = 16;
// @ts-ignore: decorator
@inline const URGENT_POINTER: usize = 18;
// @ts-ignore: decorator
@inline export const TCP_HEADER_LEN: usize = URGENT_POINTER + 2;
// @ts-ignore: decorator
@inline const TCP_MAX_HEADER_LEN: u32 = 60;


/** Parses the TCP header of a `len`-byte segment at `p` and verifies the segment's checksum. */
export function parseTcp(p: usize, len: usize, record: usize, source: u32, destination: u32): Status {
  if (len < TCP_HEADER_LEN) return Status.Truncated;
  let offsetFlags = load16(p + OFFSET_FLAGS);
  let headerLength = (offsetFlags >> 12) << 2;
  if (headerLength < <u32>TCP_HEADER_LEN) return Status.BadHeaderLength;
  if (<usize>headerLength > len) return Status.Truncated;
  setField(record, TcpField.SourcePort, load16(p + SOURCE_PORT));
  setField(record, TcpField.DestinationPort, load16(p + DESTINATION_PORT));
  setField(record, TcpField.Sequence, load32(p + SEQUENCE));
  setField(record, TcpField.Acknowledgment, load32(p + ACKNOWLEDGMENT));
  setField(record, TcpField.HeaderLength, headerLength);
  setField(record, TcpField.Reserved, (offsetFlags >> 9) & 7);
  setField(record, TcpField.Flags, offsetFlags & 0x1ff);
  setField(record, TcpField.Window, load16(p + WINDOW));
  setField(record, TcpField.Checksum, load16(p + CHECKSUM));
  setField(record, TcpField.UrgentPointer, load16(p + URGENT_POINTER));
  setField(record, TcpField.PayloadLength, <u32>len - headerLength);
  let valid = checksum(p, len, pseudoHeader(source, destination, IP_PROTOCOL_TCP, <u32>len)) == 0;
  setField(record, TcpField.ChecksumState, valid ? ChecksumState.Good : ChecksumState.Bad);
  memory.copy(optionsOf(record), p + TCP_HEADER_LEN, headerLength - <u32>TCP_HEADER_LEN);
  return Status.Ok;
}

/**
 * Writes the header in `record` (options from the record) to `p`; the record's PayloadLength
 * bytes of data must already follow the header. Returns the header length, or -Status.
 */
export function emitTcp(record: usize, p: usize, capacity: usize, flags: u32, source: u32, destination: u32): i32 {
  let headerLength = getField(record, TcpField.HeaderLength);
  if (headerLength < <u32>TCP_HEADER_LEN || headerLength > TCP_MAX_HEADER_LEN || (headerLength & 3) != 0) {
    return -Status.BadHeaderLength;
  }
  let segmentLength = <usize>headerLength + <usize>getField(record, TcpField.PayloadLength);
  if (capacity < segmentLength || segmentLength > 0xffff) return -Status.TooBig;
  store16(p + SOURCE_PORT, getField(record, TcpField.SourcePort));
  store16(p + DESTINATION_PORT, getField(record, TcpField.DestinationPort));
  store32(p + SEQUENCE, getField(record, TcpField.Sequence));
  store32(p + ACKNOWLEDGMENT, getField(record, TcpField.Acknowledgment));
  store16(p + OFFSET_FLAGS, (headerLength >> 2) << 12 | (getField(record, TcpField.Reserved) & 7) << 9
    | getField(record, TcpField.Flags) & 0x1ff);
  store16(p + WINDOW, getField(record, TcpField.Window));
  store16(p + URGENT_POINTER, getField(record, TcpField.UrgentPointer));
  memory.copy(p + TCP_HEADER_LEN, optionsOf(record), headerLength - <u32>TCP_HEADER_LEN);
  storeChecksum(p + CHECKSUM, (flags & EmitFlags.KeepChecksum) != 0, getField(record, TcpField.Checksum), p, segmentLength,
    pseudoHeader(source, destination, IP_PROTOCOL_TCP, <u32>segmentLength));
  return <i32>headerLength;
}
