// dist/podnet.wasm must be usable by any Wasm runtime: nothing but the standard API here,
// no host/ code, so a dependency of the module on our host would show up as a failure.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { distPath } from "../helpers/paths";
// The ABI files are plain TypeScript the module is compiled from; no host code is imported.
import { HeaderKind, Ipv4Field } from "../../assembly/shared/fields";
import { EncapMode, SLOT_FIELDS, SlotField } from "../../assembly/shared/slots";

const bytes = readFileSync(distPath("podnet.wasm"));

test("the module imports nothing but env.abort", () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  const names = imports.map((entry) => `${entry.module}.${entry.name}`);
  assert.ok(names.every((name) => name === "env.abort"), `unexpected imports: ${names.join(", ")}`);
});

test("the module exports memory, allocate and the checksum functions", () => {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((entry) => entry.name);
  for (const name of ["memory", "allocate", "internetChecksum", "ABI_VERSION"]) {
    assert.ok(exports.includes(name), `missing export ${name}`);
  }
});

interface BareExports {
  memory: WebAssembly.Memory;
  allocate(size: number): number;
  internetChecksum(ptr: number, len: number, initial: number): number;
  parseHeader(kind: number, ptr: number, len: number, source: number, destination: number): number;
  headerRecord(): number;
  configureLocal(publicIp: number, overlayIp: number, macHigh: number, macLow: number, vni: number, mtu: number): number;
  configurePeer(index: number, publicIp: number, macHigh: number, macLow: number): number;
  slotTable(): number;
  encapBatch(mode: number, n: number): number;
  routeInsert(prefix: number, length: number, nextHop: number): number;
}

async function bareInstance(): Promise<BareExports> {
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort: () => { throw new Error("abort"); } } });
  return instance.exports as unknown as BareExports;
}

// An IPv4 header (UDP, 192.168.0.1 → 192.168.0.199, TTL 64) whose checksum 0xb861 is correct.
const IPV4_HEADER = Buffer.from("45000073000040004011b861c0a80001c0a800c7", "hex");

test("internetChecksum over the RFC 1071 example through the bare WebAssembly API", async () => {
  const exports = await bareInstance();
  const example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
  const pointer = exports.allocate(example.length);
  assert.ok(pointer > 0);
  new Uint8Array(exports.memory.buffer).set(example, pointer);
  // RFC 1071 §3: the sum is 0xddf2, so the checksum is its complement.
  assert.is(exports.internetChecksum(pointer, example.length, 0), 0x220d);
});

test("parseHeader reads an IPv4 header into the record through the bare API", async () => {
  const exports = await bareInstance();
  const pointer = exports.allocate(128);
  new Uint8Array(exports.memory.buffer).set(IPV4_HEADER, pointer);
  assert.is(exports.parseHeader(HeaderKind.Ipv4, pointer, 20, 0, 0), 1); // Truncated: total length is 0x73
  assert.is(exports.parseHeader(HeaderKind.Ipv4, pointer, 0x73, 0, 0), 0);
  const record = new Uint32Array(exports.memory.buffer, exports.headerRecord(), 16);
  assert.is(record[Ipv4Field.Ttl], 64);
  assert.is(record[Ipv4Field.Protocol], 17);
  assert.is(record[Ipv4Field.Source], 0xc0a80001);
  assert.is(record[Ipv4Field.Destination], 0xc0a800c7);
  assert.is(record[Ipv4Field.Checksum], 0xb861);
  assert.is(record[Ipv4Field.ChecksumState], 1);
});

test("encapBatch wraps a packet in VXLAN through the bare API", async () => {
  const exports = await bareInstance();
  assert.is(exports.configureLocal(0xc6120001, 0x0af40001, 0x0200, 0x0af40001, 1, 1500), 0);
  assert.is(exports.configurePeer(0, 0xc6120002, 0x0200, 0x0af40002), 0);
  assert.is(exports.routeInsert(0xc0a80000, 16, 0), 0); // 192.168.0.0/16 → peer 0
  const buffer = exports.allocate(256);
  const inner = buffer + 64;
  const header = Buffer.from(IPV4_HEADER);
  header.writeUInt16BE(20, 2); // a bare 20-byte packet: total length 20
  header.writeUInt16BE(0, 10);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  header.writeUInt16BE(~sum & 0xffff, 10);
  new Uint8Array(exports.memory.buffer).set(header, inner);
  const slot = new Uint32Array(exports.memory.buffer, exports.slotTable(), SLOT_FIELDS);
  slot[SlotField.Offset] = inner;
  slot[SlotField.Length] = 20;
  slot[SlotField.Headroom] = 64;
  slot[SlotField.Capacity] = 192;
  assert.is(exports.encapBatch(EncapMode.Vxlan, 1), 1);
  assert.is(slot[SlotField.Status], 0);
  assert.is(slot[SlotField.Peer], 0);
  assert.is(slot[SlotField.OutputOffset], inner - 50);
  assert.is(slot[SlotField.OutputLength], 70);
  const out = Buffer.from(exports.memory.buffer, inner - 50, 70);
  assert.is(out.readUInt32BE(12), 0xc6120001); // outer source 198.18.0.1
  assert.is(out.readUInt32BE(16), 0xc6120002); // outer destination 198.18.0.2
  assert.is(out.readUInt16BE(22), 8472);
  assert.is(out.readUInt32BE(32) >>> 8, 1); // VNI 1
  assert.is(out.subarray(36, 42).toString("hex"), "02000af40002"); // inner destination: the peer's VTEP MAC
  assert.is(out[50 + 8], 63); // inner TTL decremented
});

test.run();
