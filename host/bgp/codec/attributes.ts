// Path attributes (RFC 4271 §4.3, §5) and what to do with a malformed one (RFC 7606). Each
// attribute is a type header and a value; the value's decoder either returns it, or says which of
// RFC 7606's three outcomes applies. The outcome per attribute type is one table (ERROR_ACTION) —
// the RFC's text, not scattered ifs.
//
//    0                   1
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Attr. Flags  |Attr. Type Code|   then a 1-octet length, or 2 octets with Extended Length,
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   then the value
//
// Flags: Optional 0x80, Transitive 0x40, Partial 0x20, Extended Length 0x10.

import { Afi, AsPathSegmentType, AttributeCode, AttributeFlag, Safi } from "../constants";
import { BgpMessageError } from "./error";
import { addressBytes, decodeNlri, encodeNlri, formatIpv4, formatIpv6, isUsableNextHop, type Nlri } from "./prefix";
import { concat } from "./open";

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET. */
  type: number;
  asns: number[];
}

type AttributeValue =
  | { kind: "origin"; origin: number }
  | { kind: "as-path"; segments: AsPathSegment[] }
  | { kind: "next-hop"; nextHop: string }
  | { kind: "med"; med: number }
  | { kind: "local-pref"; localPref: number }
  | { kind: "atomic-aggregate" }
  | { kind: "aggregator"; asn: number; address: string }
  | { kind: "communities"; communities: number[] }
  | { kind: "originator-id"; originatorId: string }
  | { kind: "cluster-list"; clusterIds: string[] }
  | { kind: "mp-reach"; afi: number; safi: number; nextHops: string[]; nlri: Nlri[] }
  | { kind: "mp-unreach"; afi: number; safi: number; withdrawn: Nlri[] }
  /** MP attribute of a family podnet does not carry: kept as bytes after AFI/SAFI. */
  | { kind: "mp-other"; code: number; afi: number; safi: number; rest: Uint8Array }
  | { kind: "as4-path"; segments: AsPathSegment[] }
  | { kind: "as4-aggregator"; asn: number; address: string }
  | { kind: "unknown"; data: Uint8Array };

export type PathAttribute = { flags: number; code: number } & AttributeValue;

/** How the peer's capabilities shape attribute encodings. */
export interface AttributeContext {
  /** RFC 6793: AS numbers in AS_PATH and AGGREGATOR are 4 octets. */
  fourOctetAs: boolean;
  /** RFC 7911, per AFI (1, 2): prefixes carry a path identifier in this direction. */
  addPath: (afi: number) => boolean;
}

export { isUsableNextHop };

export type ErrorAction = "session-reset" | "treat-as-withdraw" | "attribute-discard";

/** RFC 7606 §7: the outcome for a malformed attribute, by type code. */
export const ERROR_ACTION: Record<number, ErrorAction> = {
  [AttributeCode.origin]: "treat-as-withdraw", // §7.1
  [AttributeCode.asPath]: "treat-as-withdraw", // §7.2
  [AttributeCode.nextHop]: "treat-as-withdraw", // §7.3
  [AttributeCode.med]: "treat-as-withdraw", // §7.4
  [AttributeCode.localPref]: "treat-as-withdraw", // §7.5
  [AttributeCode.atomicAggregate]: "attribute-discard", // §7.6
  [AttributeCode.aggregator]: "attribute-discard", // §7.7
  [AttributeCode.communities]: "treat-as-withdraw", // §7.8
  [AttributeCode.originatorId]: "treat-as-withdraw", // §7.9
  [AttributeCode.clusterList]: "treat-as-withdraw", // §7.10
  [AttributeCode.mpReach]: "session-reset", // §7.11 (AFI/SAFI disable is the other choice)
  [AttributeCode.mpUnreach]: "session-reset", // §7.11
  [AttributeCode.as4Path]: "attribute-discard", // RFC 6793 §6
  [AttributeCode.as4Aggregator]: "attribute-discard", // RFC 6793 §6
};

/** RFC 7606 §7.5, §7.9, §7.10: from an external peer these are discarded whatever they hold. */
export const IBGP_ONLY_ATTRIBUTES = new Set<number>([AttributeCode.localPref, AttributeCode.originatorId, AttributeCode.clusterList]);

