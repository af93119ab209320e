// rtnetlink links (linux/rtnetlink.h, linux/if_link.h): RTM_NEWLINK / RTM_DELLINK requests and
// the links RTM_GETLINK answers with. After the nlmsghdr comes struct ifinfomsg:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  ifi_family   |   (padding)   |           ifi_type            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           ifi_index                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  ifi_flags (IFF_UP, …)                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |            ifi_change (which ifi_flags bits to set)           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// then attributes: IFLA_IFNAME, IFLA_ADDRESS, IFLA_MTU, IFLA_MASTER and the nested
// IFLA_LINKINFO = { IFLA_INFO_KIND "bridge" | "vxlan" | "veth", IFLA_INFO_DATA = the kind's own:
//   vxlan: IFLA_VXLAN_ID, _LINK, _LOCAL, _LEARNING 0, _PORT (network order);
//   veth:  VETH_INFO_PEER = an ifinfomsg of its own and the other end's IFLA_IFNAME, IFLA_ADDRESS,
//          IFLA_MTU, IFLA_NET_NS_FD (the namespace it is created in) }
// or, for a bridge port's settings, { IFLA_INFO_SLAVE_KIND "bridge", IFLA_INFO_SLAVE_DATA =
// { IFLA_BRPORT_MODE (hairpin) } }, as `ip link set DEV type bridge_slave hairpin on` sends.
// A request may name its link by IFLA_IFNAME with ifi_index 0; the kernel looks it up.

import { Status } from "../shared/status";
import { LINK_RECORD_FIELDS, LinkField, LinkKind, NO_NAMESPACE_FD } from "../shared/netlink";
import { getField, setField } from "../wire/bytes";
import { align4, beginMessage, beginNested, eachAttribute, endMessage, endNested, familyHeader, NLMSG_HEADER_LEN, putBe16, putIpv4, putMac, putString, putU32, putU8, putZeros, readMac } from "./message";

// @ts-ignore: decorator
@inline export const IFINFOMSG_LEN: usize = 16;

/** The link record builds read and parses fill (shared/netlink.ts LinkField). */
export const LINK_RECORD: usize = memory.data(LINK_RECORD_FIELDS * 4, 16);

// @ts-ignore: decorator
@inline const IFLA_ADDRESS: u32 = 1;
// @ts-ignore: decorator
@inline const IFLA_IFNAME: u32 = 3;
// @ts-ignore: decorator
@inline const IFLA_MTU: u32 = 4;
// @ts-ignore: decorator
@inline const IFLA_MASTER: u32 = 10;
// @ts-ignore: decorator
@inline const IFLA_LINKINFO: u32 = 18;
// @ts-ignore: decorator
@inline const IFLA_NET_NS_FD: u32 = 28;
// @ts-ignore: decorator
@inline const IFLA_INFO_KIND: u32 = 1;
// @ts-ignore: decorator
@inline const IFLA_INFO_DATA: u32 = 2;
// @ts-ignore: decorator
@inline const IFLA_INFO_SLAVE_KIND: u32 = 4;
// @ts-ignore: decorator
@inline const IFLA_INFO_SLAVE_DATA: u32 = 5;
// @ts-ignore: decorator
@inline const IFLA_BRPORT_MODE: u32 = 4;
// @ts-ignore: decorator
@inline const IFLA_VXLAN_ID: u32 = 1;
// @ts-ignore: decorator
@inline const IFLA_VXLAN_LINK: u32 = 3;
// @ts-ignore: decorator
@inline const IFLA_VXLAN_LOCAL: u32 = 4;
// @ts-ignore: decorator
@inline const IFLA_VXLAN_LEARNING: u32 = 7;
// @ts-ignore: decorator
@inline const IFLA_VXLAN_PORT: u32 = 15;
// @ts-ignore: decorator
@inline const VETH_INFO_PEER: u32 = 1;

const BRIDGE = memory.data<u8>([0x62, 0x72, 0x69, 0x64, 0x67, 0x65]);
const VXLAN = memory.data<u8>([0x76, 0x78, 0x6c, 0x61, 0x6e]);
const VETH = memory.data<u8>([0x76, 0x65, 0x74, 0x68]);
const TUN = memory.data<u8>([0x74, 0x75, 0x6e]);

