// The pcap/pcapng reader and pcap writer: round trips, pcapng from editcap, and every way a file
// can be bad, each named by packet number and byte offset.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CaptureError, looksLikeCapture, pcapFileHeader, pcapRecord, readCapture } from "../../host/capture/pcap";

const directory = mkdtempSync(join(tmpdir(), "podnet-capture-"));
const frames = [Uint8Array.from([1, 2, 3, 4]), new Uint8Array(60).fill(0xab), Uint8Array.from([9])];
const pcap = () => Uint8Array.from(Buffer.concat([pcapFileHeader(1), ...frames.map((frame, i) => pcapRecord(frame, 1700000000 + i + 0.25))]));

test("a written pcap reads back: numbers, timestamps, link type, lengths, bytes, offsets", () => {
  const packets = [...readCapture(pcap())];
  assert.equal(packets.map((packet) => packet.number), [1, 2, 3]);
  assert.equal(packets.map((packet) => packet.timestamp), [1700000000.25, 1700000001.25, 1700000002.25]);
  assert.equal(packets.map((packet) => packet.linkType), [1, 1, 1]);
  assert.equal(packets.map((packet) => [...packet.data]), frames.map((frame) => [...frame]));
  assert.equal(packets.map((packet) => packet.dataOffset), [40, 60, 136]);
  assert.ok(looksLikeCapture(pcap()));
  assert.not.ok(looksLikeCapture(Uint8Array.from([0x45, 0, 0, 20])));
});

test("pcapng written by editcap reads as the same packets, big- and little-endian pcap alike", () => {
  const source = join(directory, "in.pcap");
  writeFileSync(source, pcap());
  const pcapng = join(directory, "out.pcapng");
  execFileSync("editcap", ["-F", "pcapng", source, pcapng]);
  const packets = [...readCapture(readFileSync(pcapng))];
  assert.equal(packets.map((packet) => [...packet.data]), frames.map((frame) => [...frame]));
  assert.equal(packets.map((packet) => Math.round(packet.timestamp * 100)), [170000000025, 170000000125, 170000000225]);
  const nanoseconds = join(directory, "ns.pcap");
  execFileSync("editcap", ["-F", "nsecpcap", source, nanoseconds]);
  assert.equal([...readCapture(readFileSync(nanoseconds))].map((packet) => packet.timestamp), [1700000000.25, 1700000001.25, 1700000002.25]);
});

function failure(bytes: Uint8Array): { error: CaptureError; before: number } {
  let before = 0;
  try {
    for (const _ of readCapture(bytes)) before++;
  } catch (error) {
    if (error instanceof CaptureError) return { error, before };
    throw error;
  }
  throw new Error("no error");
}

test("a wrong magic number is refused at packet 0, byte 0", () => {
  const bytes = pcap();
  bytes[0] = 0x12;
  const { error } = failure(bytes);
  assert.is(error.message, "packet 0 at byte 0: not a pcap or pcapng file: magic number 0x12c3b2a1");
});

test("a file cut inside the third record names packet 3 and its offset; two packets came before", () => {
  const { error, before } = failure(pcap().subarray(0, 136));
  assert.is(before, 2);
  assert.is(error.message, "packet 3 at byte 120: record says 1 captured bytes, 0 remain");
});

test("a record header cut short is refused by name", () => {
  const { error, before } = failure(pcap().subarray(0, 130));
  assert.is(before, 2);
  assert.is(error.message, "packet 3 at byte 120: record header needs 16 bytes, 10 remain");
});

test("a captured length beyond the snap length is refused", () => {
  const bytes = Uint8Array.from(Buffer.concat([pcapFileHeader(1, 32), pcapRecord(new Uint8Array(20), 0), pcapRecord(new Uint8Array(300000), 0)]));
  const { error, before } = failure(bytes);
  assert.is(before, 1);
  assert.is(error.message, "packet 2 at byte 60: captured length 300000 exceeds the file's snap length 32");
});

test("a record length that lies past the end of the file is refused", () => {
  const bytes = pcap();
  new DataView(bytes.buffer).setUint32(40 + 4 + 8, 5000, true); // second record: captured length 5000
  const { error, before } = failure(bytes);
  assert.is(before, 1);
  assert.is(error.message, "packet 2 at byte 44: record says 5000 captured bytes, 77 remain");
});

/** A little-endian pcapng block: type, total length, body, total length. */
function block(type: number, body: number[]): number[] {
  const words = (value: number) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
  const length = 12 + body.length;
  return [...words(type), ...words(length), ...body, ...words(length)];
}
const SECTION_HEADER = block(0x0a0d0d0a, [0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const INTERFACE = block(1, [1, 0, 0, 0, 0, 0, 0, 0]);

test("pcapng blocks too short for their fields are refused naming the block and its offset, not read past", () => {
  assert.is(failure(Uint8Array.from([...SECTION_HEADER, ...block(1, [])])).error.message, "packet 1 at byte 28: interface description block of 12 bytes is shorter than the 20 its fields need");
  assert.is(failure(Uint8Array.from([...SECTION_HEADER, ...INTERFACE, ...block(6, [0, 0, 0, 0])])).error.message, "packet 1 at byte 48: enhanced packet block of 16 bytes is shorter than the 32 its fields need");
  assert.is(failure(Uint8Array.from([...SECTION_HEADER, ...INTERFACE, ...block(3, [])])).error.message, "packet 1 at byte 48: simple packet block of 12 bytes is shorter than the 16 its fields need");
  assert.is(failure(Uint8Array.from(block(0x0a0d0d0a, [0x4d, 0x3c, 0x2b, 0x1a]))).error.message, "packet 1 at byte 0: section header block of 16 bytes is shorter than the 28 its fields need");
});

test("a file shorter than a header is refused", () => {
  assert.is(failure(Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])).error.message, "packet 0 at byte 0: pcap header needs 24 bytes, the file has 6");
  assert.is(failure(new Uint8Array(2)).error.message, "packet 0 at byte 0: file of 2 bytes is too short for a capture header");
});

test.run();
