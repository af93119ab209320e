// Decoding captured packets through the Wasm core's decodePacket: one call per packet, then
// the layer table read into plain objects. Works on any instance of the module (the CLI's, a
// browser's), so it takes the exports instead of loading them.

import { Status } from "../../assembly/shared/status";
import { HeaderKind, Ipv4Field, RECORD_FIELDS, TcpField } from "../../assembly/shared/fields";
import { DecodeSummary, LAYER_BYTES, LAYER_HEADER_BYTES, LayerField, MAX_LAYERS, SUMMARY_WORDS, UdpPayload } from "../../assembly/shared/decode";
import type { CoreExports } from "../wasm/module";
import { jsonSchemaBytes, LAYER_NAMES, ObjectLayers, RecordLayers, type LayerObject } from "./layers";
import { bgpLayers, carriesBgp } from "./bgp";
import type { PacketSummary } from "./fields";
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

const NO_BYTES = new Uint8Array(0);
// Headers take a few KiB of JSON; the rest is the payload as hex, two bytes per byte of a packet
// of up to the 256 KiB snap length pcap files carry.
const JSON_AREA_BYTES = 1 << 20;
const SCHEMA_CONFIGURED = new WeakSet<CoreExports>();
const LATIN1 = new TextDecoder("latin1");

/** A packet in the layer table, read lazily: fields are converted only when asked for. */
export interface RecordPacket extends PacketSummary {
  capturedLength: number;
  layers: RecordLayers;
  /** The packet as JSON text, identical to JSON.stringify of what decode() returns. */
  json(): string;
  /** The same text in three parts, the middle one bytes in linear memory, valid until the next call. */
  jsonParts(): { head: string; body: Uint8Array; tail: string };
}

/** Decodes packets with one module instance; reuses one input buffer in its linear memory. */
export class PacketDecoder {
  private pointer = 0;
  private capacity = 0;
  private memory?: ArrayBuffer;
  private words = new Uint32Array(0);
  private bytes = new Uint8Array(0);
  private table = 0;

  /** Where renderLayersJson writes: room for every header's JSON and a 64 KiB packet as hex. */
  private readonly jsonArea: number;

  /** Allocates what decoding needs now, so later growth cannot detach a caller's view of memory. */
  constructor(private readonly wasm: CoreExports, private readonly rule?: DecodeAsRule) {
    if (!SCHEMA_CONFIGURED.has(wasm)) {
      const schema = jsonSchemaBytes();
      const pointer = wasm.allocate(schema.length);
      new Uint8Array(wasm.memory.buffer).set(schema, pointer);
      if (pointer === 0 || wasm.configureJsonSchema(pointer, schema.length) !== Status.Ok) throw new RangeError("podnet.wasm refused the JSON schema");
      SCHEMA_CONFIGURED.add(wasm);
    }
    this.jsonArea = wasm.allocate(JSON_AREA_BYTES);
    if (this.jsonArea === 0) throw new RangeError("podnet.wasm refused the JSON output area");
  }

  /** Decodes `data` captured with `linkType` into plain objects. */
  decode(data: Uint8Array, linkType: number, number: number, timestamp: number, originalLength = data.length): DecodedPacket {
    return this.toObjects(this.decodeRecords(data, linkType, number, timestamp, originalLength));
  }

  /** The plain-object form of `records`, which must be the packet decoded last. */
  toObjects(records: RecordPacket): DecodedPacket {
    const layers: LayerObject[] = [];
    for (let index = 0; index < records.layers.length; index++) layers.push(records.layers.object(index));
    const { number, timestamp, capturedLength, originalLength } = records;
    const packet: DecodedPacket = { number, timestamp, capturedLength, originalLength, layers, payload: this.payloadHex() };
    if (this.trailerStart >= 0 && this.trailerStart < capturedLength) packet.trailer = toHex(this.bytes.subarray(this.packetStart + this.trailerStart, this.packetStart + capturedLength));
    if (records.error) packet.error = records.error;
    else if (packet.payload.length > 0 && carriesBgp(new ObjectLayers(layers))) this.decodeBgp(packet);
    return packet;
  }

  /** Moves the BGP messages at the start of the packet's TCP payload into layers of their own. */
  private decodeBgp(packet: DecodedPacket): void {
    const summary = (MAX_LAYERS * LAYER_BYTES) / 4;
    const offset = this.words[summary + DecodeSummary.PayloadOffset];
    const payload = this.bytes.slice(this.packetStart + offset, this.packetStart + Math.min(offset + this.words[summary + DecodeSummary.PayloadLength], this.packetLength));
    const bgp = bgpLayers(payload);
    packet.layers.push(...bgp.layers);
    packet.payload = toHex(payload.subarray(bgp.consumed));
    if (bgp.error) packet.error = { layer: "bgp", offset: offset + bgp.error.offset, reason: bgp.error.reason };
  }

