// Netlink (rtnetlink) constants and the route record, shared by the Wasm core and the host.
// Numbers from linux/netlink.h and linux/rtnetlink.h.

/** nlmsghdr.nlmsg_type values podnet sends or reads. */
export enum NetlinkType {
  Noop = 1,
  Error = 2,
  Done = 3,
  NewRoute = 24,
  DeleteRoute = 25,
  GetRoute = 26,
}

/** nlmsghdr.nlmsg_flags. Dump, Replace/Excl/Create/Append share bits by request kind, as in the kernel. */
export enum NetlinkFlag {
  Request = 0x1,
  Multi = 0x2,
  Ack = 0x4,
  Dump = 0x300,
  Replace = 0x100,
  Exclusive = 0x200,
  Create = 0x400,
}

/** rtmsg.rtm_type. */
export enum RouteType {
  Unicast = 1,
  Local = 2,
  Broadcast = 3,
  Blackhole = 6,
  Unreachable = 7,
  Prohibit = 8,
}

/** rtnh_flags / rtm_flags bit: the gateway is on the link even if no address says so. */
export const RTNH_F_ONLINK = 4;

/** One route, as a record of u32 fields (addresses in host order), filled by parse and read by build. */
export enum RouteField {
  Family = 0,
  DestinationLength = 1,
  Table = 2,
  Protocol = 3,
  Scope = 4,
  Type = 5,
  Flags = 6,
  Destination = 7,
  /** 1 when the route has RTA_GATEWAY. */
  HasGateway = 8,
  Gateway = 9,
  /** RTA_OIF, 0 when absent. */
  OutputInterface = 10,
  /** 1 when the route has RTA_PRIORITY. */
  HasPriority = 11,
  Priority = 12,
  /** RTA_PREFSRC, 0 when absent. */
  PreferredSource = 13,
}

export const ROUTE_RECORD_FIELDS = 14;

/** What parseNetlinkMessage leaves about the message it read. */
export enum MessageField {
  Type = 0,
  Flags = 1,
  Sequence = 2,
  /** Bytes of the message, aligned: where the next one starts. */
  Length = 3,
  /** NLMSG_ERROR: the errno (positive; 0 is an acknowledgement). */
  Errno = 4,
  /** NLMSG_ERROR: the sequence number of the request it answers. */
  ErrorSequence = 5,
}

export const MESSAGE_RECORD_FIELDS = 6;
