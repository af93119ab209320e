// Address and prefix text ⇄ the 32-bit numbers and MAC word pairs the Wasm core takes.

/** Dotted-quad IPv4 text to a 32-bit number in host order; refuses anything else by name. */
export function ipv4ToNumber(text: string): number {
  // One pass over the characters: what ipaddr.IPv4.isValidFourPartDecimal accepts (four decimal
  // parts 0–255, no leading zeros), at a tenth of its cost — a BGP table load parses every next hop.
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const char = i === text.length ? 46 : text.charCodeAt(i);
    if (char === 46 /* . */) {
      if (digits === 0 || part > 255 || ++parts > 4) throw new TypeError(`not an IPv4 address: '${text}'`);
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (char >= 48 && char <= 57 && digits < 3 && !(digits === 1 && part === 0)) {
      part = part * 10 + (char - 48);
      digits++;
    } else {
      throw new TypeError(`not an IPv4 address: '${text}'`);
    }
  }
  if (parts !== 4) throw new TypeError(`not an IPv4 address: '${text}'`);
  return value >>> 0;
}

/** The network address of `address` under a /`length` mask (host order). */
export function networkOf(address: number, length: number): number {
  return length === 0 ? 0 : (address & (0xffffffff << (32 - length))) >>> 0;
}

/** A 32-bit number to dotted-quad text. */
export function numberToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** "aa:bb:cc:dd:ee:ff" to [high 16 bits, low 32 bits]; refuses anything else by name. */
export function macToWords(text: string): [high: number, low: number] {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new TypeError(`not a MAC address: '${text}'`);
  const hex = text.replace(/:/g, "");
  return [parseInt(hex.slice(0, 4), 16), parseInt(hex.slice(4), 16) >>> 0];
}

const BYTE_HEX = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, "0"));

/** [high 16 bits, low 32 bits] to "aa:bb:cc:dd:ee:ff". */
export function wordsToMac(high: number, low: number): string {
  return `${BYTE_HEX[(high >>> 8) & 255]}:${BYTE_HEX[high & 255]}:${BYTE_HEX[low >>> 24]}:${BYTE_HEX[(low >>> 16) & 255]}:${BYTE_HEX[(low >>> 8) & 255]}:${BYTE_HEX[low & 255]}`;
}

/** A parsed, validated IPv4 prefix. */
export interface Prefix {
  address: number;
  length: number;
}

/** A prefix that is not one; the message names it and what is wrong. */
export class PrefixError extends Error {
  readonly code = "PREFIX";
}

/** Parses "a.b.c.d/len": refuses garbage, lengths outside 0–32 and host bits set. */
export function parsePrefix(text: string): Prefix {
  const match = /^([^/\s]+)\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new PrefixError(`not a prefix: '${text}' (expected a.b.c.d/len)`);
  let address: number;
  try {
    address = ipv4ToNumber(match[1]);
  } catch {
    throw new PrefixError(`not a prefix: '${text}' has no valid IPv4 address`);
  }
  const length = Number(match[2]);
  if (length > 32) throw new PrefixError(`not a prefix: '${text}' has length ${length}, more than 32`);
  const network = networkOf(address, length);
  if (network !== address) throw new PrefixError(`host bits set in '${text}' (the network is ${numberToIpv4(network)}/${length})`);
  return { address, length };
}

/** Whether prefix text `inner` lies inside prefix text `outer` (both as parsePrefix takes them). */
export function prefixContains(outer: string, inner: string): boolean {
  const a = parsePrefix(outer);
  const b = parsePrefix(inner);
  return b.length >= a.length && networkOf(b.address, a.length) === a.address;
}

/** Formats a prefix as "a.b.c.d/len". */
export function formatPrefix(prefix: Prefix): string {
  return `${numberToIpv4(prefix.address)}/${prefix.length}`;
}
