// Decoding captured packets through the Wasm core's decodePacket: one call per packet, then
// the layer table read into plain objects. Works on any instance of the module (the CLI's, a
// browser's), so it takes the exports instead of loading them.

import { Status } from "../../assembly/shared/status";
import { HeaderKind, Ipv4Field, RECORD_FIELDS, TcpField } from "../../assembly/shared/fields";
import { DecodeSummary, LAYER_BYTES, LAYER_HEADER_BYTES, LayerField, MAX_LAYERS, UdpPayload } from "../../assembly/shared/decode";
import type { CoreExports } from "../wasm/module";
import { LAYER_NAMES, layerFromRecord, type LayerObject } from "./layers";
import { toHex } from "./hex";

/** A decoded packet: its layers, outermost first, and the bytes no header claimed. */
export interface DecodedPacket {
  number: number;
  timestamp: number;
  capturedLength: number;
  originalLength: number;
  layers: LayerObject[];
  /** Hex of the bytes after the last header. */
  payload: string;
  /** Hex of link-layer padding after the outermost IPv4 packet, when there is any. */
  trailer?: string;
  /** Why decoding stopped early: the failing layer, its offset in the packet and the reason. */
  error?: { layer: string; offset: number; reason: string };
}

/** A "udp.port=N:vxlan|flannel-udp|data" rule. */
export interface DecodeAsRule {
  port: number;
  carries: UdpPayload;
}

const RULE_PAYLOADS: Record<string, UdpPayload> = { vxlan: UdpPayload.Vxlan, "flannel-udp": UdpPayload.FlannelUdp, data: UdpPayload.Data };

/** Parses a --decode-as rule; the error says what the rule should look like. */
export function parseDecodeAs(text: string): DecodeAsRule {
  const match = /^udp\.port=(\d{1,5}):([a-z-]+)$/.exec(text.trim());
  const carries = match ? RULE_PAYLOADS[match[2]] : undefined;
  const port = match ? Number(match[1]) : NaN;
  if (!match || carries === undefined || port < 1 || port > 65535) {
    throw new RangeError(`bad --decode-as '${text}': expected udp.port=PORT:vxlan|flannel-udp|data`);
  }
  return { port, carries };
}

const REASONS: Partial<Record<Status, string>> = {
  [Status.Truncated]: "truncated: its length fields claim more bytes than were captured",
  [Status.BadVersion]: "not IP version 4",
  [Status.BadHeaderLength]: "its header length field is impossible",
  [Status.Unsupported]: "a variant podnet does not decode",
  [Status.Malformed]: "breaks its protocol's rules (VXLAN without the I flag)",
};

/** Decodes packets with one module instance; reuses one input buffer in its linear memory. */
export class PacketDecoder {
  private pointer = 0;
  private capacity = 0;

  /** `withBytes`: fill payload and trailer (hex); the brief form needs neither. */
  constructor(private readonly wasm: CoreExports, private readonly rule?: DecodeAsRule, private readonly withBytes = true) {}

  /** Decodes `data` captured with `linkType`. `inMemory`: data already is a view of the module's memory. */
  decode(data: Uint8Array, linkType: number, number: number, timestamp: number, originalLength = data.length): DecodedPacket {
    const pointer = data.buffer === this.wasm.memory.buffer ? data.byteOffset : this.copyIn(data);
    const count = this.wasm.decodePacket(pointer, data.length, linkType, this.rule?.port ?? 0, this.rule?.carries ?? 0);
    const packet: DecodedPacket = { number, timestamp, capturedLength: data.length, originalLength, layers: [], payload: "" };
    if (count < 0) {
      packet.error = { layer: "link", offset: 0, reason: `link type ${linkType} is not one podnet decodes (1 Ethernet, 101/228 raw IPv4, 113 SLL, 276 SLL2)` };
      packet.payload = toHex(data);
      return packet;
    }
    const memory = this.wasm.memory.buffer;
    const table = this.wasm.layerTable();
    const words = new Uint32Array(memory, table, (MAX_LAYERS * LAYER_BYTES) / 4 + 2);
    const bytes = new Uint8Array(memory);
    let trailerStart = -1;
    for (let index = 0; index < count; index++) {
      const row = (index * LAYER_BYTES) / 4;
      const kind = words[row + LayerField.Kind] as HeaderKind;
      const offset = words[row + LayerField.Offset];
      const status = words[row + LayerField.Status] as Status;
      if (kind === HeaderKind.Ipv4 && trailerStart < 0 && status === Status.Ok) trailerStart = offset + words[row + LayerField.Extent];
      if (status !== Status.Ok) {
        packet.error = { layer: LAYER_NAMES[kind], offset, reason: REASONS[status] ?? Status[status] };
        break;
      }
      const record = row + LAYER_HEADER_BYTES / 4;
      const optionCount = kind === HeaderKind.Ipv4 ? words[record + Ipv4Field.HeaderLength] - 20 : kind === HeaderKind.Tcp ? words[record + TcpField.HeaderLength] - 20 : 0;
      const optionStart = table + index * LAYER_BYTES + LAYER_HEADER_BYTES + RECORD_FIELDS * 4;
      packet.layers.push(layerFromRecord(kind, words, record, bytes.subarray(optionStart, optionStart + optionCount)));
    }
    const summary = (MAX_LAYERS * LAYER_BYTES) / 4;
    const payloadOffset = words[summary + DecodeSummary.PayloadOffset];
    const payloadLength = words[summary + DecodeSummary.PayloadLength];
    if (!this.withBytes) return packet;
    packet.payload = toHex(bytes.subarray(pointer + payloadOffset, pointer + Math.min(payloadOffset + payloadLength, data.length)));
    if (trailerStart >= 0 && trailerStart < data.length) packet.trailer = toHex(bytes.subarray(pointer + trailerStart, pointer + data.length));
    return packet;
  }

  private copyIn(data: Uint8Array): number {
    if (data.length > this.capacity) {
      this.capacity = Math.max(4096, Math.ceil(data.length / 4096) * 4096);
      this.pointer = this.wasm.allocate(this.capacity);
      if (this.pointer === 0) throw new RangeError(`podnet.wasm refused a ${this.capacity}-byte buffer`);
    }
    new Uint8Array(this.wasm.memory.buffer).set(data, this.pointer);
    return this.pointer;
  }
}
