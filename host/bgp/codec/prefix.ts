// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): each is a length in bits and just enough
// octets to hold it, optionally preceded by a 4-octet path identifier when ADD-PATH is on for the
// family in that direction.
//
//   +---------------------------+
//   | Path Identifier (4, opt.) |
//   +---------------------------+
//   | Length (1 octet)          |
//   +---------------------------+
//   | Prefix (variable)         |
//   +---------------------------+

import ipaddr from "ipaddr.js";
import { Afi } from "../constants";
import { BgpMessageError } from "./error";

/** One reachable or withdrawn prefix; pathId is 0 unless ADD-PATH is on for it. */
export interface Nlri {
  prefix: string;
  pathId: number;
}

export function formatIpv4(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as "::". */
export function formatIpv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((group) => group.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Address bytes of an IPv4 or IPv6 text address, or null when it is neither. */
export function addressBytes(text: string): Uint8Array | null {
  if (!text.includes(":")) return ipv4Bytes(text);
  if (!ipaddr.isValid(text)) return null;
  return Uint8Array.from(ipaddr.parse(text).toByteArray());
}

interface NlriContext {
  afi: number;
  addPath: boolean;
  /** The UPDATE subcode to report a malformed prefix with (3/10 for plain NLRI, 3/9 inside MP attributes). */
  subcode: number;
  /** Offset of `bytes[0]` from the start of the message, for error reports. */
  base: number;
}

// Tables of a million prefixes pass through here; a hand split is several times faster than a
// general address parser.
function ipv4Bytes(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** Decodes every prefix in bytes[start, end). */
export function decodeNlri(bytes: Uint8Array, start: number, end: number, context: NlriContext): Nlri[] {
  const maxLength = context.afi === Afi.ipv6 ? 128 : 32;
  const addressLength = maxLength / 8;
  const out: Nlri[] = [];
  const scratch = new Uint8Array(16);
  let at = start;
  while (at < end) {
    let pathId = 0;
    if (context.addPath) {
      if (at + 4 > end) throw malformed(context, at, "path identifier runs past the end");
      pathId = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
      at += 4;
    }
    if (at >= end) throw malformed(context, at, "prefix length missing");
    const length = bytes[at];
    if (length > maxLength) throw malformed(context, at, `prefix length ${length} > ${maxLength}`);
    const octets = (length + 7) >> 3;
    if (at + 1 + octets > end) throw malformed(context, at, `/${length} prefix runs past the end`);
    scratch.fill(0, 0, addressLength);
    for (let i = 0; i < octets; i++) scratch[i] = bytes[at + 1 + i];
    // Bits past the length carry no meaning (RFC 4271 §4.3); keep the prefix canonical.
    if (length & 7) scratch[octets - 1] &= (0xff << (8 - (length & 7))) & 0xff;
    const address = addressLength === 4 ? formatIpv4(scratch, 0) : formatIpv6(scratch, 0);
    out.push({ prefix: `${address}/${length}`, pathId });
    at += 1 + octets;
  }
  return out;
}

function malformed(context: NlriContext, at: number, reason: string): BgpMessageError {
  return new BgpMessageError(3, context.subcode, reason, context.base + at);
}

/** Bytes of one prefix in NLRI encoding, path identifier first when asked. */
export function encodeNlri(nlri: Nlri, addPath: boolean): Uint8Array {
  const slash = nlri.prefix.indexOf("/");
  const address = addressBytes(slash < 0 ? nlri.prefix : nlri.prefix.slice(0, slash));
  const length = Number(nlri.prefix.slice(slash + 1));
  if (address === null || slash < 0 || !Number.isInteger(length) || length < 0 || length > address.length * 8) {
    throw new Error(`not a prefix: ${nlri.prefix}`);
  }
  const octets = (length + 7) >> 3;
  const head = addPath ? 4 : 0;
  const out = new Uint8Array(head + 1 + octets);
  if (addPath) new DataView(out.buffer).setUint32(0, nlri.pathId >>> 0);
  out[head] = length;
  out.set(address.subarray(0, octets), head + 1);
  if (length & 7) out[head + octets] &= (0xff << (8 - (length & 7))) & 0xff;
  return out;
}

/**
 * RFC 4271 §6.3 and RFC 7606 §7.3: a next hop that cannot be a neighbour's unicast address
 * (unspecified, loopback, multicast or class E; ::, ::1, ff00::/8) makes its routes withdrawn.
 */
export function isUsableNextHop(address: string): boolean {
  if (!address.includes(":")) {
    const first = Number(address.slice(0, address.indexOf(".")));
    return first !== 0 && first !== 127 && first < 224;
  }
  const lower = address.toLowerCase();
  return lower !== "::" && lower !== "::1" && !lower.startsWith("ff");
}