  private packetStart = 0;
  private packetLength = 0;
  private trailerStart = -1;

  /** Decodes `data` into the layer table and returns a lazy view of it, valid until the next call. */
  decodeRecords(data: Uint8Array, linkType: number, number: number, timestamp: number, originalLength = data.length): RecordPacket {
    const pointer = data.buffer === this.wasm.memory.buffer ? data.byteOffset : this.copyIn(data);
    this.refreshViews();
    this.packetStart = pointer;
    this.packetLength = data.length;
    this.trailerStart = -1;
    const count = this.wasm.decodePacket(pointer, data.length, linkType, this.rule?.port ?? 0, this.rule?.carries ?? 0);
    const kinds: HeaderKind[] = [];
    const starts: number[] = [];
    const options: Array<[number, number]> = [];
    let error: DecodedPacket["error"];
    if (count < 0) {
      error = { layer: "link", offset: 0, reason: `link type ${linkType} is not one podnet decodes (1 Ethernet, 101/228 raw IPv4, 113 SLL, 276 SLL2)` };
    }
    const words = this.words;
    for (let index = 0; index < count; index++) {
      const row = (index * LAYER_BYTES) / 4;
      const kind = words[row + LayerField.Kind] as HeaderKind;
      const offset = words[row + LayerField.Offset];
      const status = words[row + LayerField.Status] as Status;
      if (status !== Status.Ok) {
        error = { layer: LAYER_NAMES[kind], offset, reason: REASONS[status] ?? Status[status] };
        break;
      }
      if (kind === HeaderKind.Ipv4 && this.trailerStart < 0) this.trailerStart = offset + words[row + LayerField.Extent];
      const record = row + LAYER_HEADER_BYTES / 4;
      const optionCount = kind === HeaderKind.Ipv4 ? words[record + Ipv4Field.HeaderLength] - 20 : kind === HeaderKind.Tcp ? words[record + TcpField.HeaderLength] - 20 : 0;
      kinds.push(kind);
      starts.push(record);
      options.push([this.table + index * LAYER_BYTES + LAYER_HEADER_BYTES + RECORD_FIELDS * 4, optionCount]);
    }
    if (count < 0) this.setSummary(0, data.length);
    const layers = new RecordLayers(words, kinds, starts, (index) => (options[index][1] === 0 ? NO_BYTES : this.bytes.subarray(options[index][0], options[index][0] + options[index][1])));
    const decoder = this;
    return {
      number, timestamp, capturedLength: data.length, originalLength, layers, error,
      jsonParts() {
        return {
          head: `{"number":${number},"timestamp":${timestamp},"capturedLength":${data.length},"originalLength":${originalLength},`,
          body: decoder.renderLayersJson(pointer, data.length),
          tail: error ? `,"error":${JSON.stringify(error)}}` : "}",
        };
      },
      json() {
        const { head, body, tail } = this.jsonParts();
        return head + LATIN1.decode(body) + tail;
      },
    };
  }

  /** The Wasm core's JSON of the last decoded packet's layers, payload and trailer. */
  private renderLayersJson(pointer: number, length: number): Uint8Array {
    const written = this.wasm.renderLayersJson(pointer, length, this.jsonArea, JSON_AREA_BYTES);
    if (written < 0) throw new RangeError(`renderLayersJson: ${Status[-written]}`);
    this.refreshViews();
    return this.bytes.subarray(this.jsonArea, this.jsonArea + written);
  }

  /** Hex of the bytes the last decoded packet's headers did not claim. */
  private payloadHex(): string {
    const summary = (MAX_LAYERS * LAYER_BYTES) / 4;
    const offset = this.words[summary + DecodeSummary.PayloadOffset];
    const length = this.words[summary + DecodeSummary.PayloadLength];
    return toHex(this.bytes.subarray(this.packetStart + offset, this.packetStart + Math.min(offset + length, this.packetLength)));
  }

  private setSummary(offset: number, length: number): void {
    const summary = (MAX_LAYERS * LAYER_BYTES) / 4;
    this.words[summary + DecodeSummary.PayloadOffset] = offset;
    this.words[summary + DecodeSummary.PayloadLength] = length;
  }

  /** Views over linear memory, re-taken when it has grown (growth detaches the old buffer). */
  private refreshViews(): void {
    const memory = this.wasm.memory.buffer;
    if (memory === this.memory) return;
    this.memory = memory;
    this.table = this.wasm.layerTable();
    this.words = new Uint32Array(memory, this.table, (MAX_LAYERS * LAYER_BYTES) / 4 + SUMMARY_WORDS);
    this.bytes = new Uint8Array(memory);
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
