// Text forms of a decoded packet: a verbose block per layer (like tshark -V, shorter) and a
// one-line summary (--brief).

import type { DecodedPacket } from "./decode";
import { encapsulationOf } from "./fields";
import type { LayerObject } from "./layers";

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

function layerTitle(layer: LayerObject): string {
  const title = TITLES[layer.layer] ?? layer.layer;
  switch (layer.layer) {
    case "ethernet": return `${title}, ${layer.source} → ${layer.destination}`;
    case "ipv4": return `${title}, ${layer.source} → ${layer.destination}`;
    case "udp": case "tcp": return `${title}, ${layer.sourcePort} → ${layer.destinationPort}`;
    case "vxlan": return `${title}, VNI ${layer.vni}`;
    case "icmpv4": return `${title}, ${ICMP_TYPES[layer.type as number] ?? `type ${layer.type}`}`;
    case "arp": return `${title}, ${layer.operation === 1 ? `who has ${layer.targetIp}? tell ${layer.senderIp}` : `${layer.senderIp} is at ${layer.senderMac}`}`;
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

function transportSummary(layer: LayerObject | undefined): string {
  if (!layer) return "";
  switch (layer.layer) {
    case "icmpv4": {
      const rest = layer.restOfHeader as number;
      const echo = layer.type === 0 || layer.type === 8 ? ` id=${rest >>> 16} seq=${rest & 0xffff}` : "";
      return ` ICMP ${ICMP_TYPES[layer.type as number] ?? `type ${layer.type} code ${layer.code}`}${echo}`;
    }
    case "udp": return ` UDP ${layer.sourcePort} → ${layer.destinationPort} len=${(layer.length as number) - 8}`;
    case "tcp": return ` TCP ${layer.sourcePort} → ${layer.destinationPort} [${tcpFlagNames(layer.flags as number)}] seq=${layer.sequence}`;
    case "arp": return ` ${layerTitle(layer)}`;
    default: return "";
  }
}

/** One line per packet: number, time, outer addresses, encapsulation, inner addresses, transport. */
export function formatBrief(packet: DecodedPacket): string {
  const layers = packet.layers;
  const encapsulation = encapsulationOf(layers);
  const outer = encapsulation ? layers.slice(0, encapsulation.index) : layers;
  const innerLayers = encapsulation ? layers.slice(encapsulation.index) : [];
  const ip = (list: LayerObject[]) => list.find((layer) => layer.layer === "ipv4");
  const outerIp = ip(outer);
  let line = `${packet.number} ${packet.timestamp.toFixed(6)}`;
  if (outerIp) line += ` ${outerIp.source} → ${outerIp.destination}`;
  else if (layers[0]?.layer === "ethernet") line += ` ${layers[0].source} → ${layers[0].destination}`;
  if (encapsulation) {
    const vxlan = outer.find((layer) => layer.layer === "vxlan");
    line += ` ${encapsulation.name}${vxlan ? ` vni=${vxlan.vni}` : ""}`;
    const innerIp = ip(innerLayers);
    if (innerIp) line += ` ${innerIp.source} → ${innerIp.destination}`;
  }
  const last = layers[layers.length - 1];
  line += transportSummary(last && last.layer !== "ipv4" && last.layer !== "ethernet" ? last : undefined);
  line += ` length=${packet.originalLength}`;
  const bad = layers.filter((layer) => layer.checksumStatus === "bad").map((layer) => `${TITLES[layer.layer]} checksum bad`);
  if (bad.length > 0) line += ` [${bad.join(", ")}]`;
  if (packet.error) line += ` [decode stopped at ${packet.error.layer}, byte ${packet.error.offset}: ${packet.error.reason}]`;
  return `${line}\n`;
}