/** Optional and Transitive bits each known attribute must carry. */
const EXPECTED_FLAGS: Record<number, number> = {
  [AttributeCode.origin]: AttributeFlag.transitive,
  [AttributeCode.asPath]: AttributeFlag.transitive,
  [AttributeCode.nextHop]: AttributeFlag.transitive,
  [AttributeCode.med]: AttributeFlag.optional,
  [AttributeCode.localPref]: AttributeFlag.transitive,
  [AttributeCode.atomicAggregate]: AttributeFlag.transitive,
  [AttributeCode.aggregator]: AttributeFlag.optional | AttributeFlag.transitive,
  [AttributeCode.communities]: AttributeFlag.optional | AttributeFlag.transitive,
  [AttributeCode.originatorId]: AttributeFlag.optional,
  [AttributeCode.clusterList]: AttributeFlag.optional,
  [AttributeCode.mpReach]: AttributeFlag.optional,
  [AttributeCode.mpUnreach]: AttributeFlag.optional,
  [AttributeCode.as4Path]: AttributeFlag.optional | AttributeFlag.transitive,
  [AttributeCode.as4Aggregator]: AttributeFlag.optional | AttributeFlag.transitive,
};

/** The flags a known attribute is sent with. */
export function attributeFlags(code: number): number {
  return EXPECTED_FLAGS[code] ?? AttributeFlag.optional | AttributeFlag.transitive;
}

export function isKnownAttribute(code: number): boolean {
  return code in EXPECTED_FLAGS;
}

/** A value that could not be decoded: the UPDATE subcode to report and why. */
export class MalformedAttribute {
  constructor(
    readonly subcode: number,
    readonly reason: string,
  ) {}
}

/**
 * Decodes one attribute's value (bytes[start, end)). Returns MalformedAttribute for a value
 * RFC 7606 handles per attribute; throws BgpMessageError only for session resets inside MP
 * attributes (whose NLRI could not be found). `base` is bytes[0]'s offset in the message.
 */
export function decodeAttributeValue(
  code: number,
  flags: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  context: AttributeContext,
  base: number,
): AttributeValue | MalformedAttribute {
  const length = end - start;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isKnownAttribute(code) && (flags & 0xc0) !== EXPECTED_FLAGS[code]) {
    return new MalformedAttribute(4, `flags 0x${flags.toString(16)} on attribute ${code}, expected optional/transitive 0x${EXPECTED_FLAGS[code].toString(16)}`);
  }
  const badLength = (expected: string) => new MalformedAttribute(5, `attribute ${code} has ${length} octets, expected ${expected}`);
  switch (code) {
    case AttributeCode.origin:
      if (length !== 1) return badLength("1");
      if (bytes[start] > 2) return new MalformedAttribute(6, `ORIGIN ${bytes[start]}`);
      return { kind: "origin", origin: bytes[start] };
    case AttributeCode.asPath:
    case AttributeCode.as4Path: {
      const segments = decodeAsPath(bytes, start, end, code === AttributeCode.as4Path || context.fourOctetAs ? 4 : 2);
      if (segments instanceof MalformedAttribute) return segments;
      return { kind: code === AttributeCode.asPath ? "as-path" : "as4-path", segments };
    }
    case AttributeCode.nextHop: {
      if (length !== 4) return badLength("4");
      const nextHop = formatIpv4(bytes, start);
      if (!isUsableNextHop(nextHop)) return new MalformedAttribute(8, `NEXT_HOP ${nextHop} is not a unicast address`);
      return { kind: "next-hop", nextHop };
    }
    case AttributeCode.med:
      if (length !== 4) return badLength("4");
      return { kind: "med", med: view.getUint32(start) };
    case AttributeCode.localPref:
      if (length !== 4) return badLength("4");
      return { kind: "local-pref", localPref: view.getUint32(start) };
    case AttributeCode.atomicAggregate:
      if (length !== 0) return badLength("0");
      return { kind: "atomic-aggregate" };
    case AttributeCode.aggregator:
    case AttributeCode.as4Aggregator: {
      const asSize = code === AttributeCode.as4Aggregator || context.fourOctetAs ? 4 : 2;
      if (length !== asSize + 4) return badLength(String(asSize + 4));
      const asn = asSize === 4 ? view.getUint32(start) : view.getUint16(start);
      return { kind: code === AttributeCode.aggregator ? "aggregator" : "as4-aggregator", asn, address: formatIpv4(bytes, start + asSize) };
    }
    case AttributeCode.communities: {
      if (length % 4 !== 0) return badLength("a multiple of 4");
      const communities: number[] = [];
      for (let at = start; at < end; at += 4) communities.push(view.getUint32(at));
      return { kind: "communities", communities };
    }
    case AttributeCode.originatorId:
      if (length !== 4) return badLength("4");
      return { kind: "originator-id", originatorId: formatIpv4(bytes, start) };
    case AttributeCode.clusterList: {
      if (length === 0 || length % 4 !== 0) return badLength("a non-zero multiple of 4");
      const clusterIds: string[] = [];
      for (let at = start; at < end; at += 4) clusterIds.push(formatIpv4(bytes, at));
      return { kind: "cluster-list", clusterIds };
    }
    case AttributeCode.mpReach:
      return decodeMpReach(bytes, start, end, context, base);
    case AttributeCode.mpUnreach:
      return decodeMpUnreach(bytes, start, end, context, base);
    default:
      return { kind: "unknown", data: bytes.slice(start, end) };
  }
}