function putKind(type: u32, kind: LinkKind): void {
  if (kind == LinkKind.Bridge) putString(type, BRIDGE, 6);
  else if (kind == LinkKind.Vxlan) putString(type, VXLAN, 5);
  else if (kind == LinkKind.Veth) putString(type, VETH, 4);
}

function putVethPeer(record: usize): void {
  let peer = beginNested(VETH_INFO_PEER);
  putZeros(IFINFOMSG_LEN);
  let nameLength = getField(record, LinkField.PeerNameLength);
  if (nameLength != 0) putString(IFLA_IFNAME, getField(record, LinkField.PeerNameOffset), nameLength);
  if (getField(record, LinkField.PeerHasMac) != 0) putMac(IFLA_ADDRESS, getField(record, LinkField.PeerMacHigh), getField(record, LinkField.PeerMacLow));
  let mtu = getField(record, LinkField.PeerMtu);
  if (mtu != 0) putU32(IFLA_MTU, mtu);
  let namespace = getField(record, LinkField.PeerNamespaceFd);
  if (namespace != <u32>NO_NAMESPACE_FD) putU32(IFLA_NET_NS_FD, namespace);
  endNested(peer);
}

/**
 * Builds a link request (RTM_NEWLINK, RTM_DELLINK, or RTM_GETLINK of one link) from `record`
 * at `p`. Returns its length, or -Status (BadArgument for a name over 15 bytes or a kind it
 * cannot create, TooBig when it does not fit).
 */
export function buildLinkMessage(record: usize, p: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  let nameLength = getField(record, LinkField.NameLength);
  let kind = <LinkKind>getField(record, LinkField.Kind);
  if (nameLength > 15 || getField(record, LinkField.PeerNameLength) > 15) return -Status.BadArgument;
  if (kind != LinkKind.None && kind != LinkKind.Bridge && kind != LinkKind.Vxlan && kind != LinkKind.Veth) return -Status.BadArgument;
  if (!beginMessage(p, capacity, type, flags, sequence, IFINFOMSG_LEN)) return -Status.TooBig;
  let ifi = familyHeader();
  store<u32>(ifi + 4, getField(record, LinkField.Index));
  store<u32>(ifi + 8, getField(record, LinkField.Flags));
  store<u32>(ifi + 12, getField(record, LinkField.Change));
  if (nameLength != 0) putString(IFLA_IFNAME, getField(record, LinkField.NameOffset), nameLength);
  if (getField(record, LinkField.HasMac) != 0) putMac(IFLA_ADDRESS, getField(record, LinkField.MacHigh), getField(record, LinkField.MacLow));
  let mtu = getField(record, LinkField.Mtu);
  if (mtu != 0) putU32(IFLA_MTU, mtu);
  let master = getField(record, LinkField.Master);
  if (master != 0) putU32(IFLA_MASTER, master);
  if (kind != LinkKind.None) {
    let info = beginNested(IFLA_LINKINFO);
    putKind(IFLA_INFO_KIND, kind);
    if (kind == LinkKind.Vxlan) {
      let data = beginNested(IFLA_INFO_DATA);
      putU32(IFLA_VXLAN_ID, getField(record, LinkField.VxlanId));
      let underlay = getField(record, LinkField.VxlanLink);
      if (underlay != 0) putU32(IFLA_VXLAN_LINK, underlay);
      putIpv4(IFLA_VXLAN_LOCAL, getField(record, LinkField.VxlanLocal));
      putU8(IFLA_VXLAN_LEARNING, 0);
      putBe16(IFLA_VXLAN_PORT, getField(record, LinkField.VxlanPort));
      endNested(data);
    } else if (kind == LinkKind.Veth) {
      let data = beginNested(IFLA_INFO_DATA);
      putVethPeer(record);
      endNested(data);
    }
    endNested(info);
  }
  let hairpin = getField(record, LinkField.Hairpin);
  if (hairpin != 0) {
    let info = beginNested(IFLA_LINKINFO);
    putKind(IFLA_INFO_SLAVE_KIND, LinkKind.Bridge);
    let data = beginNested(IFLA_INFO_SLAVE_DATA);
    putU8(IFLA_BRPORT_MODE, hairpin == 2 ? 1 : 0);
    endNested(data);
    endNested(info);
  }
  return endMessage();
}

