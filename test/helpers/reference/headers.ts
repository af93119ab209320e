// Plain TypeScript parse and emit for every header the Wasm core handles, written straight from
// the RFCs with DataView: the oracle the tests hold the core against. Never used in production.

import { Status } from "../../../assembly/shared/status";
import { ChecksumState, HeaderKind } from "../../../assembly/shared/fields";
import { referenceChecksum } from "./checksum";
import type { HeaderFields, ParsedHeader } from "../../../host/wasm/headers";

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const macHigh = (v: DataView, at: number) => v.getUint16(at);
const macLow = (v: DataView, at: number) => v.getUint32(at);

function pseudo(source: number, destination: number, protocol: number, length: number): number {
  return (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
}

function result(status: Status, fields: HeaderFields, options = new Uint8Array(0)): ParsedHeader {
  return { status, fields, options };
}

/** Reference parse of a `kind` header; fields not reached before a failure are absent. */
export function referenceParse(kind: HeaderKind, bytes: Uint8Array, source = 0, destination = 0): ParsedHeader {
  const v = view(bytes);
  const n = bytes.length;
  switch (kind) {
    case HeaderKind.Ethernet: {
      if (n < 14) return result(Status.Truncated, {});
      const base = { destinationHigh: macHigh(v, 0), destinationLow: macLow(v, 2), sourceHigh: macHigh(v, 6), sourceLow: macLow(v, 8) };
      if (v.getUint16(12) !== 0x8100) return result(Status.Ok, { ...base, hasVlan: 0, vlanTci: 0, etherType: v.getUint16(12), headerLength: 14 });
      if (n < 18) return result(Status.Truncated, {});
      return result(Status.Ok, { ...base, hasVlan: 1, vlanTci: v.getUint16(14), etherType: v.getUint16(16), headerLength: 18 });
    }
    case HeaderKind.Arp: {
      if (n < 8) return result(Status.Truncated, {});
      const head = { hardwareType: v.getUint16(0), protocolType: v.getUint16(2), hardwareLength: v.getUint8(4), protocolLength: v.getUint8(5), operation: v.getUint16(6) };
      if (head.hardwareType !== 1 || head.protocolType !== 0x0800 || head.hardwareLength !== 6 || head.protocolLength !== 4) return result(Status.Unsupported, head);
      if (n < 28) return result(Status.Truncated, head);
      return result(Status.Ok, {
        ...head, senderMacHigh: macHigh(v, 8), senderMacLow: macLow(v, 10), senderIp: v.getUint32(14),
        targetMacHigh: macHigh(v, 18), targetMacLow: macLow(v, 20), targetIp: v.getUint32(24),
      });
    }
    case HeaderKind.Ipv4: {
      if (n < 20) return result(Status.Truncated, {});
      if (v.getUint8(0) >> 4 !== 4) return result(Status.BadVersion, {});
      const headerLength = (v.getUint8(0) & 0xf) * 4;
      if (headerLength < 20) return result(Status.BadHeaderLength, {});
      if (headerLength > n) return result(Status.Truncated, {});
      const totalLength = v.getUint16(2);
      if (totalLength < headerLength) return result(Status.BadHeaderLength, {});
      if (totalLength > n) return result(Status.Truncated, {});
      const flags = v.getUint16(6);
      return result(Status.Ok, {
        version: 4, headerLength, dscp: v.getUint8(1) >> 2, ecn: v.getUint8(1) & 3, totalLength,
        identification: v.getUint16(4), dontFragment: (flags >> 14) & 1, moreFragments: (flags >> 13) & 1,
        fragmentOffset: flags & 0x1fff, ttl: v.getUint8(8), protocol: v.getUint8(9), checksum: v.getUint16(10),
        source: v.getUint32(12), destination: v.getUint32(16),
        checksumState: referenceChecksum(bytes.subarray(0, headerLength)) === 0 ? ChecksumState.Good : ChecksumState.Bad,
        reservedFlag: flags >> 15,
      }, bytes.slice(20, headerLength));
    }
    case HeaderKind.Icmpv4: {
      if (n < 8) return result(Status.Truncated, {});
      return result(Status.Ok, {
        type: v.getUint8(0), code: v.getUint8(1), checksum: v.getUint16(2), restOfHeader: v.getUint32(4), payloadLength: n - 8,
        checksumState: referenceChecksum(bytes) === 0 ? ChecksumState.Good : ChecksumState.Bad,
      });
    }
    case HeaderKind.Udp: {
      if (n < 8) return result(Status.Truncated, {});
      const length = v.getUint16(4);
      const head = { sourcePort: v.getUint16(0), destinationPort: v.getUint16(2), length, checksum: v.getUint16(6) };
      if (length < 8) return result(Status.BadHeaderLength, head);
      if (length > n) return result(Status.Truncated, head);
      const state = head.checksum === 0 ? ChecksumState.Absent
        : referenceChecksum(bytes.subarray(0, length), pseudo(source, destination, 17, length)) === 0 ? ChecksumState.Good : ChecksumState.Bad;
      return result(Status.Ok, { ...head, checksumState: state });
    }
    case HeaderKind.Tcp: {
      if (n < 20) return result(Status.Truncated, {});
      const headerLength = (v.getUint8(12) >> 4) * 4;
      if (headerLength < 20) return result(Status.BadHeaderLength, {});
      if (headerLength > n) return result(Status.Truncated, {});
      const word = v.getUint16(12);
      return result(Status.Ok, {
        sourcePort: v.getUint16(0), destinationPort: v.getUint16(2), sequence: v.getUint32(4), acknowledgment: v.getUint32(8),
        headerLength, flags: word & 0x1ff, window: v.getUint16(14), checksum: v.getUint16(16), urgentPointer: v.getUint16(18),
        payloadLength: n - headerLength,
        checksumState: referenceChecksum(bytes, pseudo(source, destination, 6, n)) === 0 ? ChecksumState.Good : ChecksumState.Bad,
        reserved: (word >> 9) & 7,
      }, bytes.slice(20, headerLength));
    }
    case HeaderKind.Vxlan: {
      if (n < 8) return result(Status.Truncated, {});
      const fields = { flags: v.getUint8(0), vni: v.getUint32(4) >>> 8, reservedHigh: v.getUint32(0) & 0xffffff, reservedLow: v.getUint8(7) };
      return result(fields.flags & 0x08 ? Status.Ok : Status.Malformed, fields);
    }
    case HeaderKind.LinuxCooked:
      if (n < 16) return result(Status.Truncated, {});
      return result(Status.Ok, { packetType: v.getUint16(0), hardwareType: v.getUint16(2), addressLength: v.getUint16(4), addressHigh: v.getUint32(6), addressLow: v.getUint32(10), protocol: v.getUint16(14), interfaceIndex: 0, headerLength: 16 });
    case HeaderKind.LinuxCooked2:
      if (n < 20) return result(Status.Truncated, {});
      return result(Status.Ok, { protocol: v.getUint16(0), interfaceIndex: v.getUint32(4), hardwareType: v.getUint16(8), packetType: v.getUint8(10), addressLength: v.getUint8(11), addressHigh: v.getUint32(12), addressLow: v.getUint32(16), headerLength: 20 });
  }
}
