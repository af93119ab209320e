// Netlink messages (linux/netlink.h), in the host's byte order (little-endian here, as Wasm):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     nlmsg_len (with header)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          nlmsg_type           |          nlmsg_flags          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           nlmsg_seq                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           nlmsg_pid                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             family header (rtmsg, ifinfomsg, …)              ...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        rta_len (with header)  |           rta_type            |  attributes, each padded
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  to 4 bytes
// |                           rta_data                           ...
//
// NLMSG_ERROR carries an int (−errno, 0 for an acknowledgement) and the request's header.
// A writer builds one message at a time into a buffer the caller gave; readers check every
// length against what was received before reading.

import { Status } from "../shared/status";
import { MESSAGE_RECORD_FIELDS, MessageField, NetlinkType } from "../shared/netlink";
import { setField } from "../wire/bytes";

// @ts-ignore: decorator
@inline export const NLMSG_HEADER_LEN: usize = 16;
// @ts-ignore: decorator
@inline export const RTA_HEADER_LEN: usize = 4;

/** Rounds up to netlink's 4-byte alignment. */
// @ts-ignore: decorator
@inline export function align4(length: usize): usize {
  return (length + 3) & ~(<usize>3);
}

/** Where readMessage leaves what it read (shared/netlink.ts MessageField). */
export const MESSAGE_RECORD: usize = memory.data(MESSAGE_RECORD_FIELDS * 4, 16);

let start: usize = 0;
let cursor: usize = 0;
let limit: usize = 0;
let overflow = false;

/** Starts a message at `p` (capacity bytes) with an empty family header of `familyLength` bytes. */
export function beginMessage(p: usize, capacity: usize, type: u32, flags: u32, sequence: u32, familyLength: usize): bool {
  start = p;
  limit = p + capacity;
  cursor = p + NLMSG_HEADER_LEN + align4(familyLength);
  overflow = cursor > limit;
  if (overflow) return false;
  memory.fill(p, 0, cursor - p);
  store<u16>(p + 4, <u16>type);
  store<u16>(p + 6, <u16>flags);
  store<u32>(p + 8, sequence);
  return true;
}

/** Where the family header of the message being built starts. */
export function familyHeader(): usize {
  return start + NLMSG_HEADER_LEN;
}

function attribute(type: u32, dataLength: usize): usize {
  let total = RTA_HEADER_LEN + dataLength;
  if (overflow || cursor + align4(total) > limit) {
    overflow = true;
    return 0;
  }
  let at = cursor;
  store<u16>(at, <u16>total);
  store<u16>(at + 2, <u16>type);
  memory.fill(at + RTA_HEADER_LEN, 0, align4(total) - RTA_HEADER_LEN);
  cursor += align4(total);
  return at + RTA_HEADER_LEN;
}

/** Appends a u32 attribute (host order, as the kernel reads ints). */
export function putU32(type: u32, value: u32): void {
  let data = attribute(type, 4);
  if (data != 0) store<u32>(data, value);
}

/** Appends an IPv4 address attribute (given in host order, stored as its four bytes on the wire). */
export function putIpv4(type: u32, address: u32): void {
  let data = attribute(type, 4);
  if (data != 0) store<u32>(data, bswap<u32>(address));
}

/** Finishes the message: its length goes into nlmsg_len. Returns the length, or -Status.TooBig. */
export function endMessage(): i32 {
  if (overflow) return -Status.TooBig;
  let length = cursor - start;
  store<u32>(start, <u32>length);
  return <i32>length;
}

/**
 * Reads the header of the message at `p` (`available` bytes left) into `record`
 * (shared/netlink.ts MessageField). Returns the message's aligned length, or -Status when the
 * header or its length does not fit what was received.
 */
export function readMessage(p: usize, available: usize, record: usize): i32 {
  if (available < NLMSG_HEADER_LEN) return -Status.Truncated;
  let length = <usize>load<u32>(p);
  if (length < NLMSG_HEADER_LEN) return -Status.BadHeaderLength;
  if (length > available) return -Status.Truncated;
  let type = <u32>load<u16>(p + 4);
  setField(record, MessageField.Type, type);
  setField(record, MessageField.Flags, <u32>load<u16>(p + 6));
  setField(record, MessageField.Sequence, load<u32>(p + 8));
  setField(record, MessageField.Errno, 0);
  setField(record, MessageField.ErrorSequence, 0);
  if (type == NetlinkType.Error) {
    // int error, then the request's nlmsghdr (its sequence at offset 8 of that header).
    if (length < NLMSG_HEADER_LEN + 4 + NLMSG_HEADER_LEN) return -Status.Truncated;
    setField(record, MessageField.Errno, <u32>(-load<i32>(p + NLMSG_HEADER_LEN)));
    setField(record, MessageField.ErrorSequence, load<u32>(p + NLMSG_HEADER_LEN + 4 + 8));
  }
  let aligned = min(align4(length), available);
  setField(record, MessageField.Length, <u32>aligned);
  return <i32>aligned;
}
