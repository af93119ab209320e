// A BGP feed for bench/bgp.bench.ts: N IPv4 /24 prefixes (16.0.0.0/24 upward) with one set of
// iBGP attributes, packed into full 4096-octet UPDATEs the way a router's table dump arrives.

import { encodeAttribute, type PathAttribute } from "../host/bgp/codec/attributes";
import { packUpdates } from "../host/bgp/adj-rib-out";
import { DEFAULT_CONTEXT } from "../host/bgp/codec/message";

/** The i-th feed prefix. */
export function feedPrefix(index: number): string {
  return `${16 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}.0/24`;
}

/** Every UPDATE of a feed of `count` prefixes with next hop `nextHop`. */
export function feedUpdates(count: number, nextHop: string): Uint8Array[] {
  const attributes: PathAttribute[] = [
    { flags: 0x40, code: 1, kind: "origin", origin: 0 },
    { flags: 0x40, code: 2, kind: "as-path", segments: [] },
    { flags: 0x40, code: 3, kind: "next-hop", nextHop },
    { flags: 0x40, code: 5, kind: "local-pref", localPref: 100 },
  ];
  const context = { ...DEFAULT_CONTEXT, fourOctetAs: true };
  const encoded = Buffer.concat(attributes.map((attribute) => encodeAttribute(attribute, context)));
  const prefixes = Array.from({ length: count }, (_, index) => feedPrefix(index));
  return [...packUpdates(encoded, prefixes, 4096, false, false)].map((bytes) => bytes.slice());
}
