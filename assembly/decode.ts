// Whole-packet decoding for `podnet packet decode` and the browser decoder: one call per packet
// walks every header the core knows, outermost first, into the layer table (shared/decode.ts).
// Encapsulations are recognised as tshark does by default plus podnet's own: VXLAN on UDP 8472
// (Flannel) and 4789 (IANA), Flannel UDP on 8285 (a bare IPv4 packet), IPIP by protocol 4; one
// decode-as rule can name another port. A header that fails to parse is the last layer, with its
// Status; later fragments are not looked into.

import { Status } from "./shared/status";
import {
  ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetField, FLANNEL_UDP_PORT, FLANNEL_VXLAN_PORT, HeaderKind, IANA_VXLAN_PORT,
  IP_PROTOCOL_ICMP, IP_PROTOCOL_IPIP, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, Ipv4Field, LinuxCookedField, TcpField, UdpField,
} from "./shared/fields";
import { DecodeSummary, LAYER_BYTES, LAYER_HEADER_BYTES, LayerField, LinkType, MAX_LAYERS, SUMMARY_WORDS, UdpPayload } from "./shared/decode";
import { getField, setField } from "./wire/bytes";
import { parseInto } from "./headers";

/** The layer table, followed by the DecodeSummary words. */
export const LAYER_TABLE: usize = memory.data(MAX_LAYERS * LAYER_BYTES + SUMMARY_WORDS * 4, 16);

// @ts-ignore: decorator
@inline const NONE: u32 = 0;

/** What a UDP datagram between these ports carries. */
function udpPayload(source: u32, destination: u32, rulePort: u32, ruleKind: u32): u32 {
  if (rulePort != 0 && (destination == rulePort || source == rulePort)) return ruleKind;
  for (let pass = 0; pass < 2; pass++) {
    let port = pass == 0 ? destination : source;
    if (port == FLANNEL_VXLAN_PORT || port == IANA_VXLAN_PORT) return UdpPayload.Vxlan;
    if (port == FLANNEL_UDP_PORT) return UdpPayload.FlannelUdp;
  }
  return UdpPayload.Data;
}

/**
 * Decodes the `len`-byte packet at `p` captured with `linkType`. `rulePort`/`ruleKind` (a
 * UdpPayload) override what one UDP port carries; 0 for none. Returns the number of layers.
 */
export function decodePacket(p: usize, len: usize, linkType: u32, rulePort: u32, ruleKind: u32): i32 {
  let kind: u32 = NONE;
  if (linkType == LinkType.Ethernet) kind = HeaderKind.Ethernet;
  else if (linkType == LinkType.Raw || linkType == LinkType.Ipv4) kind = HeaderKind.Ipv4;
  else if (linkType == LinkType.LinuxCooked) kind = HeaderKind.LinuxCooked;
  else if (linkType == LinkType.LinuxCooked2) kind = HeaderKind.LinuxCooked2;
  else return -Status.Unsupported;

  let offset: usize = 0;
  let end: usize = len;
  let source: u32 = 0;
  let destination: u32 = 0;
  let count = 0;
  while (kind != NONE && count < MAX_LAYERS) {
    let row = LAYER_TABLE + <usize>count * LAYER_BYTES;
    let record = row + LAYER_HEADER_BYTES;
    let status = parseInto(kind, p + offset, end - offset, record, source, destination);
    setField(row, LayerField.Kind, kind);
    setField(row, LayerField.Offset, <u32>offset);
    setField(row, LayerField.Status, status);
    setField(row, LayerField.Extent, <u32>(end - offset));
    count++;
    if (status != Status.Ok) break;
    let next: u32 = NONE;
    let headerLength: usize = 0;
    switch (kind) {
      case HeaderKind.Ethernet:
      case HeaderKind.LinuxCooked:
      case HeaderKind.LinuxCooked2: {
        let type = kind == HeaderKind.Ethernet ? getField(record, EthernetField.EtherType) : getField(record, LinuxCookedField.Protocol);
        headerLength = <usize>(kind == HeaderKind.Ethernet ? getField(record, EthernetField.HeaderLength) : getField(record, LinuxCookedField.HeaderLength));
        next = type == ETHERTYPE_IPV4 ? HeaderKind.Ipv4 : type == ETHERTYPE_ARP ? HeaderKind.Arp : NONE;
        break;
      }
      case HeaderKind.Arp:
        headerLength = 28;
        break;
      case HeaderKind.Ipv4: {
        headerLength = <usize>getField(record, Ipv4Field.HeaderLength);
        // Bytes past the total length (link padding) belong to no layer inside.
        end = offset + <usize>getField(record, Ipv4Field.TotalLength);
        setField(row, LayerField.Extent, getField(record, Ipv4Field.TotalLength));
        source = getField(record, Ipv4Field.Source);
        destination = getField(record, Ipv4Field.Destination);
        if (getField(record, Ipv4Field.FragmentOffset) != 0) break;
        let protocol = getField(record, Ipv4Field.Protocol);
        next = protocol == IP_PROTOCOL_UDP ? HeaderKind.Udp : protocol == IP_PROTOCOL_TCP ? HeaderKind.Tcp
          : protocol == IP_PROTOCOL_ICMP ? HeaderKind.Icmpv4 : protocol == IP_PROTOCOL_IPIP ? HeaderKind.Ipv4 : NONE;
        break;
      }
      case HeaderKind.Icmpv4:
        headerLength = 8;
        break;
      case HeaderKind.Tcp:
        headerLength = <usize>getField(record, TcpField.HeaderLength);
        break;
      case HeaderKind.Udp: {
        headerLength = 8;
        end = offset + <usize>getField(record, UdpField.Length);
        setField(row, LayerField.Extent, getField(record, UdpField.Length));
        let carried = udpPayload(getField(record, UdpField.SourcePort), getField(record, UdpField.DestinationPort), rulePort, ruleKind);
        next = carried == UdpPayload.Vxlan ? HeaderKind.Vxlan : carried == UdpPayload.FlannelUdp ? HeaderKind.Ipv4 : NONE;
        break;
      }
      case HeaderKind.Vxlan:
        headerLength = 8;
        next = HeaderKind.Ethernet;
        break;
    }
    offset += headerLength;
    kind = next;
  }
  let summary = LAYER_TABLE + <usize>MAX_LAYERS * LAYER_BYTES;
  let lastFailed = count > 0 && getField(LAYER_TABLE + <usize>(count - 1) * LAYER_BYTES, LayerField.Status) != Status.Ok;
  if (lastFailed) offset = <usize>getField(LAYER_TABLE + <usize>(count - 1) * LAYER_BYTES, LayerField.Offset);
  setField(summary, DecodeSummary.PayloadOffset, <u32>offset);
  setField(summary, DecodeSummary.PayloadLength, end > offset ? <u32>(end - offset) : 0);
  setField(summary, DecodeSummary.LayerCount, <u32>count);
  return count;
}
