// Fuzz harness for the BGP codec: valid messages of every type (built by the encoder, covering
// every capability and attribute podnet knows), then mutated — bytes changed, cut short, extended,
// length fields that lie — and decoded under every session reading (2- or 4-octet AS, ADD-PATH,
// extended messages). A decode may return a message or throw the BgpMessageError naming its
// NOTIFICATION; anything else, or a decode that takes over 250 ms, is a failure. Unmutated seeds
// must encode back to their own bytes. Used by test/bgp/fuzz.test.ts and scripts/fuzz.ts.
import { AttributeFlag } from "../../host/bgp/constants";
import { BgpMessageError } from "../../host/bgp/codec/error";
import { decodeMessage, DEFAULT_CONTEXT, encodeMessage, type BgpMessage, type MessageContext } from "../../host/bgp/codec/message";
import type { PathAttribute } from "../../host/bgp/codec/attributes";
import { seededRandom } from "../helpers/random";

export interface BgpFuzzReport {
  inputs: number;
  decoded: number;
  notifications: Record<string, number>;
  failures: string[];
}

const CONTEXTS: MessageContext[] = [false, true].flatMap((fourOctetAs) =>
  [false, true].flatMap((addPath) => [false, true].map((extendedMessage) => ({ ...DEFAULT_CONTEXT, fourOctetAs, addPath: () => addPath, extendedMessage }))),
);

const attribute = (code: number, value: object, flags: number = AttributeFlag.transitive): PathAttribute => ({ flags, code, ...value }) as PathAttribute;

/** One valid message of every type and shape, with the context it is encoded under. */
export function bgpSeeds(): Array<{ message: BgpMessage; context: MessageContext }> {
  const modern = CONTEXTS[7];
  const legacy = CONTEXTS[0];
  const open = (extendedParameters: boolean): BgpMessage => ({
    type: "open",
    version: 4,
    myAs: 64512,
    holdTime: 90,
    bgpId: "198.18.0.1",
    extendedParameters,
    parameters: [
      {
        type: 2,
        capabilities: [
          { kind: "multiprotocol", afi: 1, safi: 1 },
          { kind: "multiprotocol", afi: 2, safi: 1 },
          { kind: "route-refresh" },
          { kind: "extended-message" },
          { kind: "enhanced-route-refresh" },
          { kind: "4-octet-as", asn: 4200000001 },
          { kind: "graceful-restart", flags: 8, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0x80 }] },
          { kind: "add-path", families: [{ afi: 1, safi: 1, sendReceive: 3 }] },
          { kind: "unknown", code: 73, data: Uint8Array.of(4, 110, 111, 100, 101, 0) },
        ],
      },
    ],
  });
  const update = (fourOctetAs: boolean): BgpMessage => ({
    type: "update",
    withdrawn: [{ prefix: "10.244.7.0/24", pathId: 0 }],
    attributes: [
      attribute(1, { kind: "origin", origin: 0 }),
      attribute(2, { kind: "as-path", segments: [{ type: 2, asns: [64512, fourOctetAs ? 4200000001 : 23456] }, { type: 1, asns: [65001, 65002] }] }),
      attribute(3, { kind: "next-hop", nextHop: "198.18.0.2" }),
      attribute(4, { kind: "med", med: 7 }, AttributeFlag.optional),
      attribute(5, { kind: "local-pref", localPref: 200 }),
      attribute(6, { kind: "atomic-aggregate" }),
      attribute(7, { kind: "aggregator", asn: 64512, address: "198.18.0.9" }, AttributeFlag.optional | AttributeFlag.transitive),
      attribute(8, { kind: "communities", communities: [0xfc000007, 0xffffff01] }, AttributeFlag.optional | AttributeFlag.transitive),
      attribute(9, { kind: "originator-id", originatorId: "198.18.0.3" }, AttributeFlag.optional),
      attribute(10, { kind: "cluster-list", clusterIds: ["198.18.0.100", "198.18.0.101"] }, AttributeFlag.optional),
      attribute(14, { kind: "mp-reach", afi: 2, safi: 1, nextHops: ["2001:db8::1", "fe80::1"], nlri: [{ prefix: "2001:db8:1::/48", pathId: 0 }] }, AttributeFlag.optional | AttributeFlag.extendedLength),
      attribute(15, { kind: "mp-unreach", afi: 2, safi: 1, withdrawn: [{ prefix: "2001:db8:2::/64", pathId: 0 }] }, AttributeFlag.optional),
      attribute(17, { kind: "as4-path", segments: [{ type: 2, asns: [4200000001] }] }, AttributeFlag.optional | AttributeFlag.transitive),
      attribute(200, { kind: "unknown", data: Uint8Array.of(1, 2, 3) }, AttributeFlag.optional | AttributeFlag.transitive | AttributeFlag.partial),
    ],
    nlri: [{ prefix: "10.244.1.0/26", pathId: 0 }, { prefix: "10.244.1.64/26", pathId: 0 }, { prefix: "0.0.0.0/0", pathId: 0 }, { prefix: "10.0.0.0/8", pathId: 0 }],
    problems: [],
  });
  return [
    { message: open(false), context: legacy },
    { message: open(true), context: legacy },
    { message: update(true), context: modern },
    { message: update(false), context: legacy },
    { message: { type: "update", withdrawn: [], attributes: [], nlri: [], problems: [] }, context: legacy },
    { message: { type: "notification", code: 6, subcode: 2, data: Uint8Array.of(4, 98, 121, 101, 33) }, context: legacy },
    { message: { type: "keepalive" }, context: legacy },
    { message: { type: "route-refresh", afi: 1, subtype: 0, safi: 1 }, context: legacy },
  ];
}

