// Random but valid field sets for every header kind, for property tests: what emit must write
// and a parser must read back unchanged.
import { HeaderKind } from "../../assembly/shared/fields";
import type { HeaderFields } from "../../host/wasm/headers";
import { randomBytes } from "./random";

/** A header to emit: its fields, options and the payload its checksum covers. */
export interface RandomHeader {
  kind: HeaderKind;
  fields: HeaderFields;
  options: Uint8Array;
  payload: Uint8Array;
  source: number;
  destination: number;
}

export const ALL_KINDS = [HeaderKind.Ethernet, HeaderKind.Arp, HeaderKind.Ipv4, HeaderKind.Icmpv4, HeaderKind.Udp, HeaderKind.Tcp, HeaderKind.Vxlan];

/** A random valid header of `kind` drawn from `next`. */
export function randomHeader(kind: HeaderKind, next: () => number): RandomHeader {
  const bits = (count: number) => (count === 32 ? next() : next() & ((1 << count) - 1)) >>> 0;
  const payload = randomBytes(next, bits(7));
  const base = { kind, options: new Uint8Array(0), payload: new Uint8Array(0), source: bits(32), destination: bits(32) };
  switch (kind) {
    case HeaderKind.Ethernet: {
      const hasVlan = bits(1);
      let etherType = bits(16);
      if (etherType === 0x8100) etherType = 0x0800;
      return { ...base, fields: { destinationHigh: bits(16), destinationLow: bits(32), sourceHigh: bits(16), sourceLow: bits(32), hasVlan, vlanTci: hasVlan ? bits(16) : 0, etherType, headerLength: hasVlan ? 18 : 14 } };
    }
    case HeaderKind.Arp:
      return { ...base, fields: { hardwareType: 1, protocolType: 0x0800, hardwareLength: 6, protocolLength: 4, operation: bits(16), senderMacHigh: bits(16), senderMacLow: bits(32), senderIp: bits(32), targetMacHigh: bits(16), targetMacLow: bits(32), targetIp: bits(32) } };
    case HeaderKind.Ipv4: {
      const headerLength = 20 + 4 * (next() % 11);
      return {
        ...base, payload, options: randomBytes(next, headerLength - 20),
        fields: { version: 4, headerLength, dscp: bits(6), ecn: bits(2), totalLength: headerLength + payload.length, identification: bits(16), dontFragment: bits(1), moreFragments: bits(1), fragmentOffset: bits(13), ttl: bits(8), protocol: bits(8), source: base.source, destination: base.destination, reservedFlag: bits(1) },
      };
    }
    case HeaderKind.Icmpv4:
      return { ...base, payload, fields: { type: bits(8), code: bits(8), restOfHeader: bits(32), payloadLength: payload.length } };
    case HeaderKind.Udp:
      return { ...base, payload, fields: { sourcePort: bits(16), destinationPort: bits(16), length: 8 + payload.length } };
    case HeaderKind.Tcp: {
      const headerLength = 20 + 4 * (next() % 11);
      return {
        ...base, payload, options: randomBytes(next, headerLength - 20),
        fields: { sourcePort: bits(16), destinationPort: bits(16), sequence: bits(32), acknowledgment: bits(32), headerLength, flags: bits(9), window: bits(16), urgentPointer: bits(16), payloadLength: payload.length, reserved: bits(3) },
      };
    }
    case HeaderKind.Vxlan:
      return { ...base, fields: { flags: 0x08 | bits(8), vni: bits(24), reservedHigh: bits(24), reservedLow: bits(8) } };
  }
  throw new RangeError(`no generator for kind ${kind}`);
}
