// Netlink (rtnetlink) constants and the route record, shared by the Wasm core and the host.
// Numbers from linux/netlink.h and linux/rtnetlink.h.

/** nlmsghdr.nlmsg_type values podnet sends or reads. */
export enum NetlinkType {
  Noop = 1,
  Error = 2,
  Done = 3,
  NewLink = 16,
  DeleteLink = 17,
  GetLink = 18,
  NewAddress = 20,
  DeleteAddress = 21,
  GetAddress = 22,
  NewRoute = 24,
  DeleteRoute = 25,
  GetRoute = 26,
  NewNeighbour = 28,
  DeleteNeighbour = 29,
  GetNeighbour = 30,
}

/** Address families of rtnetlink's family headers. */
export enum NetlinkFamily {
  Unspecified = 0,
  Inet = 2,
  /** PF_BRIDGE: FDB entries of a bridge or VXLAN device. */
  Bridge = 7,
}

/** Multicast groups (bits for sockaddr_nl.nl_groups): what a monitoring socket hears. */
export enum NetlinkGroup {
  Link = 0x1,
  Ipv4Address = 0x10,
  Ipv4Route = 0x40,
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
  /** NLMSG_ERROR with extended ACK: where the kernel's message text starts (0 when none). */
  ErrorText = 6,
  /** Its length, without the NUL. */
  ErrorTextLength = 7,
}

export const MESSAGE_RECORD_FIELDS = 8;

/** ifinfomsg.ifi_flags bit. */
export const IFF_UP = 0x1;

/** Kinds of link (IFLA_INFO_KIND) the core builds or recognises. */
export enum LinkKind {
  None = 0,
  Bridge = 1,
  Vxlan = 2,
  Veth = 3,
  Tun = 4,
  /** A kind the core does not name. */
  Other = 5,
}

/**
 * One link, as u32 fields. Builds read it; parses fill it. Names are bytes elsewhere in memory
 * (offset and length); a MAC is its first two bytes (high) and last four (low), as numbers.
 */
export enum LinkField {
  Index = 0,
  /** ifi_flags, and ifi_change: which of them a change sets. */
  Flags = 1,
  Change = 2,
  /** IFLA_MTU, 0 when absent. */
  Mtu = 3,
  /** IFLA_MASTER's index, 0 when absent. */
  Master = 4,
  HasMac = 5,
  MacHigh = 6,
  MacLow = 7,
  NameOffset = 8,
  /** 0: no IFLA_IFNAME. */
  NameLength = 9,
  Kind = 10,
  /** As a bridge port: 0 leave, 1 hairpin off, 2 hairpin on. */
  Hairpin = 11,
  VxlanId = 12,
  VxlanLocal = 13,
  /** The underlay device's index (IFLA_VXLAN_LINK). */
  VxlanLink = 14,
  VxlanPort = 15,
  PeerNameOffset = 16,
  PeerNameLength = 17,
  PeerHasMac = 18,
  PeerMacHigh = 19,
  PeerMacLow = 20,
  PeerMtu = 21,
  /** An open fd of the namespace the veth's other end goes to (IFLA_NET_NS_FD); NO_NAMESPACE_FD: none. */
  PeerNamespaceFd = 22,
}

/** LinkField.PeerNamespaceFd when the request moves nothing to another namespace. */
export const NO_NAMESPACE_FD = 0xffffffff;

export const LINK_RECORD_FIELDS = 23;

/** One IPv4 address (ifaddrmsg and IFA_LOCAL). */
export enum AddressField {
  PrefixLength = 0,
  Flags = 1,
  Scope = 2,
  Index = 3,
  Local = 4,
}

export const ADDRESS_RECORD_FIELDS = 5;

/** ndmsg.ndm_state bits. */
export enum NeighbourState {
  NoArp = 0x40,
  Permanent = 0x80,
}

/** ndmsg.ndm_flags bit: the entry is the device's own (a VXLAN FDB), not its master bridge's. */
export const NTF_SELF = 0x2;

/** One neighbour or FDB entry (ndmsg, NDA_DST, NDA_LLADDR). */
export enum NeighbourField {
  /** Inet for a neighbour, Bridge for an FDB entry. */
  Family = 0,
  Index = 1,
  State = 2,
  Flags = 3,
  HasDestination = 4,
  /** IPv4, host order. */
  Destination = 5,
  HasMac = 6,
  MacHigh = 7,
  MacLow = 8,
}

export const NEIGHBOUR_RECORD_FIELDS = 9;
