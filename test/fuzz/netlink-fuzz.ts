// Fuzz harness for the rtnetlink readers: random and mutated kernel replies (truncations, bit
// flips, attribute and message lengths that lie) through readMessage and the route, link,
// address and neighbour parsers, each input placed so it ends exactly at the end of linear
// memory — a read past it traps — with a guard area before it that must stay untouched. Seeds
// are messages the core's own builders wrote, a dump's NLMSG_DONE and an error with an
// extended ACK. Used by test/wasm/netlink.test.ts (short, fixed seed) and `npm run fuzz`.
import { readFileSync } from "node:fs";
import {
  ADDRESS_RECORD_FIELDS, AddressField, LINK_RECORD_FIELDS, LinkField, LinkKind, NEIGHBOUR_RECORD_FIELDS, NeighbourField, NetlinkFamily, NetlinkType,
  NO_NAMESPACE_FD, ROUTE_RECORD_FIELDS,
} from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { instantiateCore, type CoreExports } from "../../host/wasm/module";
import { distPath } from "../helpers/paths";
import { seededRandom } from "../helpers/random";

const GUARD_BYTES = 256;
const GUARD_FILL = 0x5a;
const LAST_STATUS = Math.max(...Object.values(Status).filter((value): value is number => typeof value === "number"));

export interface NetlinkFuzzReport {
  inputs: number;
  executions: number;
  statuses: Record<string, number>;
  failures: string[];
}