/** `inputs` mutated messages from `seed`; the report lists every failure (at most 20 kept). */
export function fuzzBgp(seed: number, inputs: number): BgpFuzzReport {
  const next = seededRandom(seed);
  const seeds = bgpSeeds().map(({ message, context }) => ({ bytes: encodeMessage(message, context), context }));
  const report: BgpFuzzReport = { inputs, decoded: 0, notifications: {}, failures: [] };
  const fail = (reason: string) => {
    if (report.failures.length < 20) report.failures.push(reason);
  };
  for (const { bytes, context } of seeds) {
    const again = encodeMessage(decodeMessage(bytes, context), context);
    if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) fail(`seed does not round-trip: ${Buffer.from(bytes).toString("hex")}`);
  }
  for (let i = 0; i < inputs; i++) {
    const input = mutate(seeds[next() % seeds.length].bytes, next);
    const context = CONTEXTS[next() % CONTEXTS.length];
    const started = performance.now();
    try {
      decodeMessage(input, context);
      report.decoded++;
    } catch (error) {
      if (error instanceof BgpMessageError && error.code >= 1 && error.code <= 7) {
        const key = `${error.code}/${error.subcode}`;
        report.notifications[key] = (report.notifications[key] ?? 0) + 1;
      } else {
        fail(`${(error as Error).stack?.split("\n").slice(0, 3).join(" ")} on ${Buffer.from(input).toString("hex")}`);
      }
    }
    const took = performance.now() - started;
    if (took > 250) fail(`decode took ${took.toFixed(0)} ms on ${Buffer.from(input).toString("hex")}`);
  }
  return report;
}

function mutate(seed: Uint8Array, next: () => number): Uint8Array {
  let bytes = seed.slice();
  const rounds = 1 + (next() % 4);
  for (let round = 0; round < rounds; round++) {
    switch (next() % 6) {
      case 0: // a random byte anywhere
        bytes[next() % bytes.length] = next() & 0xff;
        break;
      case 1: // a bit flip past the header
        bytes[19 + (next() % Math.max(1, bytes.length - 19))] ^= 1 << (next() % 8);
        break;
      case 2: // cut short, the header's length still the old one or made to match
        bytes = bytes.slice(0, 19 + (next() % Math.max(1, bytes.length - 18)));
        if (next() & 1) bytes.set([bytes.length >> 8, bytes.length & 0xff], 16);
        break;
      case 3: // extended with random bytes
        bytes = Uint8Array.from([...bytes, ...Array.from({ length: 1 + (next() % 16) }, () => next() & 0xff)]);
        bytes.set([bytes.length >> 8, bytes.length & 0xff], 16);
        break;
      case 4: {
        // a length field that lies: any two bytes past the header
        const at = 19 + (next() % Math.max(1, bytes.length - 20));
        bytes[at] = next() & 0xff;
        if (at + 1 < bytes.length) bytes[at + 1] = next() & 0xff;
        break;
      }
      default: // the header's length or type
        if (next() & 1) bytes.set([next() & 0xff, next() & 0xff], 16);
        else bytes[18] = next() % 7;
    }
  }
  return bytes;
}
