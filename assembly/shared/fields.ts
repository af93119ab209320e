// Parsed headers cross the Wasm boundary as field records: a row of u32 words at a static
// address, one word per field, in the order these enums give (a MAC is two words: high 16 bits,
// low 32 bits). Parse fills a record; emit reads one. Both AssemblyScript and the host compile
// this file, so the indices cannot drift apart.

/** Which header a record describes; the `kind` argument of parseHeader and emitHeader. */
export enum HeaderKind {
  Ethernet = 1,
  Arp = 2,
  Ipv4 = 3,
  Icmpv4 = 4,
  Udp = 5,
  Tcp = 6,
  Vxlan = 7,
  /** Linux "cooked" capture header, SLL (link type 113). */
  LinuxCooked = 8,
  /** Linux "cooked" capture header v2, SLL2 (link type 276). */
  LinuxCooked2 = 9,
}

/** Words in a record before its option bytes; no header has more fields than this. */
export const RECORD_FIELDS = 24;
/** Option bytes a record carries after its fields (IPv4 and TCP allow at most 40). */
export const RECORD_OPTION_BYTES = 40;
/** Total bytes of one record. */
export const RECORD_BYTES = RECORD_FIELDS * 4 + RECORD_OPTION_BYTES;

/** Flags for emitHeader. */
export enum EmitFlags {
  /** Write the checksum field as given in the record, so broken packets can be made on purpose. */
  KeepChecksum = 1,
}

/** Checksum verdict a parse records. */
export enum ChecksumState {
  Bad = 0,
  Good = 1,
  /** UDP over IPv4 may send 0: no checksum (RFC 768). */
  Absent = 2,
}

export enum EthernetField {
  DestinationHigh = 0,
  DestinationLow = 1,
  SourceHigh = 2,
  SourceLow = 3,
  /** 1 when an 802.1Q tag follows the source address. */
  HasVlan = 4,
  /** The tag control information (PCP, DEI, VLAN ID), when HasVlan. */
  VlanTci = 5,
  EtherType = 6,
  HeaderLength = 7,
}

export enum ArpField {
  HardwareType = 0,
  ProtocolType = 1,
  HardwareLength = 2,
  ProtocolLength = 3,
  Operation = 4,
  SenderMacHigh = 5,
  SenderMacLow = 6,
  SenderIp = 7,
  TargetMacHigh = 8,
  TargetMacLow = 9,
  TargetIp = 10,
}

export enum Ipv4Field {
  Version = 0,
  /** In bytes (IHL × 4). */
  HeaderLength = 1,
  Dscp = 2,
  Ecn = 3,
  TotalLength = 4,
  Identification = 5,
  DontFragment = 6,
  MoreFragments = 7,
  /** In 8-byte units, as on the wire. */
  FragmentOffset = 8,
  Ttl = 9,
  Protocol = 10,
  Checksum = 11,
  Source = 12,
  Destination = 13,
  ChecksumState = 14,
  /** The reserved flag bit (RFC 791: must be zero; kept so a round trip is exact). */
  ReservedFlag = 15,
}

export enum Icmpv4Field {
  Type = 0,
  Code = 1,
  Checksum = 2,
  /** The four bytes after the checksum: identifier and sequence, gateway, or unused + next-hop MTU. */
  RestOfHeader = 3,
  /** Bytes after the 8-byte header; the checksum covers them. */
  PayloadLength = 4,
  ChecksumState = 5,
}

export enum UdpField {
  SourcePort = 0,
  DestinationPort = 1,
  Length = 2,
  Checksum = 3,
  ChecksumState = 4,
}

export enum TcpField {
  SourcePort = 0,
  DestinationPort = 1,
  Sequence = 2,
  Acknowledgment = 3,
  /** In bytes (data offset × 4). */
  HeaderLength = 4,
  /** The nine flag bits NS CWR ECE URG ACK PSH RST SYN FIN, FIN lowest. */
  Flags = 5,
  Window = 6,
  Checksum = 7,
  UrgentPointer = 8,
  /** Bytes after the header; the checksum covers them. */
  PayloadLength = 9,
  ChecksumState = 10,
  /** The three reserved bits between data offset and flags. */
  Reserved = 11,
}

export enum VxlanField {
  Flags = 0,
  Vni = 1,
  /** The 24 reserved bits after the flags. */
  ReservedHigh = 2,
  /** The 8 reserved bits after the VNI. */
  ReservedLow = 3,
}

export enum LinuxCookedField {
  /** 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us. */
  PacketType = 0,
  /** ARPHRD_ type of the interface (1: Ethernet). */
  HardwareType = 1,
  AddressLength = 2,
  /** First 4 of the 8 link-layer address bytes. */
  AddressHigh = 3,
  AddressLow = 4,
  /** EtherType of what follows. */
  Protocol = 5,
  /** SLL2 only. */
  InterfaceIndex = 6,
  HeaderLength = 7,
}

/** Well-known values podnet's encapsulations use. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_IPIP = 4;
export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;
export const FLANNEL_UDP_PORT = 8285;
export const FLANNEL_VXLAN_PORT = 8472;
export const IANA_VXLAN_PORT = 4789;