/** Messages of every family the core reads, built by its own builders (and two by hand). */
function corpus(wasm: CoreExports): Uint8Array[] {
  const at = wasm.allocate(4096);
  const seeds: Uint8Array[] = [];
  const take = (length: number) => {
    if (length < 0) throw new Error(`a seed did not build (${Status[-length]})`);
    seeds.push(new Uint8Array(wasm.memory.buffer, at, length).slice());
  };
  const record = (address: number, count: number) => new Uint32Array(wasm.memory.buffer, address, count);
  const route = record(wasm.netlinkRouteRecord(), ROUTE_RECORD_FIELDS);
  route.set([2, 24, 254, 107, 0, 1, 4, 0x0af40100, 1, 0xc6120002, 3, 1, 100, 0xc6120001]);
  take(wasm.netlinkRouteMessage(at, 4096, NetlinkType.NewRoute, 0, 7));
  const name = wasm.allocate(32);
  new Uint8Array(wasm.memory.buffer, name, 9).set(new TextEncoder().encode("flannel.1"));
  const link = record(wasm.netlinkLinkRecord(), LINK_RECORD_FIELDS);
  link.fill(0);
  link[LinkField.PeerNamespaceFd] = NO_NAMESPACE_FD;
  Object.assign(link, { [LinkField.Index]: 4, [LinkField.Flags]: 1, [LinkField.Mtu]: 1450, [LinkField.Master]: 2, [LinkField.HasMac]: 1, [LinkField.MacHigh]: 0xaabb, [LinkField.MacLow]: 0xccddeeff });
  link[LinkField.NameOffset] = name;
  link[LinkField.NameLength] = 9;
  link[LinkField.Kind] = LinkKind.Vxlan;
  link[LinkField.VxlanId] = 1;
  link[LinkField.VxlanPort] = 8472;
  take(wasm.netlinkLinkMessage(at, 4096, NetlinkType.NewLink, 0, 8));
  link[LinkField.Kind] = LinkKind.Veth;
  link[LinkField.PeerNameOffset] = name;
  link[LinkField.PeerNameLength] = 7;
  link[LinkField.Hairpin] = 2;
  take(wasm.netlinkLinkMessage(at, 4096, NetlinkType.NewLink, 0, 9));
  const address = record(wasm.netlinkAddressRecord(), ADDRESS_RECORD_FIELDS);
  address.fill(0);
  address[AddressField.PrefixLength] = 24;
  address[AddressField.Index] = 3;
  address[AddressField.Local] = 0x0af40101;
  take(wasm.netlinkAddressMessage(at, 4096, NetlinkType.NewAddress, 0, 10));
  const neighbour = record(wasm.netlinkNeighbourRecord(), NEIGHBOUR_RECORD_FIELDS);
  neighbour.set([NetlinkFamily.Bridge, 4, 0xc0, 2, 1, 0xc6120002, 1, 0xaabb, 0xccddeeff]);
  take(wasm.netlinkNeighbourMessage(at, 4096, NetlinkType.NewNeighbour, 0, 11));
  neighbour[NeighbourField.Family] = NetlinkFamily.Inet;
  take(wasm.netlinkNeighbourMessage(at, 4096, NetlinkType.NewNeighbour, 0, 12));
  // NLMSG_DONE, and an NLMSG_ERROR (EINVAL) with the request's header and an extended ACK message.
  seeds.push(Uint8Array.from([20, 0, 0, 0, 3, 0, 2, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  const error = extendedAckError(22, 9, "Nexthop has invalid gateway");
  seeds.push(error);
  return seeds;
}

/** An NLMSG_ERROR for request `sequence` (errno, the request's header, NLMSGERR_ATTR_MSG `text`), as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK. */
export function extendedAckError(errno: number, sequence: number, text: string): Uint8Array {
  const message = new TextEncoder().encode(`${text}\0`);
  const attribute = (4 + message.length + 3) & ~3;
  const error = new Uint8Array(16 + 4 + 16 + attribute);
  const view = new DataView(error.buffer);
  view.setUint32(0, error.length, true);
  view.setUint16(4, NetlinkType.Error, true);
  view.setUint16(6, 0x200, true); // NLM_F_ACK_TLVS
  view.setInt32(16, -errno, true);
  view.setUint32(20, 16, true);
  view.setUint32(28, sequence, true);
  view.setUint16(36, 4 + message.length, true);
  view.setUint16(38, 1, true); // NLMSGERR_ATTR_MSG
  error.set(message, 40);
  return error;
}

/** Runs `inputs` fuzz inputs from `seed` through a fresh instance of dist/podnet.wasm. */
export function fuzzNetlink(seed: number, inputs: number): NetlinkFuzzReport {
  const wasm = instantiateCore(readFileSync(distPath(process.env.PODNET_WASM_DEBUG ? "podnet.debug.wasm" : "podnet.wasm")));
  const seeds = corpus(wasm);
  wasm.memory.grow(1);
  const end = wasm.memory.buffer.byteLength;
  const memory = new Uint8Array(wasm.memory.buffer);
  const next = seededRandom(seed);
  const report: NetlinkFuzzReport = { inputs, executions: 0, statuses: {}, failures: [] };
  const fail = (message: string, input: Uint8Array) => {
    if (report.failures.length < 20) report.failures.push(`${message}; input ${Buffer.from(input).toString("hex")}`);
  };
  const count = (status: number, what: string, input: Uint8Array) => {
    report.executions++;
    if (!Number.isInteger(status) || status < 0 || status > LAST_STATUS) fail(`${what} returned undefined status ${status}`, input);
    else report.statuses[Status[status]] = (report.statuses[Status[status]] ?? 0) + 1;
  };
  const parsers: Array<[string, (at: number, length: number) => number]> = [
    ["route", (at, length) => wasm.netlinkParseRoute(at, length)],
    ["link", (at, length) => wasm.netlinkParseLink(at, length)],
    ["address", (at, length) => wasm.netlinkParseAddress(at, length)],
    ["neighbour", (at, length) => wasm.netlinkParseNeighbour(at, length)],
  ];
  for (let round = 0; round < inputs; round++) {
    const input = mutate(next, seeds);
    const start = end - input.length;
    const guardStart = start - GUARD_BYTES;
    memory.fill(GUARD_FILL, guardStart, start);
    memory.set(input, start);
    try {
      const length = wasm.netlinkReadMessage(start, input.length);
      count(length < 0 ? -length : Status.Ok, "readMessage", input);
      if (length > input.length) fail(`readMessage said ${length} bytes of ${input.length}`, input);
      // As the host does: a message whose header reads is parsed within the length it claims.
      const claimed = length > 0 ? Math.min(new DataView(input.buffer, input.byteOffset).getUint32(0, true), input.length) : input.length;
      for (const [what, parse] of parsers) {
        const status = parse(start, claimed);
        count(status, `parse ${what}`, input);
        const link = new Uint32Array(wasm.memory.buffer, wasm.netlinkLinkRecord(), LINK_RECORD_FIELDS);
        if (what === "link" && status === Status.Ok && link[LinkField.NameLength] > 0 && (link[LinkField.NameOffset] < start || link[LinkField.NameOffset] + link[LinkField.NameLength] > start + claimed)) {
          fail("a link name outside the message", input);
        }
      }
      for (let i = guardStart; i < start; i++) {
        if (memory[i] !== GUARD_FILL) {
          fail("a reader wrote before its input", input);
          break;
        }
      }
    } catch (error) {
      fail(`trap: ${(error as Error).message}`, input);
    }
  }
  return report;
}

/** A seed with a few mutations, or random bytes. */
function mutate(next: () => number, seeds: Uint8Array[]): Uint8Array {
  if (next() % 8 === 0) {
    const input = new Uint8Array(next() % 120);
    for (let i = 0; i < input.length; i++) input[i] = next();
    return input;
  }
  let input = seeds[next() % seeds.length].slice();
  const mutations = 1 + (next() % 4);
  for (let m = 0; m < mutations && input.length > 0; m++) {
    switch (next() % 5) {
      case 0:
        input = input.slice(0, next() % (input.length + 1));
        break;
      case 1:
        input[next() % input.length] ^= 1 << (next() % 8);
        break;
      case 2: // a length that lies: nlmsg_len or an attribute's
        {
          const at = next() % 2 === 0 ? 0 : (next() % input.length) & ~3;
          if (at + 1 < input.length) new DataView(input.buffer, input.byteOffset).setUint16(at, next() % 512, true);
        }
        break;
      case 3:
        input[next() % input.length] = next();
        break;
      case 4: // the family byte, so other families' paths run
        if (input.length > 16) input[16] = [0, 2, 7, 10][next() % 4];
        break;
    }
  }
  return input;
}
