// Packets a host that is not a podnet node sends, built with the Wasm core's header writer, and
// sent from a raw socket inside a test's namespace (send-raw.ts): IPIP from a stranger, VXLAN
// datagrams with forged sources, outer fragments, floods.
import { execFileSync } from "node:child_process";
import { HeaderKind } from "../../assembly/shared/fields";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { emitHeader } from "../../host/wasm/headers";
import { repositoryRoot } from "../helpers/paths";

interface Outer {
  from: string;
  to: string;
  /** Fragment fields of the outer header. */
  moreFragments?: boolean;
  fragmentOffset?: number;
  identification?: number;
}

/** An IPv4 packet around `payload` (the kernel fills in the checksum when it is sent raw). */
export function ipv4(outer: Outer, protocol: number, payload: Uint8Array): Uint8Array {
  return emitHeader(HeaderKind.Ipv4, {
    version: 4, headerLength: 20, totalLength: 20 + payload.length, ttl: 64, protocol, source: ipv4ToNumber(outer.from), destination: ipv4ToNumber(outer.to),
    identification: outer.identification ?? 0x5151, moreFragments: outer.moreFragments ? 1 : 0, fragmentOffset: outer.fragmentOffset ?? 0,
  }, { payload });
}

/** An ICMP echo request from 10.99.0.1 to `destination`, as IPv4. */
export function echo(destination: string, dataBytes = 8): Uint8Array {
  const icmp = emitHeader(HeaderKind.Icmpv4, { type: 8, code: 0, restOfHeader: 0x77770001, payloadLength: dataBytes }, { payload: new Uint8Array(dataBytes).fill(0x21) });
  return ipv4({ from: "10.99.0.1", to: destination }, 1, icmp);
}

/** A UDP datagram's bytes (checksum 0: none, as IPv4 allows) to `port`. */
export function udp(port: number, payload: Uint8Array): Uint8Array {
  return emitHeader(HeaderKind.Udp, { sourcePort: 40000, destinationPort: port, length: 8 + payload.length, checksum: 0 }, { payload, keepChecksum: true });
}

/** VXLAN (VNI `vni`) around an inner IPv4 packet, inside an Ethernet frame to `destinationMac`. */
export function vxlan(vni: number, innerPacket: Uint8Array, destinationMac = "02:00:00:00:00:02"): Uint8Array {
  const mac = destinationMac.split(":").map((part) => parseInt(part, 16));
  const frame = emitHeader(HeaderKind.Ethernet, {
    destinationHigh: (mac[0] << 8) | mac[1], destinationLow: ((mac[2] << 24) | (mac[3] << 16) | (mac[4] << 8) | mac[5]) >>> 0,
    sourceHigh: 0x0200, sourceLow: 0x00000001, etherType: 0x0800,
  }, { payload: innerPacket });
  return emitHeader(HeaderKind.Vxlan, { flags: 0x08, vni }, { payload: frame });
}

/** `packet` (IPv4, no options) cut in two IP fragments, the first carrying `firstBytes` (a multiple of 8) of its payload. */
export function fragmentsOf(packet: Uint8Array, outer: Outer, firstBytes: number): [Uint8Array, Uint8Array] {
  const protocol = packet[9];
  const payload = packet.subarray(20);
  return [
    ipv4({ ...outer, moreFragments: true, fragmentOffset: 0 }, protocol, payload.subarray(0, firstBytes)),
    ipv4({ ...outer, moreFragments: false, fragmentOffset: firstBytes / 8 }, protocol, payload.subarray(firstBytes)),
  ];
}

export const hex = (packet: Uint8Array) => Buffer.from(packet).toString("hex");

/** Sends `packet` `count` times from a raw socket bound to `bindAddress` in `namespace`; returns how many went. */
export function sendRaw(namespace: string, bindAddress: string, packet: Uint8Array, count: number): number {
  const output = execFileSync("ip", ["netns", "exec", namespace, process.execPath, "--import", "tsx", `${repositoryRoot}test/netns/send-raw.ts`, bindAddress, hex(packet), String(count)], { encoding: "utf8" });
  return Number(/^sent (\d+)$/m.exec(output)![1]);
}
