// UDP header (RFC 768):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |            Length             |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers a pseudo-header (source, destination, protocol 17, UDP length), the
// header and the data. Over IPv4 a checksum of 0 means "none" (RFC 768), so a computed 0 is
// sent as 0xffff and a received 0 is accepted as absent.

import { Status } from "../shared/status";
import { ChecksumState, EmitFlags, IP_PROTOCOL_UDP, UdpField } from "../shared/fields";
import { checksum, pseudoHeader, storeChecksum } from "./checksum";
import { getField, load16, setField, store16 } from "./bytes";

// @ts-ignore: decorator
@inline export const UDP_SOURCE_PORT: usize = 0;
// @ts-ignore: decorator
@inline export const UDP_DESTINATION_PORT: usize = 2;
// @ts-ignore: decorator
@inline export const UDP_LENGTH: usize = 4;
// @ts-ignore: decorator
@inline export const UDP_CHECKSUM: usize = 6;
// @ts-ignore: decorator
@inline export const UDP_HEADER_LEN: usize = UDP_CHECKSUM + 2;

/** Parses the UDP header at `p` (`len` bytes of IP payload) and verifies its checksum. */
export function parseUdp(p: usize, len: usize, record: usize, source: u32, destination: u32): Status {
  if (len < UDP_HEADER_LEN) return Status.Truncated;
  let length = load16(p + UDP_LENGTH);
  setField(record, UdpField.SourcePort, load16(p + UDP_SOURCE_PORT));
  setField(record, UdpField.DestinationPort, load16(p + UDP_DESTINATION_PORT));
  setField(record, UdpField.Length, length);
  let sent = load16(p + UDP_CHECKSUM);
  setField(record, UdpField.Checksum, sent);
  if (length < <u32>UDP_HEADER_LEN) return Status.BadHeaderLength;
  if (<usize>length > len) return Status.Truncated;
  let state = ChecksumState.Absent;
  if (sent != 0) {
    let valid = checksum(p, length, pseudoHeader(source, destination, IP_PROTOCOL_UDP, length)) == 0;
    state = valid ? ChecksumState.Good : ChecksumState.Bad;
  }
  setField(record, UdpField.ChecksumState, state);
  return Status.Ok;
}

/**
 * Writes the header in `record` to `p`; the data (Length − 8 bytes) must already follow it
 * unless the checksum is kept as given. Returns 8, or -Status.
 */
export function emitUdp(record: usize, p: usize, capacity: usize, flags: u32, source: u32, destination: u32): i32 {
  let length = getField(record, UdpField.Length);
  if (capacity < UDP_HEADER_LEN) return -Status.TooBig;
  let keep = (flags & EmitFlags.KeepChecksum) != 0;
  // A length field may lie on purpose when the checksum is given: nothing then reads past the buffer.
  if (!keep && length < <u32>UDP_HEADER_LEN) return -Status.BadHeaderLength;
  if (!keep && <usize>length > capacity) return -Status.TooBig;
  store16(p + UDP_SOURCE_PORT, getField(record, UdpField.SourcePort));
  store16(p + UDP_DESTINATION_PORT, getField(record, UdpField.DestinationPort));
  store16(p + UDP_LENGTH, length);
  let written = storeChecksum(p + UDP_CHECKSUM, keep, getField(record, UdpField.Checksum), p, length,
    pseudoHeader(source, destination, IP_PROTOCOL_UDP, length));
  // 0 means "no checksum" over IPv4, so a computed 0 is sent as its other form, 0xffff.
  if (!keep && written == 0) store16(p + UDP_CHECKSUM, 0xffff);
  return <i32>UDP_HEADER_LEN;
}
