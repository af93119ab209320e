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

/** Appends a u8 attribute. */
export function putU8(type: u32, value: u32): void {
  let data = attribute(type, 1);
  if (data != 0) store<u8>(data, <u8>value);
}

/** Appends a u16 attribute in network byte order (ports). */
export function putBe16(type: u32, value: u32): void {
  let data = attribute(type, 2);
  if (data != 0) store<u16>(data, bswap<u16>(<u16>value));
}

/** Appends a six-byte hardware address attribute (shared/netlink.ts: high = first two bytes, low = the other four). */
export function putMac(type: u32, high: u32, low: u32): void {
  let data = attribute(type, 6);
  if (data == 0) return;
  store<u16>(data, bswap<u16>(<u16>high));
  store<u32>(data + 2, bswap<u32>(low));
}

/** Appends a NUL-terminated string attribute from `length` bytes at `text`. */
export function putString(type: u32, text: usize, length: usize): void {
  let data = attribute(type, length + 1);
  if (data != 0) memory.copy(data, text, length);
}

/** Appends `length` zero bytes (a family header inside a nested attribute); returns where they start, 0 when full. */
export function putZeros(length: usize): usize {
  if (overflow || cursor + align4(length) > limit) {
    overflow = true;
    return 0;
  }
  let at = cursor;
  memory.fill(at, 0, align4(length));
  cursor += align4(length);
  return at;
}

/** Opens a nested attribute; endNested(the value returned) closes it. */
export function beginNested(type: u32): usize {
  let data = attribute(type, 0);
  return data == 0 ? 0 : data - RTA_HEADER_LEN;
}

/** Closes the nested attribute opened at `at`: its length now covers everything appended since. */
export function endNested(at: usize): void {
  if (at != 0 && !overflow) store<u16>(at, <u16>(cursor - at));
}

/** Builds a dump request (NLM_F_DUMP) whose family header is `familyLength` zero bytes but its first, `family`. */
export function buildDump(p: usize, capacity: usize, type: u32, flags: u32, sequence: u32, familyLength: usize, family: u32): i32 {
  if (!beginMessage(p, capacity, type, flags, sequence, familyLength)) return -Status.TooBig;
  store<u8>(familyHeader(), <u8>family);
  return endMessage();
}

/** Reads a six-byte hardware address at `data` into `record`'s fields high and high + 1. */
export function readMac(data: usize, record: usize, high: i32): void {
  setField(record, high, <u32>bswap<u16>(load<u16>(data)));
  setField(record, high + 1, bswap<u32>(load<u32>(data + 2)));
}

/**
 * Walks the attributes in [at, end): calls `visit(type, data, dataLength)` for each (type without
 * NLA_F_NESTED and NLA_F_NET_BYTEORDER). Returns Truncated when one runs past `end`,
 * BadHeaderLength when one is shorter than its header, or what `visit` returned if not Ok.
 */
export function eachAttribute(at: usize, end: usize, visit: (type: u32, data: usize, length: usize) => Status): Status {
  while (at + RTA_HEADER_LEN <= end) {
    let attributeLength = <usize>load<u16>(at);
    if (attributeLength < RTA_HEADER_LEN) return Status.BadHeaderLength;
    if (at + attributeLength > end) return Status.Truncated;
    let status = visit(<u32>load<u16>(at + 2) & 0x3fff, at + RTA_HEADER_LEN, attributeLength - RTA_HEADER_LEN);
    if (status != Status.Ok) return status;
    at += align4(attributeLength);
  }
  return Status.Ok;
}

/** Finishes the message: its length goes into nlmsg_len. Returns the length, or -Status.TooBig. */
export function endMessage(): i32 {
  if (overflow) return -Status.TooBig;
  let length = cursor - start;
  store<u32>(start, <u32>length);
  return <i32>length;
}

// @ts-ignore: decorator
@inline const NLM_F_ACK_TLVS: u32 = 0x200;
// @ts-ignore: decorator
@inline const NLMSGERR_ATTR_MSG: u32 = 1;

let errorRecord: usize = 0;

function readErrorAttribute(type: u32, data: usize, length: usize): Status {
  if (type != NLMSGERR_ATTR_MSG) return Status.Ok;
  let text = length;
  while (text > 0 && load<u8>(data + text - 1) == 0) text--;
  setField(errorRecord, MessageField.ErrorText, <u32>data);
  setField(errorRecord, MessageField.ErrorTextLength, <u32>text);
  return Status.Ok;
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
    // NLM_F_ACK_TLVS: extended ACK attributes follow the request's header (NETLINK_CAP_ACK: the
    // header only). NLMSGERR_ATTR_MSG is the kernel's message as `ip` prints it after "Error: ".
    let flags = <u32>load<u16>(p + 6);
    setField(record, MessageField.ErrorText, 0);
    setField(record, MessageField.ErrorTextLength, 0);
    if ((flags & NLM_F_ACK_TLVS) != 0) {
      errorRecord = record;
      let status = eachAttribute(p + NLMSG_HEADER_LEN + 4 + NLMSG_HEADER_LEN, p + length, readErrorAttribute);
      if (status != Status.Ok) return -status;
    }
  }
  let aligned = min(align4(length), available);
  setField(record, MessageField.Length, <u32>aligned);
  return <i32>aligned;
}
