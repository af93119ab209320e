// The JSON form of decoded headers, shared by decode (record → object) and encode (object →
// record): each layer is {"layer": name, …fields}, field names as in assembly/shared/fields.ts
// in lower camel case, with MAC pairs joined into "aa:bb:…" strings, IPv4 addresses as dotted
// quads, checksum verdicts as "good" | "bad" | "absent", and IPv4/TCP options as hex.

import { ChecksumState, EthernetField, HeaderKind } from "../../assembly/shared/fields";
import { CHECKSUM_WORDS_OFFSET, JsonFormat } from "../../assembly/shared/decode";
import { ipv4ToNumber, macToWords, numberToIpv4, wordsToMac } from "../shared/addresses";
import { fromHex, toHex } from "./hex";
import { FIELD_NAMES } from "../wasm/field-names";

/** A decoded layer as JSON shows it. */
export type LayerObject = { layer: string } & Record<string, string | number>;

/** Layer names in JSON, per HeaderKind. */
export const LAYER_NAMES: Readonly<Record<HeaderKind, string>> = {
  [HeaderKind.Ethernet]: "ethernet",
  [HeaderKind.Arp]: "arp",
  [HeaderKind.Ipv4]: "ipv4",
  [HeaderKind.Icmpv4]: "icmpv4",
  [HeaderKind.Udp]: "udp",
  [HeaderKind.Tcp]: "tcp",
  [HeaderKind.Vxlan]: "vxlan",
  [HeaderKind.LinuxCooked]: "sll",
  [HeaderKind.LinuxCooked2]: "sll2",
};

export const KIND_BY_NAME: ReadonlyMap<string, HeaderKind> = new Map(
  Object.entries(LAYER_NAMES).map(([kind, name]) => [name, Number(kind) as HeaderKind]),
);

/** Field pairs shown as one MAC string: [joined name, high field, low field]. */
const MAC_FIELDS: Partial<Record<HeaderKind, Array<[string, string, string]>>> = {
  [HeaderKind.Ethernet]: [["destination", "destinationHigh", "destinationLow"], ["source", "sourceHigh", "sourceLow"]],
  [HeaderKind.Arp]: [["senderMac", "senderMacHigh", "senderMacLow"], ["targetMac", "targetMacHigh", "targetMacLow"]],
};

/** Fields shown as dotted-quad IPv4 addresses. */
const ADDRESS_FIELDS: Partial<Record<HeaderKind, string[]>> = {
  [HeaderKind.Ipv4]: ["source", "destination"],
  [HeaderKind.Arp]: ["senderIp", "targetIp"],
};

/** Fields the layer object leaves out: derived on decode, computed on encode. */
const HIDDEN_FIELDS: Partial<Record<HeaderKind, string[]>> = {
  [HeaderKind.Ethernet]: ["headerLength"],
  [HeaderKind.LinuxCooked]: ["headerLength", "interfaceIndex"],
  [HeaderKind.LinuxCooked2]: ["headerLength"],
  [HeaderKind.Icmpv4]: ["payloadLength"],
  [HeaderKind.Tcp]: ["payloadLength"],
};

const CHECKSUM_WORDS: Record<number, string> = { [ChecksumState.Good]: "good", [ChecksumState.Bad]: "bad", [ChecksumState.Absent]: "absent" };

/** How one record word becomes part of a layer object. */
interface Step {
  key: string;
  /** `,"key":` — the JSON text before the value, made once. */
  jsonKey: string;
  index: number;
  show: "plain" | "mac" | "ip" | "checksum";
  /** For a MAC: the word with its low 32 bits. */
  lowIndex: number;
}

function planFor(kind: HeaderKind): Step[] {
  const names = FIELD_NAMES[kind];
  const macs = MAC_FIELDS[kind] ?? [];
  const lows = new Set(macs.map(([, , low]) => low));
  const addresses = ADDRESS_FIELDS[kind] ?? [];
  const hidden = HIDDEN_FIELDS[kind] ?? [];
  const steps: Step[] = [];
  names.forEach((name, index) => {
    if (hidden.includes(name) || lows.has(name)) return;
    const mac = macs.find(([, high]) => high === name);
    const step = (key: string, show: Step["show"], lowIndex = -1): Step => ({ key, jsonKey: `,"${key}":`, index, show, lowIndex });
    if (mac) steps.push(step(mac[0], "mac", names.indexOf(mac[2])));
    else if (addresses.includes(name)) steps.push(step(name, "ip"));
    else if (name === "checksumState") steps.push(step("checksumStatus", "checksum"));
    else steps.push(step(name, "plain"));
  });
  return steps;
}

/** Conversion steps per kind, worked out once: decoding a million packets runs them a million times. */
const PLANS = new Map<HeaderKind, Step[]>([...KIND_BY_NAME.values()].map((kind) => [kind, planFor(kind)]));
const STEPS_BY_KEY = new Map<HeaderKind, Map<string, Step>>([...PLANS].map(([kind, steps]) => [kind, new Map(steps.map((step) => [step.key, step]))]));

function shown(step: Step, words: Uint32Array, start: number): string | number {
  const value = words[start + step.index];
  if (step.show === "plain") return value;
  if (step.show === "mac") return wordsToMac(value, words[start + step.lowIndex]);
  if (step.show === "ip") return numberToIpv4(value);
  return CHECKSUM_WORDS[value];
}

const VLAN_KEYS = new Set(["hasVlan", "vlanTci"]);

/** An Ethernet record without an 802.1Q tag: its layer object leaves the tag fields out. */
function untagged(kind: HeaderKind, words: Uint32Array, start: number): boolean {
  return kind === HeaderKind.Ethernet && words[start + EthernetField.HasVlan] === 0;
}

