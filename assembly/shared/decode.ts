// The layer table decodePacket fills: one row per header found, outermost first, each row a
// few words about the layer followed by that header's field record (shared/fields.ts). After the
// last row, the payload: the bytes no header claimed. Compiled by AssemblyScript and the host.

import { RECORD_BYTES } from "./fields";

/** Headers decodePacket follows at most (e.g. SLL, IPv4, UDP, VXLAN, Ethernet, IPv4, TCP = 7). */
export const MAX_LAYERS = 12;

export enum LayerField {
  /** HeaderKind of this layer. */
  Kind = 0,
  /** Byte offset of the header from the packet's start. */
  Offset = 1,
  /** Status of its parse; the last layer may hold an error, and then nothing follows it. */
  Status = 2,
  /** Bytes this layer and what it carries span (IPv4: total length; UDP: its length field). */
  Extent = 3,
}

/** Bytes before a layer's field record. */
export const LAYER_HEADER_BYTES = 16;
export const LAYER_BYTES = LAYER_HEADER_BYTES + RECORD_BYTES;

/** Words after the last layer row: where the unparsed payload starts and how long it is. */
export enum DecodeSummary {
  PayloadOffset = 0,
  PayloadLength = 1,
}

/** Capture link types decodePacket starts from (tcpdump.org link-layer header types). */
export enum LinkType {
  Ethernet = 1,
  Raw = 101,
  LinuxCooked = 113,
  Ipv4 = 228,
  LinuxCooked2 = 276,
}

/** What a UDP port carries, for decodePacket's decode-as rule. */
export enum UdpPayload {
  Default = 0,
  Vxlan = 1,
  /** Flannel's UDP backend: a bare inner IPv4 packet. */
  FlannelUdp = 2,
  /** Data: decode nothing further. */
  Data = 3,
}