let parsing: usize = 0;

function sameText(data: usize, length: usize, text: usize, textLength: usize): bool {
  return length == textLength && memory.compare(data, text, length) == 0;
}

function readVxlanData(type: u32, data: usize, length: usize): Status {
  if (type == IFLA_VXLAN_ID || type == IFLA_VXLAN_LOCAL || type == IFLA_VXLAN_LINK) {
    if (length < 4) return Status.BadHeaderLength;
    if (type == IFLA_VXLAN_ID) setField(parsing, LinkField.VxlanId, load<u32>(data));
    else if (type == IFLA_VXLAN_LINK) setField(parsing, LinkField.VxlanLink, load<u32>(data));
    else setField(parsing, LinkField.VxlanLocal, bswap<u32>(load<u32>(data)));
  } else if (type == IFLA_VXLAN_PORT) {
    if (length < 2) return Status.BadHeaderLength;
    setField(parsing, LinkField.VxlanPort, <u32>bswap<u16>(load<u16>(data)));
  }
  return Status.Ok;
}

function readLinkInfo(type: u32, data: usize, length: usize): Status {
  // The kernel writes IFLA_INFO_KIND before IFLA_INFO_DATA: the kind says how to read the data.
  if (type == IFLA_INFO_DATA && getField(parsing, LinkField.Kind) == LinkKind.Vxlan) return eachAttribute(data, data + length, readVxlanData);
  if (type != IFLA_INFO_KIND) return Status.Ok;
  while (length > 0 && load<u8>(data + length - 1) == 0) length--;
  let kind = LinkKind.Other;
  if (sameText(data, length, BRIDGE, 6)) kind = LinkKind.Bridge;
  else if (sameText(data, length, VXLAN, 5)) kind = LinkKind.Vxlan;
  else if (sameText(data, length, VETH, 4)) kind = LinkKind.Veth;
  else if (sameText(data, length, TUN, 3)) kind = LinkKind.Tun;
  setField(parsing, LinkField.Kind, kind);
  return Status.Ok;
}

function readLinkAttribute(type: u32, data: usize, length: usize): Status {
  if (type == IFLA_IFNAME) {
    let text = length;
    while (text > 0 && load<u8>(data + text - 1) == 0) text--;
    setField(parsing, LinkField.NameOffset, <u32>data);
    setField(parsing, LinkField.NameLength, <u32>text);
  } else if (type == IFLA_ADDRESS) {
    // Ethernet-like links only; a TUN device has none, others longer ones.
    if (length == 6) {
      setField(parsing, LinkField.HasMac, 1);
      readMac(data, parsing, LinkField.MacHigh);
    }
  } else if (type == IFLA_MTU || type == IFLA_MASTER) {
    if (length < 4) return Status.BadHeaderLength;
    setField(parsing, type == IFLA_MTU ? LinkField.Mtu : LinkField.Master, load<u32>(data));
  } else if (type == IFLA_LINKINFO) {
    return eachAttribute(data, data + length, readLinkInfo);
  }
  return Status.Ok;
}

/**
 * Reads the RTM_NEWLINK message at `p` (`length` bytes, header included) into `record`: index,
 * flags, name (where it lies in the message), MAC, MTU, master, kind and a VXLAN device's VNI,
 * local address, underlay and port. Unknown attributes are skipped; one that runs past the
 * message is Truncated.
 */
export function parseLinkMessage(p: usize, length: usize, record: usize): Status {
  if (length < NLMSG_HEADER_LEN + IFINFOMSG_LEN) return Status.Truncated;
  memory.fill(record, 0, <usize>LINK_RECORD_FIELDS * 4);
  let ifi = p + NLMSG_HEADER_LEN;
  setField(record, LinkField.Index, load<u32>(ifi + 4));
  setField(record, LinkField.Flags, load<u32>(ifi + 8));
  parsing = record;
  return eachAttribute(ifi + align4(IFINFOMSG_LEN), p + length, readLinkAttribute);
}
