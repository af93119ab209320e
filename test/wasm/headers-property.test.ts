// Property tests: random valid headers survive emit → parse unchanged (checked by the reference
// parser and by the core's own), and emit writes exactly its header: no stray byte either way.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ChecksumState, HeaderKind, RECORD_FIELDS } from "../../assembly/shared/fields";
import { Status } from "../../assembly/shared/status";
import { EmitError, emitHeader, FIELD_NAMES, headerLengthOf, parseHeader } from "../../host/wasm/headers";
import { core } from "../../host/wasm/module";
import { memoryBytes } from "../../host/wasm/scratch";
import { referenceParse } from "../helpers/reference/headers";
import { ALL_KINDS, randomHeader } from "../helpers/random-headers";
import { seededRandom } from "../helpers/random";

const ROUNDS = 2000;

for (const kind of ALL_KINDS) {
  test(`${HeaderKind[kind]}: ${ROUNDS} random headers round-trip emit → parse`, () => {
    const next = seededRandom(0x5eed + kind);
    for (let round = 0; round < ROUNDS; round++) {
      const header = randomHeader(kind, next);
      const bytes = emitHeader(kind, header.fields, header);
      const reference = referenceParse(kind, bytes, header.source, header.destination);
      const core = parseHeader(kind, bytes, header);
      assert.is(reference.status, Status.Ok);
      assert.is(core.status, Status.Ok);
      for (const [name, value] of Object.entries(header.fields)) {
        assert.is(reference.fields[name], value, `round ${round} ${name}`);
      }
      assert.equal(core.fields, reference.fields, `round ${round}`);
      assert.equal(core.options, header.options);
      if ("checksumState" in reference.fields) assert.is(reference.fields.checksumState, ChecksumState.Good);
    }
  });
}

test("emit into a buffer pre-filled with 0xa5 writes every header byte and nothing past it", () => {
  const next = seededRandom(0xa5);
  const wasm = core();
  const area = wasm.allocate(4096);
  for (let round = 0; round < 500; round++) {
    for (const kind of ALL_KINDS) {
      const header = randomHeader(kind, next);
      const expected = emitHeader(kind, header.fields, header);
      const headerLength = headerLengthOf(kind, header.fields);
      for (const fill of [0x00, 0xa5]) {
        const memory = memoryBytes();
        memory.fill(fill, area, area + 4096);
        memory.set(header.payload, area + headerLength);
        const record = new Uint32Array(memory.buffer, wasm.headerRecord(), RECORD_FIELDS);
        record.fill(0);
        FIELD_NAMES[kind].forEach((name, index) => (record[index] = header.fields[name] ?? 0));
        memory.set(header.options, wasm.headerRecord() + RECORD_FIELDS * 4);
        const written = wasm.emitHeader(kind, area, 4096, 0, header.source, header.destination);
        assert.is(written, headerLength);
        assert.equal(memory.subarray(area, area + expected.length), expected, `${HeaderKind[kind]} fill ${fill}`);
        assert.ok(memory.subarray(area + expected.length, area + 4096).every((byte) => byte === fill), `${HeaderKind[kind]} wrote past its end`);
      }
    }
  }
});

test("emit refuses a buffer too small for the header with TooBig", () => {
  assert.throws(() => emitHeader(HeaderKind.Udp, { length: 100 }, { payload: new Uint8Array(10) }), (error: EmitError) => error.status === Status.TooBig);
  const wasm = core();
  for (const kind of ALL_KINDS) {
    assert.is(wasm.emitHeader(kind, wasm.allocate(16), 4, 0, 0, 0), kind === HeaderKind.Ipv4 || kind === HeaderKind.Tcp ? -Status.BadHeaderLength : -Status.TooBig, HeaderKind[kind]);
  }
});

test("emit refuses an IPv4 header length that is not 20..60 in steps of 4", () => {
  for (const headerLength of [0, 16, 22, 64]) {
    assert.throws(() => emitHeader(HeaderKind.Ipv4, { version: 4, headerLength, totalLength: 60 }, {}), (error: EmitError) => error.status === Status.BadHeaderLength);
  }
});

test("KeepChecksum writes the checksum as given, so broken packets can be built", () => {
  const bytes = emitHeader(HeaderKind.Ipv4, { version: 4, headerLength: 20, totalLength: 20, ttl: 64, checksum: 0xbeef }, { keepChecksum: true });
  assert.is((bytes[10] << 8) | bytes[11], 0xbeef);
  assert.is(parseHeader(HeaderKind.Ipv4, bytes).fields.checksumState, ChecksumState.Bad);
});

test("unknown field names are refused by the host wrapper", () => {
  assert.throws(() => emitHeader(HeaderKind.Udp, { sourcePort: 1, port: 2 }), /unknown Udp field port/);
});

test.run();
