// Text forms of a decoded packet: a verbose block per layer (like tshark -V, shorter) and a
// one-line summary (--brief).

import type { DecodedPacket } from "./decode";
import { encapsulationOf, type PacketSummary } from "./fields";
import { ObjectLayers, type LayerList, type LayerObject } from "./layers";

const TITLES: Record<string, string> = {
  ethernet: "Ethernet II", sll: "Linux cooked capture", sll2: "Linux cooked capture v2", arp: "ARP", ipv4: "IPv4",
  icmpv4: "ICMP", udp: "UDP", tcp: "TCP", vxlan: "VXLAN",
};
const ICMP_TYPES: Record<number, string> = { 0: "echo reply", 3: "destination unreachable", 8: "echo request", 11: "time exceeded" };
const TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"];
const HEX_FIELDS = new Set(["checksum", "etherType", "protocolType", "vlanTci", "sll.protocol", "sll2.protocol", "vxlan.flags"]);

const hexWord = (value: number) => `0x${value.toString(16).padStart(4, "0")}`;

/** TCP flag names set in `flags`, e.g. "SYN,ACK". */
export function tcpFlagNames(flags: number): string {
  return TCP_FLAGS.filter((_, bit) => flags & (1 << bit)).join(",");
}

/** An ARP packet in words, as tshark says it. */
function arpSummary(operation: unknown, targetIp: unknown, senderIp: unknown, senderMac: unknown): string {
  return operation === 1 ? `who has ${targetIp}? tell ${senderIp}` : `${senderIp} is at ${senderMac}`;
}

function layerTitle(layer: LayerObject): string {
  const title = TITLES[layer.layer] ?? layer.layer;
  switch (layer.layer) {
    case "ethernet": return `${title}, ${layer.source} → ${layer.destination}`;
    case "ipv4": return `${title}, ${layer.source} → ${layer.destination}`;
    case "udp": case "tcp": return `${title}, ${layer.sourcePort} → ${layer.destinationPort}`;
    case "vxlan": return `${title}, VNI ${layer.vni}`;
    case "bgp": return `BGP ${layer.message}`;
    case "icmpv4": return `${title}, ${ICMP_TYPES[layer.type as number] ?? `type ${layer.type}`}`;
    case "arp": return `${title}, ${arpSummary(layer.operation, layer.targetIp, layer.senderIp, layer.senderMac)}`;
    default: return title;
  }
}

/** The verbose text of a packet: a title line per layer, then its fields indented. */
export function formatVerbose(packet: DecodedPacket): string {
  const lines = [`Packet ${packet.number}: ${packet.capturedLength} bytes captured (${packet.originalLength} on the wire), time ${packet.timestamp.toFixed(6)}`];
  for (const layer of packet.layers) {
    lines.push(layerTitle(layer));
    for (const [name, value] of Object.entries(layer)) {
      if (name === "layer") continue;
      const hex = HEX_FIELDS.has(name) || HEX_FIELDS.has(`${layer.layer}.${name}`);
      const shown = typeof value === "number" && hex ? hexWord(value) : value;
      const extra = layer.layer === "tcp" && name === "flags" ? ` (${tcpFlagNames(value as number)})` : "";
      lines.push(`    ${name}: ${shown}${extra}`);
    }
  }
  if (packet.payload.length > 0) lines.push(`Data: ${packet.payload.length / 2} bytes`, `    ${packet.payload}`);
  if (packet.error) lines.push(`[Decode stopped at ${packet.error.layer}, byte ${packet.error.offset}: ${packet.error.reason}]`);
  return `${lines.join("\n")}\n`;
}

function transportSummary(layers: LayerList, index: number): string {
  const get = (key: string) => layers.get(index, key) as number;
  switch (layers.name(index)) {
    case "icmpv4": {
      const rest = get("restOfHeader");
      const type = get("type");
      const echo = type === 0 || type === 8 ? ` id=${rest >>> 16} seq=${rest & 0xffff}` : "";
      return ` ICMP ${ICMP_TYPES[type] ?? `type ${type} code ${get("code")}`}${echo}`;
    }
    case "udp": return ` UDP ${get("sourcePort")} → ${get("destinationPort")} len=${get("length") - 8}`;
    case "tcp": return ` TCP ${get("sourcePort")} → ${get("destinationPort")} [${tcpFlagNames(get("flags"))}] seq=${get("sequence")}`;
    case "arp": return ` ARP ${arpSummary(get("operation"), layers.get(index, "targetIp"), layers.get(index, "senderIp"), layers.get(index, "senderMac"))}`;
    default: return "";
  }
}

/** One line per packet: number, time, outer addresses, encapsulation, inner addresses, transport. */
export function formatBrief(packet: PacketSummary | DecodedPacket): string {
  const layers = Array.isArray(packet.layers) ? new ObjectLayers(packet.layers) : packet.layers;
  const encapsulation = encapsulationOf(layers);
  const split = encapsulation?.index ?? layers.length;
  const find = (name: string, from: number, to: number) => {
    for (let i = from; i < to; i++) if (layers.name(i) === name) return i;
    return -1;
  };
  const outerIp = find("ipv4", 0, split);
  let line = `${packet.number} ${packet.timestamp.toFixed(6)}`;
  if (outerIp >= 0) line += ` ${layers.get(outerIp, "source")} → ${layers.get(outerIp, "destination")}`;
  else if (layers.length > 0 && layers.name(0) === "ethernet") line += ` ${layers.get(0, "source")} → ${layers.get(0, "destination")}`;
  if (encapsulation) {
    const vxlan = find("vxlan", 0, split);
    line += ` ${encapsulation.name}${vxlan >= 0 ? ` vni=${layers.get(vxlan, "vni")}` : ""}`;
    const innerIp = find("ipv4", split, layers.length);
    if (innerIp >= 0) line += ` ${layers.get(innerIp, "source")} → ${layers.get(innerIp, "destination")}`;
  }
  if (layers.length > 0) line += transportSummary(layers, layers.length - 1);
  line += ` length=${packet.originalLength}`;
  const bad: string[] = [];
  for (let i = 0; i < layers.length; i++) if (layers.get(i, "checksumStatus") === "bad") bad.push(`${TITLES[layers.name(i)]} checksum bad`);
  if (bad.length > 0) line += ` [${bad.join(", ")}]`;
  if (packet.error) line += ` [decode stopped at ${packet.error.layer}, byte ${packet.error.offset}: ${packet.error.reason}]`;
  return `${line}\n`;
}