function decodeAsPath(bytes: Uint8Array, start: number, end: number, asSize: number): AsPathSegment[] | MalformedAttribute {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments: AsPathSegment[] = [];
  let at = start;
  while (at < end) {
    // RFC 7606 §7.2: a lone trailing octet, a zero count, an overrun or an unknown type.
    if (at + 2 > end) return new MalformedAttribute(11, "AS_PATH ends inside a segment header");
    const type = bytes[at];
    const count = bytes[at + 1];
    if (type < AsPathSegmentType.set || type > AsPathSegmentType.confedSet) return new MalformedAttribute(11, `AS_PATH segment type ${type}`);
    if (count === 0) return new MalformedAttribute(11, "AS_PATH segment of zero ASes");
    if (at + 2 + count * asSize > end) return new MalformedAttribute(11, `AS_PATH segment of ${count} ASes runs past the attribute`);
    const asns: number[] = new Array(count);
    for (let i = 0; i < count; i++) asns[i] = asSize === 4 ? view.getUint32(at + 2 + 4 * i) : view.getUint16(at + 2 + 2 * i);
    segments.push({ type, asns });
    at += 2 + count * asSize;
  }
  return segments;
}

function isCarriedFamily(afi: number, safi: number): boolean {
  return (afi === Afi.ipv4 || afi === Afi.ipv6) && safi === Safi.unicast;
}

function mpError(reason: string, offset: number): BgpMessageError {
  return new BgpMessageError(3, 9, reason, offset);
}

function decodeMpReach(bytes: Uint8Array, start: number, end: number, context: AttributeContext, base: number): AttributeValue {
  if (end - start < 5) throw mpError(`MP_REACH_NLRI of ${end - start} octets`, base + start);
  const afi = (bytes[start] << 8) | bytes[start + 1];
  const safi = bytes[start + 2];
  if (!isCarriedFamily(afi, safi)) return { kind: "mp-other", code: AttributeCode.mpReach, afi, safi, rest: bytes.slice(start + 3, end) };
  const nextHopLength = bytes[start + 3];
  const nextHopStart = start + 4;
  if (nextHopStart + nextHopLength + 1 > end) throw mpError(`MP_REACH_NLRI next hop of ${nextHopLength} octets runs past the attribute`, base + start + 3);
  // RFC 7606 §7.11: a next hop length the family does not allow leaves the NLRI unfindable. IPv4
  // NLRI with an IPv6 next hop needs RFC 8950's capability, which podnet does not offer.
  if (afi === Afi.ipv4 && nextHopLength !== 4) throw mpError(`MP_REACH_NLRI IPv4 next hop of ${nextHopLength} octets`, base + start + 3);
  const nextHops: string[] = [];
  if (nextHopLength === 4) nextHops.push(formatIpv4(bytes, nextHopStart));
  else if (nextHopLength === 16) nextHops.push(formatIpv6(bytes, nextHopStart));
  else if (nextHopLength === 32) nextHops.push(formatIpv6(bytes, nextHopStart), formatIpv6(bytes, nextHopStart + 16));
  else throw mpError(`MP_REACH_NLRI next hop length ${nextHopLength}`, base + start + 3);
  if (afi === Afi.ipv6 && nextHopLength === 4) throw mpError("MP_REACH_NLRI IPv6 next hop of 4 octets", base + start + 3);
  // The reserved octet (formerly SNPAs) is ignored on receipt (RFC 4760 §3).
  const nlriStart = nextHopStart + nextHopLength + 1;
  const nlri = decodeNlri(bytes, nlriStart, end, { afi, addPath: context.addPath(afi), subcode: 9, base });
  return { kind: "mp-reach", afi, safi, nextHops, nlri };
}

