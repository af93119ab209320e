// One entry point per direction for every header: the host (and the packet CLI) parse and emit
// any header through these, with the fields in the static record (layout: shared/fields.ts).

import { Status } from "./shared/status";
import { HeaderKind, RECORD_BYTES } from "./shared/fields";
import { emitEthernet, parseEthernet } from "./wire/ethernet";
import { emitArp, parseArp } from "./wire/arp";
import { emitIpv4, parseIpv4 } from "./wire/ipv4";
import { emitIcmpv4, parseIcmpv4 } from "./wire/icmpv4";
import { emitUdp, parseUdp } from "./wire/udp";
import { emitTcp, parseTcp } from "./wire/tcp";
import { emitVxlan, parseVxlan } from "./wire/vxlan";
import { emitLinuxCooked, parseLinuxCooked } from "./wire/sll";

/** The record parseHeader fills and emitHeader reads. */
export const HEADER_RECORD: usize = memory.data(RECORD_BYTES, 16);

/** Parses a `kind` header at `p` into HEADER_RECORD; source/destination feed UDP/TCP pseudo-headers. */
export function parseHeader(kind: u32, p: usize, len: usize, source: u32, destination: u32): Status {
  return parseInto(kind, p, len, HEADER_RECORD, source, destination);
}

/** Parses a `kind` header at `p` into the RECORD_BYTES-long `record`, cleared first. */
export function parseInto(kind: u32, p: usize, len: usize, record: usize, source: u32, destination: u32): Status {
  memory.fill(record, 0, RECORD_BYTES);
  switch (kind) {
    case HeaderKind.Ethernet: return parseEthernet(p, len, record);
    case HeaderKind.Arp: return parseArp(p, len, record);
    case HeaderKind.Ipv4: return parseIpv4(p, len, record);
    case HeaderKind.Icmpv4: return parseIcmpv4(p, len, record);
    case HeaderKind.Udp: return parseUdp(p, len, record, source, destination);
    case HeaderKind.Tcp: return parseTcp(p, len, record, source, destination);
    case HeaderKind.Vxlan: return parseVxlan(p, len, record);
    case HeaderKind.LinuxCooked: return parseLinuxCooked(p, len, record, 1);
    case HeaderKind.LinuxCooked2: return parseLinuxCooked(p, len, record, 2);
  }
  return Status.BadArgument;
}

/** Emits the `kind` header in HEADER_RECORD to `p`; returns its length or -Status. */
export function emitHeader(kind: u32, p: usize, capacity: usize, flags: u32, source: u32, destination: u32): i32 {
  switch (kind) {
    case HeaderKind.Ethernet: return emitEthernet(HEADER_RECORD, p, capacity);
    case HeaderKind.Arp: return emitArp(HEADER_RECORD, p, capacity);
    case HeaderKind.Ipv4: return emitIpv4(HEADER_RECORD, p, capacity, flags);
    case HeaderKind.Icmpv4: return emitIcmpv4(HEADER_RECORD, p, capacity, flags);
    case HeaderKind.Udp: return emitUdp(HEADER_RECORD, p, capacity, flags, source, destination);
    case HeaderKind.Tcp: return emitTcp(HEADER_RECORD, p, capacity, flags, source, destination);
    case HeaderKind.Vxlan: return emitVxlan(HEADER_RECORD, p, capacity);
    case HeaderKind.LinuxCooked: return emitLinuxCooked(HEADER_RECORD, p, capacity, 1);
    case HeaderKind.LinuxCooked2: return emitLinuxCooked(HEADER_RECORD, p, capacity, 2);
  }
  return -Status.BadArgument;
}
