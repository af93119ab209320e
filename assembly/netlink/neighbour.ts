// rtnetlink neighbours and FDB entries (linux/neighbour.h): RTM_NEWNEIGH / RTM_DELNEIGH requests
// and what a RTM_GETNEIGH dump answers with. After the nlmsghdr comes struct ndmsg:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  ndm_family   |   (padding)   |           (padding)           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          ndm_ifindex                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     ndm_state (NUD_*)         |   ndm_flags   |   ndm_type    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// then NDA_DST (the IPv4 address; for an FDB entry the remote VTEP) and NDA_LLADDR (the MAC). A
// neighbour is family AF_INET; an FDB entry of a VXLAN device is family AF_BRIDGE with NTF_SELF,
// as `bridge fdb` sends it.

import { Status } from "../shared/status";
import { NEIGHBOUR_RECORD_FIELDS, NeighbourField } from "../shared/netlink";
import { getField, setField } from "../wire/bytes";
import { align4, beginMessage, eachAttribute, endMessage, familyHeader, NLMSG_HEADER_LEN, putIpv4, putMac, readMac } from "./message";

// @ts-ignore: decorator
@inline export const NDMSG_LEN: usize = 12;

/** The neighbour record builds read and parses fill (shared/netlink.ts NeighbourField). */
export const NEIGHBOUR_RECORD: usize = memory.data(NEIGHBOUR_RECORD_FIELDS * 4, 16);

// @ts-ignore: decorator
@inline const NDA_DST: u32 = 1;
// @ts-ignore: decorator
@inline const NDA_LLADDR: u32 = 2;

/** Builds RTM_NEWNEIGH or RTM_DELNEIGH from `record` at `p`; its length, or -Status. */
export function buildNeighbourMessage(record: usize, p: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!beginMessage(p, capacity, type, flags, sequence, NDMSG_LEN)) return -Status.TooBig;
  let ndm = familyHeader();
  store<u8>(ndm, <u8>getField(record, NeighbourField.Family));
  store<u32>(ndm + 4, getField(record, NeighbourField.Index));
  store<u16>(ndm + 8, <u16>getField(record, NeighbourField.State));
  store<u8>(ndm + 10, <u8>getField(record, NeighbourField.Flags));
  if (getField(record, NeighbourField.HasDestination) != 0) putIpv4(NDA_DST, getField(record, NeighbourField.Destination));
  if (getField(record, NeighbourField.HasMac) != 0) putMac(NDA_LLADDR, getField(record, NeighbourField.MacHigh), getField(record, NeighbourField.MacLow));
  return endMessage();
}

let parsing: usize = 0;

function readNeighbourAttribute(type: u32, data: usize, length: usize): Status {
  // An IPv6 destination (16 bytes) or a longer hardware address is not one podnet reads: skipped.
  if (type == NDA_DST && length == 4) {
    setField(parsing, NeighbourField.HasDestination, 1);
    setField(parsing, NeighbourField.Destination, bswap<u32>(load<u32>(data)));
  } else if (type == NDA_LLADDR && length == 6) {
    setField(parsing, NeighbourField.HasMac, 1);
    readMac(data, parsing, NeighbourField.MacHigh);
  }
  return Status.Ok;
}

/** Reads the RTM_NEWNEIGH message at `p` into `record`. */
export function parseNeighbourMessage(p: usize, length: usize, record: usize): Status {
  if (length < NLMSG_HEADER_LEN + NDMSG_LEN) return Status.Truncated;
  memory.fill(record, 0, <usize>NEIGHBOUR_RECORD_FIELDS * 4);
  let ndm = p + NLMSG_HEADER_LEN;
  setField(record, NeighbourField.Family, <u32>load<u8>(ndm));
  setField(record, NeighbourField.Index, load<u32>(ndm + 4));
  setField(record, NeighbourField.State, <u32>load<u16>(ndm + 8));
  setField(record, NeighbourField.Flags, <u32>load<u8>(ndm + 10));
  parsing = record;
  return eachAttribute(ndm + align4(NDMSG_LEN), p + length, readNeighbourAttribute);
}
