// rtnetlink routes (linux/rtnetlink.h): RTM_NEWROUTE / RTM_DELROUTE requests and the routes a
// RTM_GETROUTE dump answers with. After the nlmsghdr comes struct rtmsg:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  rtm_family   |  rtm_dst_len  |  rtm_src_len  |    rtm_tos    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   rtm_table   | rtm_protocol  |   rtm_scope   |   rtm_type    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           rtm_flags                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// then attributes: RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE (the
// table's full 32-bit number; rtm_table holds it only when below 256). RTNH_F_ONLINK rides in
// rtm_flags. IPv4 only: podnet's underlay and pods are IPv4.

import { Status } from "../shared/status";
import { ROUTE_RECORD_FIELDS, RouteField } from "../shared/netlink";
import { getField, setField } from "../wire/bytes";
import { align4, beginMessage, eachAttribute, endMessage, familyHeader, NLMSG_HEADER_LEN, putIpv4, putU32 } from "./message";

// @ts-ignore: decorator
@inline export const RTMSG_LEN: usize = 12;

/** The route record builds read and parses fill (shared/netlink.ts RouteField). */
export const ROUTE_RECORD: usize = memory.data(ROUTE_RECORD_FIELDS * 4, 16);
// @ts-ignore: decorator
@inline const AF_INET: u32 = 2;
// @ts-ignore: decorator
@inline const RTA_DST: u32 = 1;
// @ts-ignore: decorator
@inline const RTA_OIF: u32 = 4;
// @ts-ignore: decorator
@inline const RTA_GATEWAY: u32 = 5;
// @ts-ignore: decorator
@inline const RTA_PRIORITY: u32 = 6;
// @ts-ignore: decorator
@inline const RTA_PREFSRC: u32 = 7;
// @ts-ignore: decorator
@inline const RTA_TABLE: u32 = 15;

/**
 * Builds a route request (RTM_NEWROUTE or RTM_DELROUTE) from `record` at `p`. Returns its
 * length, or -Status (BadArgument for a prefix length over 32, TooBig when it does not fit).
 */
export function buildRouteMessage(record: usize, p: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  let length = getField(record, RouteField.DestinationLength);
  if (length > 32) return -Status.BadArgument;
  if (!beginMessage(p, capacity, type, flags, sequence, RTMSG_LEN)) return -Status.TooBig;
  let rtm = familyHeader();
  let table = getField(record, RouteField.Table);
  store<u8>(rtm, <u8>AF_INET);
  store<u8>(rtm + 1, <u8>length);
  store<u8>(rtm + 4, <u8>(table < 256 ? table : 0));
  store<u8>(rtm + 5, <u8>getField(record, RouteField.Protocol));
  store<u8>(rtm + 6, <u8>getField(record, RouteField.Scope));
  store<u8>(rtm + 7, <u8>getField(record, RouteField.Type));
  store<u32>(rtm + 8, getField(record, RouteField.Flags));
  if (length > 0) putIpv4(RTA_DST, getField(record, RouteField.Destination));
  if (getField(record, RouteField.HasGateway) != 0) putIpv4(RTA_GATEWAY, getField(record, RouteField.Gateway));
  let device = getField(record, RouteField.OutputInterface);
  if (device != 0) putU32(RTA_OIF, device);
  if (getField(record, RouteField.HasPriority) != 0) putU32(RTA_PRIORITY, getField(record, RouteField.Priority));
  let source = getField(record, RouteField.PreferredSource);
  if (source != 0) putIpv4(RTA_PREFSRC, source);
  putU32(RTA_TABLE, table);
  return endMessage();
}

/** Builds an RTM_GETROUTE dump request for IPv4 routes of every table. */
export function buildRouteDump(p: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!beginMessage(p, capacity, type, flags, sequence, RTMSG_LEN)) return -Status.TooBig;
  store<u8>(familyHeader(), <u8>AF_INET);
  return endMessage();
}

let parsing: usize = 0;

function readRouteAttribute(type: u32, data: usize, length: usize): Status {
  if (type != RTA_DST && type != RTA_GATEWAY && type != RTA_OIF && type != RTA_PRIORITY && type != RTA_PREFSRC && type != RTA_TABLE) return Status.Ok;
  if (length < 4) return Status.BadHeaderLength;
  let value = load<u32>(data);
  if (type == RTA_DST) setField(parsing, RouteField.Destination, bswap<u32>(value));
  else if (type == RTA_GATEWAY) {
    setField(parsing, RouteField.HasGateway, 1);
    setField(parsing, RouteField.Gateway, bswap<u32>(value));
  } else if (type == RTA_OIF) setField(parsing, RouteField.OutputInterface, value);
  else if (type == RTA_PRIORITY) {
    setField(parsing, RouteField.HasPriority, 1);
    setField(parsing, RouteField.Priority, value);
  } else if (type == RTA_PREFSRC) setField(parsing, RouteField.PreferredSource, bswap<u32>(value));
  else setField(parsing, RouteField.Table, value);
  return Status.Ok;
}

/**
 * Reads the RTM_NEWROUTE message at `p` (`length` bytes, header included) into `record`.
 * Unknown attributes are skipped; one whose length runs past the message is Truncated, one
 * shorter than its type needs is BadHeaderLength. Not IPv4: Unsupported.
 */
export function parseRouteMessage(p: usize, length: usize, record: usize): Status {
  if (length < NLMSG_HEADER_LEN + RTMSG_LEN) return Status.Truncated;
  memory.fill(record, 0, <usize>ROUTE_RECORD_FIELDS * 4);
  let rtm = p + NLMSG_HEADER_LEN;
  let family = <u32>load<u8>(rtm);
  setField(record, RouteField.Family, family);
  if (family != AF_INET) return Status.Unsupported;
  setField(record, RouteField.DestinationLength, <u32>load<u8>(rtm + 1));
  setField(record, RouteField.Table, <u32>load<u8>(rtm + 4));
  setField(record, RouteField.Protocol, <u32>load<u8>(rtm + 5));
  setField(record, RouteField.Scope, <u32>load<u8>(rtm + 6));
  setField(record, RouteField.Type, <u32>load<u8>(rtm + 7));
  setField(record, RouteField.Flags, load<u32>(rtm + 8));
  parsing = record;
  return eachAttribute(rtm + align4(RTMSG_LEN), p + length, readRouteAttribute);
}
