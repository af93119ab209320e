// rtnetlink addresses (linux/if_addr.h): RTM_NEWADDR / RTM_DELADDR requests and the addresses a
// RTM_GETADDR dump answers with. After the nlmsghdr comes struct ifaddrmsg:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  ifa_family   | ifa_prefixlen |   ifa_flags   |   ifa_scope   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           ifa_index                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// then IFA_LOCAL (the address) and IFA_ADDRESS (the peer's on a point-to-point link, else the same
// address: `ip address add` sends both). IPv4 only.

import { Status } from "../shared/status";
import { ADDRESS_RECORD_FIELDS, AddressField, NetlinkFamily } from "../shared/netlink";
import { getField, setField } from "../wire/bytes";
import { align4, beginMessage, eachAttribute, endMessage, familyHeader, NLMSG_HEADER_LEN, putIpv4 } from "./message";

// @ts-ignore: decorator
@inline export const IFADDRMSG_LEN: usize = 8;

/** The address record builds read and parses fill (shared/netlink.ts AddressField). */
export const ADDRESS_RECORD: usize = memory.data(ADDRESS_RECORD_FIELDS * 4, 16);

// @ts-ignore: decorator
@inline const IFA_ADDRESS: u32 = 1;
// @ts-ignore: decorator
@inline const IFA_LOCAL: u32 = 2;

/** Builds RTM_NEWADDR or RTM_DELADDR from `record` at `p`; its length, or -Status (BadArgument: a prefix over 32). */
export function buildAddressMessage(record: usize, p: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  let prefixLength = getField(record, AddressField.PrefixLength);
  if (prefixLength > 32) return -Status.BadArgument;
  if (!beginMessage(p, capacity, type, flags, sequence, IFADDRMSG_LEN)) return -Status.TooBig;
  let ifa = familyHeader();
  store<u8>(ifa, <u8>NetlinkFamily.Inet);
  store<u8>(ifa + 1, <u8>prefixLength);
  store<u8>(ifa + 2, <u8>getField(record, AddressField.Flags));
  store<u8>(ifa + 3, <u8>getField(record, AddressField.Scope));
  store<u32>(ifa + 4, getField(record, AddressField.Index));
  let local = getField(record, AddressField.Local);
  putIpv4(IFA_LOCAL, local);
  putIpv4(IFA_ADDRESS, local);
  return endMessage();
}

let parsing: usize = 0;
let sawLocal = false;

function readAddressAttribute(type: u32, data: usize, length: usize): Status {
  if (type != IFA_LOCAL && type != IFA_ADDRESS) return Status.Ok;
  if (length < 4) return Status.BadHeaderLength;
  // IFA_LOCAL is the address itself; IFA_ADDRESS only when there is no IFA_LOCAL.
  if (type == IFA_LOCAL || !sawLocal) setField(parsing, AddressField.Local, bswap<u32>(load<u32>(data)));
  if (type == IFA_LOCAL) sawLocal = true;
  return Status.Ok;
}

/** Reads the RTM_NEWADDR message at `p` into `record`. Not IPv4: Unsupported. */
export function parseAddressMessage(p: usize, length: usize, record: usize): Status {
  if (length < NLMSG_HEADER_LEN + IFADDRMSG_LEN) return Status.Truncated;
  memory.fill(record, 0, <usize>ADDRESS_RECORD_FIELDS * 4);
  let ifa = p + NLMSG_HEADER_LEN;
  if (<u32>load<u8>(ifa) != NetlinkFamily.Inet) return Status.Unsupported;
  setField(record, AddressField.PrefixLength, <u32>load<u8>(ifa + 1));
  setField(record, AddressField.Flags, <u32>load<u8>(ifa + 2));
  setField(record, AddressField.Scope, <u32>load<u8>(ifa + 3));
  setField(record, AddressField.Index, load<u32>(ifa + 4));
  parsing = record;
  sawLocal = false;
  return eachAttribute(ifa + align4(IFADDRMSG_LEN), p + length, readAddressAttribute);
}
