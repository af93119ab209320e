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
  /** What decodePacket returned: the rows filled (a failed layer included). */
  LayerCount = 2,
}

/** Words after the layer rows. */
export const SUMMARY_WORDS = 3;

/**
 * The JSON schema renderLayersJson follows, written by the host once (configureJsonSchema) so
 * the field names live only in host/packet/layers.ts. Layout: for each HeaderKind k in 1…15 a
 * u32 offset at 4·k (0: kind unknown); at an offset, u8 step count, u8 opening length and the
 * opening bytes ({"layer":"name"), then per step u8 JsonFormat, u8 field index, u8 low index
 * (MACs), u8 key length and the key bytes (,"key":). At CHECKSUM_WORDS_OFFSET: three
 * length-prefixed words for ChecksumState 0, 1, 2 ("bad", "good", "absent", quoted).
 */
export enum JsonFormat {
  Number = 0,
  Mac = 1,
  Ipv4 = 2,
  ChecksumWord = 3,
  /** A number left out when the Ethernet record has no 802.1Q tag. */
  VlanNumber = 4,
}
export const JSON_SCHEMA_KINDS = 16;
export const CHECKSUM_WORDS_OFFSET = JSON_SCHEMA_KINDS * 4;

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
