import { test } from "uvu";
import * as assert from "uvu/assert";
import { checksumUpdate16, internetChecksum, onesComplementSum, pseudoHeaderSum } from "../../host/wasm/checksum";
import { core } from "../../host/wasm/module";
import { referenceChecksum } from "../helpers/reference/checksum";
import { Status } from "../../assembly/shared/status";
import { randomBytes, seededRandom } from "../helpers/random";

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s/g, ""), "hex"));

// An IPv4 header (UDP, 192.168.0.1 → 192.168.0.199) whose checksum field 0xb861 is correct.
const IPV4_HEADER = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");

test("RFC 1071 example: sum 0xddf2, checksum 0x220d", () => {
  const example = hex("0001 f203 f4f5 f6f7");
  assert.is(onesComplementSum(example), 0xddf2);
  assert.is(internetChecksum(example), 0x220d);
});

test("a header holding its correct checksum verifies to 0", () => {
  assert.is(internetChecksum(IPV4_HEADER), 0);
  const zeroed = IPV4_HEADER.slice();
  zeroed[10] = 0;
  zeroed[11] = 0;
  assert.is(internetChecksum(zeroed), 0xb861);
});

test("a flipped bit makes the header checksum fail", () => {
  const corrupted = IPV4_HEADER.slice();
  corrupted[8] ^= 0x01; // TTL 64 → 65
  assert.is.not(internetChecksum(corrupted), 0);
});

test("odd lengths pad the last byte as the high half of a word", () => {
  assert.is(internetChecksum(hex("01")), ~0x0100 & 0xffff);
  assert.is(internetChecksum(hex("0102 03")), ~(0x0102 + 0x0300) & 0xffff);
});

test("empty input sums to 0, checksum 0xffff", () => {
  assert.is(onesComplementSum(new Uint8Array(0)), 0);
  assert.is(internetChecksum(new Uint8Array(0)), 0xffff);
});

test("every length 0..300 at every start offset 0..15 agrees with the reference", () => {
  const next = seededRandom(1071);
  const data = randomBytes(next, 320);
  for (let offset = 0; offset < 16; offset++) {
    for (let length = 0; length <= 300; length++) {
      const slice = data.subarray(offset, offset + length);
      assert.is(internetChecksum(slice), referenceChecksum(slice), `offset ${offset} length ${length}`);
    }
  }
});

test("3 MiB of 0xff (past the SIMD flush interval) agrees with the reference", () => {
  const data = new Uint8Array(3 << 20).fill(0xff);
  data[12345] = 0x12;
  assert.is(internetChecksum(data), referenceChecksum(data));
});

test("a partial sum of an even-length prefix composes with the rest", () => {
  const next = seededRandom(7);
  const data = randomBytes(next, 1500);
  const head = onesComplementSum(data.subarray(0, 600));
  assert.is(internetChecksum(data.subarray(600), head), referenceChecksum(data));
});

test("pseudo-header sum for UDP 192.168.0.1 → 192.168.0.199, length 0x5f", () => {
  const sum = pseudoHeaderSum(0xc0a80001, 0xc0a800c7, 17, 0x5f);
  assert.is(sum, (0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 17 + 0x5f) % 0xffff);
});

test("RFC 1624 update after a TTL decrement matches a full recomputation", () => {
  const header = IPV4_HEADER.slice();
  const oldWord = (header[8] << 8) | header[9];
  header[8] -= 1;
  const newWord = (header[8] << 8) | header[9];
  const updated = checksumUpdate16(0xb861, oldWord, newWord);
  header[10] = 0;
  header[11] = 0;
  assert.is(updated, internetChecksum(header));
  assert.is(updated, 0xb961);
});

test("a range outside linear memory returns -BadArgument instead of trapping", () => {
  const pages = core().memory.buffer.byteLength;
  assert.is(core().internetChecksum(pages - 4, 8, 0), -Status.BadArgument);
  assert.is(core().internetChecksum(0xffff_fff0, 0x20, 0), -Status.BadArgument);
});

test.run();