/** Read access to a packet's layers, whether built as objects or still records in Wasm memory. */
export interface LayerList {
  readonly length: number;
  /** The layer's JSON name ("ipv4", "udp", …). */
  name(index: number): string;
  /** A field as the layer object would hold it, or undefined. */
  get(index: number, key: string): string | number | undefined;
}

/** LayerList over layer objects. */
export class ObjectLayers implements LayerList {
  constructor(private readonly layers: LayerObject[]) {}
  get length(): number {
    return this.layers.length;
  }
  name(index: number): string {
    return this.layers[index].layer;
  }
  get(index: number, key: string): string | number | undefined {
    return this.layers[index][key];
  }
}

/** LayerList read straight from decodePacket's layer table: nothing is built that is not asked for. */
export class RecordLayers implements LayerList {
  constructor(
    private readonly words: Uint32Array,
    private readonly kinds: HeaderKind[],
    private readonly starts: number[],
    private readonly options: (index: number) => Uint8Array,
  ) {}

  /** Layer `index` as an object. */
  object(index: number): LayerObject {
    return layerFromRecord(this.kinds[index], this.words, this.starts[index], this.options(index));
  }


  get length(): number {
    return this.kinds.length;
  }
  name(index: number): string {
    return LAYER_NAMES[this.kinds[index]];
  }
  get(index: number, key: string): string | number | undefined {
    const kind = this.kinds[index];
    const step = STEPS_BY_KEY.get(kind)!.get(key);
    if (!step || (untagged(kind, this.words, this.starts[index]) && VLAN_KEYS.has(key))) return undefined;
    return shown(step, this.words, this.starts[index]);
  }
}

/** The layer object of the `kind` record whose words start at words[start]. */
export function layerFromRecord(kind: HeaderKind, words: Uint32Array, start: number, options: Uint8Array): LayerObject {
  const layer: LayerObject = { layer: LAYER_NAMES[kind] };
  for (const step of PLANS.get(kind)!) layer[step.key] = shown(step, words, start);
  if (kind === HeaderKind.Ethernet && layer.hasVlan === 0) {
    delete layer.hasVlan;
    delete layer.vlanTci;
  }
  if (options.length > 0) layer.options = toHex(options);
  return layer;
}

/** Thrown when a layer object cannot become a header; names the layer and field. */
export class LayerError extends Error {
  readonly code = "LAYER";
}

/** A layer object back to record fields (numbers) and option bytes; unknown fields are refused. */
export function fromLayerObject(object: LayerObject, where: string): { kind: HeaderKind; fields: Record<string, number>; options: Uint8Array } {
  const kind = KIND_BY_NAME.get(object.layer);
  if (kind === undefined) throw new LayerError(`${where}: unknown layer '${object.layer}' (one of ${[...KIND_BY_NAME.keys()].join(", ")})`);
  const fieldNames = FIELD_NAMES[kind];
  const fields: Record<string, number> = {};
  const macs = MAC_FIELDS[kind] ?? [];
  const addresses = ADDRESS_FIELDS[kind] ?? [];
  let options: Uint8Array = new Uint8Array(0);
  for (const [name, value] of Object.entries(object)) {
    if (name === "layer" || name === "checksumStatus") continue;
    const mac = macs.find(([joined]) => joined === name);
    try {
      if (mac) [fields[mac[1]], fields[mac[2]]] = macToWords(String(value));
      else if (addresses.includes(name)) fields[name] = ipv4ToNumber(String(value));
      else if (name === "options") options = fromHex(String(value));
      else if (fieldNames.includes(name) && Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff) fields[name] = value as number;
      else if (fieldNames.includes(name)) throw new LayerError(`must be a whole number from 0 to 4294967295, not ${JSON.stringify(value)}`);
      else throw new LayerError(`no such field in ${object.layer} (fields: ${fieldNames.filter((field) => !field.endsWith("High") && !field.endsWith("Low")).join(", ")})`);
    } catch (error) {
      throw new LayerError(`${where}: ${object.layer}.${name}: ${(error as Error).message}`);
    }
  }
  if (kind === HeaderKind.Ethernet) fields.hasVlan = "vlanTci" in object ? 1 : 0;
  return { kind, fields, options };
}

/** The schema renderLayersJson follows (layout in assembly/shared/decode.ts), from the same plans. */
export function jsonSchemaBytes(): Uint8Array {
  const encoder = new TextEncoder();
  const parts: number[] = new Array(CHECKSUM_WORDS_OFFSET).fill(0);
  for (const word of ['"bad"', '"good"', '"absent"']) parts.push(word.length, ...encoder.encode(word));
  for (const [kind, steps] of PLANS) {
    const at = parts.length;
    [at & 255, (at >>> 8) & 255, (at >>> 16) & 255, at >>> 24].forEach((byte, i) => (parts[kind * 4 + i] = byte));
    const opening = encoder.encode(`{"layer":"${LAYER_NAMES[kind]}"`);
    parts.push(steps.length, opening.length, ...opening);
    for (const step of steps) {
      const format = step.show === "mac" ? JsonFormat.Mac : step.show === "ip" ? JsonFormat.Ipv4 : step.show === "checksum" ? JsonFormat.ChecksumWord
        : kind === HeaderKind.Ethernet && VLAN_KEYS.has(step.key) ? JsonFormat.VlanNumber : JsonFormat.Number;
      const key = encoder.encode(step.jsonKey);
      parts.push(format, step.index, Math.max(step.lowIndex, 0), key.length, ...key);
    }
  }
  return Uint8Array.from(parts);
}
