// A decoded packet as flat, tshark-style field names — ip.src, udp.dstport, vxlan.vni — with
// "inner." in front of everything past an encapsulation (VXLAN, Flannel UDP, IPIP). What
// --filter matches on, what the brief line is made of, and what the tests compare with tshark.

import type { LayerList } from "./layers";

/** Field name → value (strings for addresses and verdicts, numbers otherwise). */
export type FlatFields = Map<string, string | number>;

const NAMES: Record<string, Array<[string, string]>> = {
  ethernet: [["eth.dst", "destination"], ["eth.src", "source"], ["eth.type", "etherType"]],
  sll: [["sll.pkttype", "packetType"], ["sll.etype", "protocol"]],
  sll2: [["sll.pkttype", "packetType"], ["sll.etype", "protocol"], ["sll.ifindex", "interfaceIndex"]],
  arp: [["arp.opcode", "operation"], ["arp.src.hw_mac", "senderMac"], ["arp.src.proto_ipv4", "senderIp"], ["arp.dst.hw_mac", "targetMac"], ["arp.dst.proto_ipv4", "targetIp"]],
  ipv4: [["ip.src", "source"], ["ip.dst", "destination"], ["ip.ttl", "ttl"], ["ip.proto", "protocol"], ["ip.id", "identification"], ["ip.len", "totalLength"], ["ip.hdr_len", "headerLength"], ["ip.flags.df", "dontFragment"], ["ip.flags.mf", "moreFragments"], ["ip.frag_offset", "fragmentOffset"], ["ip.checksum", "checksum"], ["ip.checksum.status", "checksumStatus"]],
  icmpv4: [["icmp.type", "type"], ["icmp.code", "code"], ["icmp.checksum", "checksum"], ["icmp.checksum.status", "checksumStatus"]],
  udp: [["udp.srcport", "sourcePort"], ["udp.dstport", "destinationPort"], ["udp.length", "length"], ["udp.checksum", "checksum"], ["udp.checksum.status", "checksumStatus"]],
  tcp: [["tcp.srcport", "sourcePort"], ["tcp.dstport", "destinationPort"], ["tcp.seq_raw", "sequence"], ["tcp.ack_raw", "acknowledgment"], ["tcp.flags", "flags"], ["tcp.window_size_value", "window"], ["tcp.checksum", "checksum"], ["tcp.checksum.status", "checksumStatus"]],
  vxlan: [["vxlan.flags", "flags"], ["vxlan.vni", "vni"]],
};

/** Where an encapsulation starts: the layer after VXLAN, the IPv4 inside Flannel UDP or IPIP. */
export function encapsulationOf(layers: LayerList): { index: number; name: string } | undefined {
  for (let i = 1; i < layers.length; i++) {
    const previous = layers.name(i - 1);
    if (previous === "vxlan") return { index: i, name: "VXLAN" };
    if (layers.name(i) === "ipv4" && previous === "udp") return { index: i, name: "Flannel UDP" };
    if (layers.name(i) === "ipv4" && previous === "ipv4") return { index: i, name: "IPIP" };
  }
  return undefined;
}

/** What flatten and the brief line need of a packet, decoded to objects or still records. */
export interface PacketSummary {
  number: number;
  timestamp: number;
  originalLength: number;
  layers: LayerList;
  error?: { layer: string; offset: number; reason: string };
}

/** The packet's fields by tshark-style name. */
export function flatten(packet: PacketSummary): FlatFields {
  const flat: FlatFields = new Map();
  const layers = packet.layers;
  const inner = encapsulationOf(layers)?.index ?? Infinity;
  for (let index = 0; index < layers.length; index++) {
    const prefix = index >= inner ? "inner." : "";
    for (const [name, field] of NAMES[layers.name(index)] ?? []) {
      const value = layers.get(index, field);
      if (value !== undefined) flat.set(prefix + name, value);
    }
    const tci = layers.get(index, "vlanTci");
    if (layers.name(index) === "ethernet" && tci !== undefined) flat.set(`${prefix}vlan.id`, (tci as number) & 0xfff);
  }
  flat.set("frame.number", packet.number);
  flat.set("frame.len", packet.originalLength);
  return flat;
}

/** One --filter term: field, = or !=, value. */
export interface FilterTerm {
  field: string;
  negate: boolean;
  value: string;
}

/** Parses "field=value" or "field!=value"; the error shows the expected form. */
export function parseFilter(text: string): FilterTerm {
  const match = /^\s*([a-z0-9_.]+)\s*(!?=)\s*(\S+)\s*$/.exec(text);
  if (!match) throw new RangeError(`bad --filter '${text}': expected FIELD=VALUE or FIELD!=VALUE, e.g. inner.ip.dst=10.244.1.9`);
  return { field: match[1], negate: match[2] === "!=", value: match[3] };
}

/** True when the packet passes every term (numbers compare by value, also written in hex). */
export function matches(flat: FlatFields, terms: FilterTerm[]): boolean {
  return terms.every(({ field, negate, value }) => {
    const actual = flat.get(field);
    const equal = actual !== undefined && (typeof actual === "number" ? actual === Number(value) : actual === value);
    return equal !== negate;
  });
}
