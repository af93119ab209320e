// Fuzz harness for every parse and the batch data path: random and mutated inputs (truncations,
// bit flips, length fields that lie), each placed so it ends exactly at the end of linear
// memory — a read past the input traps — with a guard area before it that must stay untouched.
// Used by test/wasm/fuzz.test.ts (short, fixed seed) and scripts/fuzz.ts (`npm run fuzz`).
import { readFileSync } from "node:fs";
import { HeaderKind } from "../../assembly/shared/fields";
import { EncapMode, SLOT_FIELDS, SlotField } from "../../assembly/shared/slots";
import { Status } from "../../assembly/shared/status";
import { instantiateCore } from "../../host/wasm/module";
import { distPath, repositoryRoot } from "../helpers/paths";
import { layersOf } from "../helpers/layers";
import { seededRandom } from "../helpers/random";

const GUARD_BYTES = 512;
const HEADROOM = 64;
const MAX_INPUT = 1600;
const GUARD_FILL = 0x5a;
const KINDS = [HeaderKind.Ethernet, HeaderKind.Arp, HeaderKind.Ipv4, HeaderKind.Icmpv4, HeaderKind.Udp, HeaderKind.Tcp, HeaderKind.Vxlan];
const MODES = [EncapMode.FlannelUdp, EncapMode.Vxlan, EncapMode.Ipip];
const LAST_STATUS = Math.max(...Object.values(Status).filter((value): value is number => typeof value === "number"));

export interface FuzzReport {
  inputs: number;
  executions: number;
  statuses: Record<string, number>;
  failures: string[];
}

/** Seeds: every layer of every captured frame, starting at that layer. */
function corpus(): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  for (const name of ["veth", "vxlan"]) {
    const lines = readFileSync(`${repositoryRoot}test/fixtures/wire/${name}.hex`, "utf8").trim().split("\n");
    for (const line of lines) {
      const frame = Uint8Array.from(Buffer.from(line, "hex"));
      for (const layer of layersOf(frame)) seeds.push(layer.bytes.slice());
    }
  }
  return seeds;
}

