// Mutated UPDATEs for the live-session fuzzer: a corpus of valid UPDATEs from an eBGP peer in AS
// 65002 (4-octet AS, no ADD-PATH), and mutations of the parts RFC 7606 is about — attribute
// lengths and flags, unknown attributes up to the largest that fits, MP_REACH and MP_UNREACH
// variants, AS_PATH segment types and lengths, communities, ADD-PATH path ids the session did not
// negotiate — with withdrawals mixed in. The header's length follows the body (a lying length is
// one mutation of its own), so the stream stays framed.

import { attribute, u16, u32, u8, update } from "../bgp/frames";

export const HOSTILE_AS = 65002;
const ORIGIN = attribute(0x40, 1, "00");
const AS_PATH = attribute(0x40, 2, "0201" + u32(HOSTILE_AS));
const NEXT_HOP = attribute(0x40, 3, "c6120002"); // 198.18.0.2, the hostile peer itself

/** 10.<a>.<b>.0/24 for a corpus of 4,096 prefixes: the RIB stays bounded however long the run. */
const prefix24 = (random: () => number) => "18" + "0a" + u8(random() & 0x0f) + u8(random() & 0xff);

function hex(random: () => number, octets: number): string {
  let text = "";
  for (let i = 0; i < octets; i++) text += u8(random() & 0xff);
  return text;
}

function pick<T>(random: () => number, choices: readonly T[]): T {
  return choices[random() % choices.length];
}

/** A valid UPDATE: 1–8 prefixes with the mandatory attributes and some optional ones. */
function validUpdate(random: () => number): { attributes: string[]; nlri: string; withdrawn: string } {
  const attributes = [ORIGIN, AS_PATH, NEXT_HOP];
  if (random() & 1) attributes.push(attribute(0x80, 4, u32(random() % 1000)));
  if (random() & 1) attributes.push(attribute(0xc0, 8, u32(0xfde80000 + (random() & 0xff))));
  let nlri = "";
  for (let i = 0, count = 1 + (random() % 8); i < count; i++) nlri += prefix24(random);
  return { attributes, nlri, withdrawn: "" };
}

/** A valid UPDATE as hex: what the hostile peer announces before its mutations, so the others have routes to lose. */
export function validUpdateHex(random: () => number): string {
  const message = validUpdate(random);
  return update(message.withdrawn, message.attributes.join(""), message.nlri);
}

/** One mutation applied to a valid UPDATE; returns the message as hex and the mutation's name. */
export function mutatedUpdate(random: () => number): { hex: string; kind: string } {
  const message = validUpdate(random);
  const kind = pick(random, MUTATIONS);
  switch (kind) {
    case "valid":
      break;
    case "withdrawal":
      message.withdrawn = message.nlri;
      message.nlri = "";
      message.attributes = [];
      break;
    case "mixed-withdrawal":
      message.withdrawn = prefix24(random) + prefix24(random);
      break;
    case "attribute-length": {
      const at = random() % message.attributes.length;
      const original = message.attributes[at];
      message.attributes[at] = original.slice(0, 4) + u8(random() & 0xff) + original.slice(6);
      break;
    }
    case "attribute-flags": {
      const at = random() % message.attributes.length;
      const original = message.attributes[at];
      const flags = random() & 0xe0; // extended length left alone: the framing of the value stays
      message.attributes[at] = u8(flags | (parseInt(original.slice(0, 2), 16) & 0x10)) + original.slice(2);
      break;
    }
    case "unknown-attribute": {
      const used = 19 + 4 + message.attributes.join("").length / 2 + message.nlri.length / 2;
      const octets = random() & 1 ? 4096 - used - 4 : random() % (4096 - used - 4);
      // Mostly optional (kept or passed on); now and then a well-known type nobody knows (3/2).
      const flags = pick(random, [0xd0, 0x90, 0xf0, 0xd0, 0x90, 0xf0, 0xd0, 0x50]);
      message.attributes.push(u8(flags) + u8(100 + (random() % 150)) + u16(octets) + hex(random, octets));
      break;
    }
    case "mp-reach": {
      const afi = pick(random, [1, 1, 2, 3]);
      const safi = pick(random, [1, 1, 2, 128]);
      const nextHopLength = pick(random, [4, 4, 16, 32, 0, 5, 12, 255]);
      const nextHop = nextHopLength === 4 ? pick(random, ["c6120002", "7f000001", "e0000005", "00000000"]) : hex(random, Math.min(nextHopLength, 40));
      message.attributes.push(attribute(0x80, 14, u16(afi) + u8(safi) + u8(nextHopLength) + nextHop + "00" + prefix24(random)));
      break;
    }
    case "mp-unreach":
      message.attributes.push(attribute(0x80, 15, u16(pick(random, [1, 2, 7])) + u8(pick(random, [1, 2])) + pick(random, ["", prefix24(random), "21" + hex(random, 5), hex(random, random() % 9)])));
      break;
    case "as-path": {
      const type = random() % 6;
      const count = pick(random, [0, 1, 2, 255, random() & 0xff]);
      const asns = Math.min(count, 1 + (random() % 4));
      let value = u8(type) + u8(count);
      for (let i = 0; i < asns; i++) value += u32(i === 0 ? HOSTILE_AS : random());
      message.attributes[1] = attribute(0x40, 2, value);
      break;
    }
    case "communities":
      message.attributes.push(attribute(0xc0, 8, hex(random, pick(random, [0, 3, 4, 8, 5, 252]))));
      break;
    case "add-path-ids": {
      let nlri = "";
      for (let i = 0, count = 1 + (random() % 4); i < count; i++) nlri += u32(random() % 8) + prefix24(random);
      message.nlri = nlri;
      break;
    }
    case "nlri-length":
      message.nlri = u8(pick(random, [33, 40, 255, 25])) + hex(random, random() % 5);
      break;
    case "bit-flip": {
      const body = message.attributes.join("");
      const at = random() % (body.length / 2);
      const byte = parseInt(body.slice(at * 2, at * 2 + 2), 16) ^ (1 << (random() % 8));
      message.attributes = [body.slice(0, at * 2) + u8(byte) + body.slice(at * 2 + 2)];
      break;
    }
    case "lying-length": {
      const framed = update(message.withdrawn, message.attributes.join(""), message.nlri);
      return { hex: framed.slice(0, 32) + u16(pick(random, [18, 19, 22, 4097, 65535])) + framed.slice(36), kind };
    }
  }
  return { hex: update(message.withdrawn, message.attributes.join(""), message.nlri), kind };
}

/**
 * Mutation kinds by weight. Those that reset the session (a lying length, a /33, most MP_REACH
 * variants) are rarer, so that most of a batch is read before a reset ends it.
 */
const WEIGHTS: Record<string, number> = {
  valid: 8,
  withdrawal: 8,
  "mixed-withdrawal": 8,
  "attribute-length": 6,
  "attribute-flags": 8,
  "unknown-attribute": 10,
  "mp-reach": 2,
  "mp-unreach": 3,
  "as-path": 8,
  communities: 8,
  "add-path-ids": 4,
  "nlri-length": 1,
  "bit-flip": 4,
  "lying-length": 1,
};

const MUTATIONS = Object.entries(WEIGHTS).flatMap(([kind, weight]) => new Array<string>(weight).fill(kind));
