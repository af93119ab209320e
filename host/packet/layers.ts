// The JSON form of decoded headers, shared by decode (record → object) and encode (object →
// record): each layer is {"layer": name, …fields}, field names as in assembly/shared/fields.ts
// in lower camel case, with MAC pairs joined into "aa:bb:…" strings, IPv4 addresses as dotted
// quads, checksum verdicts as "good" | "bad" | "absent", and IPv4/TCP options as hex.

import { ChecksumState, HeaderKind } from "../../assembly/shared/fields";
import { ipv4ToNumber, macToWords, numberToIpv4, wordsToMac } from "../net/addresses";
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
    if (mac) steps.push({ key: mac[0], index, show: "mac", lowIndex: names.indexOf(mac[2]) });
    else if (addresses.includes(name)) steps.push({ key: name, index, show: "ip", lowIndex: -1 });
    else if (name === "checksumState") steps.push({ key: "checksumStatus", index, show: "checksum", lowIndex: -1 });
    else steps.push({ key: name, index, show: "plain", lowIndex: -1 });
  });
  return steps;
}

/** Conversion steps per kind, worked out once: decoding a million packets runs them a million times. */
const PLANS = new Map<HeaderKind, Step[]>([...KIND_BY_NAME.values()].map((kind) => [kind, planFor(kind)]));

/** The layer object of the `kind` record whose words start at words[start]. */
export function layerFromRecord(kind: HeaderKind, words: Uint32Array, start: number, options: Uint8Array): LayerObject {
  const layer: LayerObject = { layer: LAYER_NAMES[kind] };
  for (const step of PLANS.get(kind)!) {
    const value = words[start + step.index];
    if (step.show === "plain") layer[step.key] = value;
    else if (step.show === "mac") layer[step.key] = wordsToMac(value, words[start + step.lowIndex]);
    else if (step.show === "ip") layer[step.key] = numberToIpv4(value);
    else layer[step.key] = CHECKSUM_WORDS[value];
  }
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