function decodeMpUnreach(bytes: Uint8Array, start: number, end: number, context: AttributeContext, base: number): AttributeValue {
  if (end - start < 3) throw mpError(`MP_UNREACH_NLRI of ${end - start} octets`, base + start);
  const afi = (bytes[start] << 8) | bytes[start + 1];
  const safi = bytes[start + 2];
  if (!isCarriedFamily(afi, safi)) return { kind: "mp-other", code: AttributeCode.mpUnreach, afi, safi, rest: bytes.slice(start + 3, end) };
  const withdrawn = decodeNlri(bytes, start + 3, end, { afi, addPath: context.addPath(afi), subcode: 9, base });
  return { kind: "mp-unreach", afi, safi, withdrawn };
}

/** The value octets of an attribute. */
function encodeAttributeValue(attribute: PathAttribute, context: AttributeContext): Uint8Array {
  switch (attribute.kind) {
    case "origin":
      return Uint8Array.of(attribute.origin);
    case "as-path":
      return encodeAsPath(attribute.segments, context.fourOctetAs ? 4 : 2);
    case "as4-path":
      return encodeAsPath(attribute.segments, 4);
    case "next-hop":
    case "originator-id":
      return ipv4(attribute.kind === "next-hop" ? attribute.nextHop : attribute.originatorId);
    case "med":
      return u32(attribute.med);
    case "local-pref":
      return u32(attribute.localPref);
    case "atomic-aggregate":
      return new Uint8Array(0);
    case "aggregator":
    case "as4-aggregator": {
      const asSize = attribute.kind === "as4-aggregator" || context.fourOctetAs ? 4 : 2;
      return concat([asSize === 4 ? u32(attribute.asn) : Uint8Array.of(attribute.asn >> 8, attribute.asn & 0xff), ipv4(attribute.address)]);
    }
    case "communities":
      return concat(attribute.communities.map(u32));
    case "cluster-list":
      return concat(attribute.clusterIds.map(ipv4));
    case "mp-reach": {
      const nextHop = concat(attribute.nextHops.map((address) => addressBytes(address) ?? fail(`bad next hop ${address}`)));
      const addPath = context.addPath(attribute.afi);
      return concat([
        Uint8Array.of(attribute.afi >> 8, attribute.afi & 0xff, attribute.safi, nextHop.length),
        nextHop,
        Uint8Array.of(0),
        ...attribute.nlri.map((nlri) => encodeNlri(nlri, addPath)),
      ]);
    }
    case "mp-unreach": {
      const addPath = context.addPath(attribute.afi);
      return concat([Uint8Array.of(attribute.afi >> 8, attribute.afi & 0xff, attribute.safi), ...attribute.withdrawn.map((nlri) => encodeNlri(nlri, addPath))]);
    }
    case "mp-other":
      return concat([Uint8Array.of(attribute.afi >> 8, attribute.afi & 0xff, attribute.safi), attribute.rest]);
    case "unknown":
      return attribute.data;
  }
}

/** Flags, type, length and value; the length takes 2 octets when the flags say so or it must. */
export function encodeAttribute(attribute: PathAttribute, context: AttributeContext): Uint8Array {
  const value = encodeAttributeValue(attribute, context);
  let flags = attribute.flags;
  if (value.length > 255) flags |= AttributeFlag.extendedLength;
  if (flags & AttributeFlag.extendedLength) {
    return concat([Uint8Array.of(flags, attribute.code, value.length >> 8, value.length & 0xff), value]);
  }
  return concat([Uint8Array.of(flags, attribute.code, value.length), value]);
}

function encodeAsPath(segments: AsPathSegment[], asSize: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const segment of segments) {
    // A segment holds at most 255 ASes; longer runs split into consecutive segments.
    for (let from = 0; from < segment.asns.length; from += 255) {
      const asns = segment.asns.slice(from, from + 255);
      const out = new Uint8Array(2 + asns.length * asSize);
      const view = new DataView(out.buffer);
      out[0] = segment.type;
      out[1] = asns.length;
      asns.forEach((asn, i) => (asSize === 4 ? view.setUint32(2 + 4 * i, asn >>> 0) : view.setUint16(2 + 2 * i, asn)));
      parts.push(out);
    }
  }
  return concat(parts);
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

function ipv4(text: string): Uint8Array {
  const bytes = addressBytes(text);
  if (bytes === null || bytes.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  return bytes;
}

function fail(message: string): never {
  throw new Error(message);
}
