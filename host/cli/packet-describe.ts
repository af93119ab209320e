// What `podnet packet encode` builds from: user JSON (one object, an array, or one object per
// line), or flags (--vxlan, --src/--dst address and port pairs, TCP flags), as packet descriptions.

import type { PacketDescription } from "../packet/encode";
import type { LayerObject } from "../packet/layers";
import { UsageError } from "./usage-error";

/** Turns user JSON (one object, an array, or one object per line) into packet descriptions. */
export function descriptionsFrom(text: string): PacketDescription[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError("no packet description given: pass JSON as an argument, with --from FILE, or on stdin");
  try {
    const value = JSON.parse(trimmed);
    return Array.isArray(value) ? value : [value];
  } catch {
    return trimmed.split("\n").filter((line) => line.trim()).map((line, index) => {
      try {
        return JSON.parse(line);
      } catch (error) {
        throw new UsageError(`packet ${index + 1}: not JSON: ${(error as Error).message}`);
      }
    });
  }
}

export interface EncodeFlags {
  from?: string;
  vxlan?: boolean;
  flannelUdp?: boolean;
  ipip?: boolean;
  vni: string;
  outer?: string;
  inner?: string;
  icmpEcho?: boolean;
  udp?: string;
  tcp?: string;
  tcpFlags: string;
  payload: string;
  ttl: string;
  raw?: boolean;
  pcap?: string;
  recompute?: boolean;
}

function addressPair(text: string, flag: string): [string, string] {
  const parts = text.split(":");
  if (parts.length !== 2) throw new UsageError(`${flag} takes SOURCE:DESTINATION, got '${text}'`);
  return [parts[0], parts[1]];
}

function portPair(text: string, flag: string): [number, number] {
  const [source, destination] = text.split(":").map(Number);
  if (![source, destination].every((port) => Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`${flag} takes SPORT:DPORT (0–65535), got '${text}'`);
  return [source, destination];
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128, NS: 256 };

/** The layers a set of encode flags describes: Ethernet, IPv4, the encapsulation, inner IPv4, transport. */
export function describeFromFlags(flags: EncodeFlags): PacketDescription {
  const modes = [flags.vxlan, flags.flannelUdp, flags.ipip].filter(Boolean).length;
  if (modes > 1) throw new UsageError("choose one of --vxlan, --flannel-udp, --ipip");
  if (!flags.outer) throw new UsageError("--outer SOURCE:DESTINATION is required (or give a JSON description)");
  if (modes === 1 && !flags.inner) throw new UsageError("--inner SOURCE:DESTINATION is required with an encapsulation");
  const ttl = Number(flags.ttl);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new UsageError(`--ttl must be 0–255, got '${flags.ttl}'`);
  const ipv4 = ([source, destination]: [string, string], protocol: number): LayerObject => ({ layer: "ipv4", source, destination, ttl, protocol, dontFragment: 1 });
  const transports = [flags.icmpEcho, flags.udp, flags.tcp].filter(Boolean).length;
  if (transports > 1) throw new UsageError("choose one of --icmp-echo, --udp, --tcp");
  const transport: LayerObject[] = [];
  let protocol = 0;
  if (flags.icmpEcho) {
    transport.push({ layer: "icmpv4", type: 8, code: 0, restOfHeader: 0x00010001 });
    protocol = 1;
  } else if (flags.udp) {
    const [sourcePort, destinationPort] = portPair(flags.udp, "--udp");
    transport.push({ layer: "udp", sourcePort, destinationPort });
    protocol = 17;
  } else if (flags.tcp) {
    const [sourcePort, destinationPort] = portPair(flags.tcp, "--tcp");
    const bits = flags.tcpFlags.split(",").filter(Boolean).reduce((sum, name) => {
      const bit = TCP_FLAG_BITS[name.toUpperCase()];
      if (bit === undefined) throw new UsageError(`unknown TCP flag '${name}' (one of ${Object.keys(TCP_FLAG_BITS).join(", ")})`);
      return sum | bit;
    }, 0);
    transport.push({ layer: "tcp", sourcePort, destinationPort, sequence: 1, acknowledgment: 0, flags: bits, window: 64240, urgentPointer: 0 });
    protocol = 6;
  }
  const outerEthernet: LayerObject = { layer: "ethernet", destination: "02:00:00:00:00:02", source: "02:00:00:00:00:01", etherType: 0x0800 };
  const outerPair = addressPair(flags.outer, "--outer");
  let layers: LayerObject[];
  if (flags.vxlan || flags.flannelUdp || flags.ipip) {
    const innerPair = addressPair(flags.inner!, "--inner");
    const inner = [ipv4(innerPair, protocol), ...transport];
    if (flags.vxlan) {
      const vni = Number(flags.vni);
      if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) throw new UsageError(`--vni must be 0–16777215, got '${flags.vni}'`);
      layers = [outerEthernet, ipv4(outerPair, 17), { layer: "udp", sourcePort: 49152, destinationPort: 8472, checksum: 0 }, { layer: "vxlan", vni },
        { layer: "ethernet", destination: "02:00:00:00:01:02", source: "02:00:00:00:01:01", etherType: 0x0800 }, ...inner];
    } else if (flags.flannelUdp) {
      layers = [outerEthernet, ipv4(outerPair, 17), { layer: "udp", sourcePort: 8285, destinationPort: 8285 }, ...inner];
    } else {
      layers = [outerEthernet, ipv4(outerPair, 4), ...inner];
    }
  } else {
    layers = [outerEthernet, ipv4(outerPair, protocol), ...transport];
  }
  return { layers, payload: flags.payload };
}