/** Runs `inputs` fuzz inputs from `seed` through a fresh instance of dist/podnet.wasm. */
export function fuzzWire(seed: number, inputs: number): FuzzReport {
  // A fresh instance: the fuzz inputs own the last page of memory, nobody else allocates there.
  const wasm = instantiateCore(readFileSync(distPath(process.env.PODNET_WASM_DEBUG ? "podnet.debug.wasm" : "podnet.wasm")));
  wasm.configureLocal(0xc6120001, 0x0af40100, 0x0200, 0x0af40100, 1, 1500);
  wasm.configurePeer(0, 0xc6120002, 0x0200, 0x0af40200);
  // Routes for the fixtures' overlay (10.244.0.0/24 → peer 0) and a default to an unconfigured peer.
  wasm.routeInsert(0x0af40000, 24, 0);
  wasm.routeInsert(0, 0, 5);
  wasm.memory.grow(1);
  const end = wasm.memory.buffer.byteLength;
  const memory = new Uint8Array(wasm.memory.buffer);
  const slot = new Uint32Array(wasm.memory.buffer, wasm.slotTable(), SLOT_FIELDS);
  const seeds = corpus();
  const next = seededRandom(seed);
  const report: FuzzReport = { inputs, executions: 0, statuses: {}, failures: [] };
  const count = (status: number, what: string, input: Uint8Array) => {
    report.executions++;
    if (!Number.isInteger(status) || status < 0 || status > LAST_STATUS) fail(`${what} returned undefined status ${status}`, input);
    else report.statuses[Status[status]] = (report.statuses[Status[status]] ?? 0) + 1;
  };
  const fail = (message: string, input: Uint8Array) => {
    if (report.failures.length < 20) report.failures.push(`${message}; input ${Buffer.from(input).toString("hex")}`);
  };

  for (let round = 0; round < inputs; round++) {
    const input = makeInput(next, seeds);
    const start = end - input.length;
    const guardStart = start - HEADROOM - GUARD_BYTES;
    const place = () => {
      memory.fill(GUARD_FILL, guardStart, start);
      memory.set(input, start);
    };
    const guardIntact = (until: number) => {
      for (let i = guardStart; i < until; i++) if (memory[i] !== GUARD_FILL) return false;
      return true;
    };
    try {
      place();
      const source = next();
      const destination = next();
      for (const kind of KINDS) {
        count(wasm.parseHeader(kind, start, input.length, source, destination), `parse ${HeaderKind[kind]}`, input);
      }
      if (!guardIntact(start)) fail("a parse wrote before its input", input);
      for (const mode of MODES) {
        slot.set([start, input.length, 0, input.length, 0, 0, 0, 0]);
        wasm.decapBatch(mode, 1);
        count(slot[SlotField.Status], `decap ${EncapMode[mode]}`, input);
        const outputEnd = slot[SlotField.OutputOffset] + slot[SlotField.OutputLength];
        if (slot[SlotField.OutputLength] > 0 && (slot[SlotField.OutputOffset] < start || outputEnd > end)) fail(`decap ${EncapMode[mode]} output outside its slot`, input);
      }
      if (!guardIntact(start)) fail("decap wrote outside its slot", input);
      for (const mode of MODES) {
        place();
        slot.set([start, input.length, HEADROOM, input.length, 0, 0, 0, 0]);
        wasm.encapBatch(mode, 1);
        count(slot[SlotField.Status], `encap ${EncapMode[mode]}`, input);
        const outputStart = slot[SlotField.OutputOffset];
        if (slot[SlotField.OutputLength] > 0 && (outputStart < start - HEADROOM || outputStart + slot[SlotField.OutputLength] > end)) fail(`encap ${EncapMode[mode]} output outside its slot`, input);
        if (!guardIntact(start - HEADROOM)) fail(`encap ${EncapMode[mode]} wrote before its headroom`, input);
      }
    } catch (error) {
      fail(`trap: ${(error as Error).message}`, input);
    }
  }
  return report;
}

/** One fuzz input: random bytes, or a captured layer with a few mutations. */
function makeInput(next: () => number, seeds: Uint8Array[]): Uint8Array {
  if (next() % 4 === 0) {
    const input = new Uint8Array(next() % 200);
    for (let i = 0; i < input.length; i++) input[i] = next();
    if (input.length > 0 && next() & 1) input[0] = 0x45; // often look like IPv4, to get deeper
    return input;
  }
  let input = seeds[next() % seeds.length].slice(0, MAX_INPUT);
  const mutations = 1 + (next() % 4);
  for (let m = 0; m < mutations && input.length > 0; m++) {
    switch (next() % 6) {
      case 0: // truncate
        input = input.slice(0, next() % (input.length + 1));
        break;
      case 1: // flip a bit
        input[next() % input.length] ^= 1 << (next() % 8);
        break;
      case 2: // a length field that lies: IPv4 total length/IHL, UDP length, TCP data offset
        {
          const at = [0, 2, 3, 4, 5, 12, 24, 25, 38, 39][next() % 10];
          if (at < input.length) input[at] = next();
        }
        break;
      case 3: // a random byte
        input[next() % input.length] = next();
        break;
      case 5: // an IPv4 header about to expire, with a valid checksum, so encap gets past its checks
        if (input.length >= 20 && input[0] >> 4 === 4) {
          input[8] = next() % 3;
          const headerLength = Math.min(input.length, (input[0] & 0xf) * 4) & ~1;
          input[10] = input[11] = 0;
          let sum = 0;
          for (let i = 0; i < headerLength; i += 2) sum += (input[i] << 8) | input[i + 1];
          while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
          input[10] = (~sum >> 8) & 0xff;
          input[11] = ~sum & 0xff;
        }
        break;
      case 4: // grow with garbage
        input = Uint8Array.from([...input, ...Array.from({ length: next() % 64 }, () => next() & 0xff)]).slice(0, MAX_INPUT);
        break;
    }
  }
  return input;
}
