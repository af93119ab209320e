// Real frames captured between namespaces (scripts/capture-wire-fixtures.sh): every layer parses
// as the reference parser says, every checksum verifies, and emit rebuilds every byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { ChecksumState, HeaderKind } from "../../assembly/shared/fields";
import { Status } from "../../assembly/shared/status";
import { emitHeader, headerLengthOf } from "../../host/wasm/headers";
import { referenceParse } from "../helpers/reference/headers";
import { repositoryRoot } from "../helpers/paths";
import { layersOf } from "../helpers/layers";

const fixture = (name: string) =>
  readFileSync(`${repositoryRoot}test/fixtures/wire/${name}.hex`, "utf8").trim().split("\n").map((line) => Uint8Array.from(Buffer.from(line, "hex")));

const veth = fixture("veth");
const vxlan = fixture("vxlan");
const kindsSeen = (frames: Uint8Array[]) => new Set(frames.flatMap((frame) => layersOf(frame).map((layer) => HeaderKind[layer.kind])));

test("the veth capture holds ARP, ICMP, UDP and TCP", () => {
  assert.equal([...kindsSeen(veth)].sort(), ["Arp", "Ethernet", "Icmpv4", "Ipv4", "Tcp", "Udp"]);
});

test("the VXLAN capture holds VXLAN with VNI 1 on port 8472 and inner ICMP, UDP and TCP", () => {
  assert.equal([...kindsSeen(vxlan)].sort(), ["Arp", "Ethernet", "Icmpv4", "Ipv4", "Tcp", "Udp", "Vxlan"]);
  const vxlanLayers = vxlan.flatMap(layersOf).filter((layer) => layer.kind === HeaderKind.Vxlan);
  assert.ok(vxlanLayers.length >= 10);
  for (const layer of vxlanLayers) {
    assert.is(layer.parsed.fields.vni, 1);
    assert.is(layer.parsed.fields.flags, 0x08);
  }
});

for (const [name, frames] of [["veth", veth], ["vxlan", vxlan]] as const) {
  test(`${name}: every layer parses exactly as the reference parser`, () => {
    for (const [index, frame] of frames.entries()) {
      for (const layer of layersOf(frame)) {
        const expected = referenceParse(layer.kind, layer.bytes, layer.source, layer.destination);
        assert.is(layer.parsed.status, Status.Ok, `frame ${index} ${HeaderKind[layer.kind]}`);
        assert.equal(layer.parsed.fields, expected.fields, `frame ${index} ${HeaderKind[layer.kind]}`);
        assert.equal(layer.parsed.options, expected.options, `frame ${index} ${HeaderKind[layer.kind]} options`);
      }
    }
  });

  test(`${name}: every checksum in the capture verifies`, () => {
    let verified = 0;
    for (const frame of frames) {
      for (const layer of layersOf(frame)) {
        const state = layer.parsed.fields.checksumState;
        if (state === undefined) continue;
        // The kernel's VXLAN sends outer UDP without a checksum, as RFC 7348 allows.
        assert.ok(state === ChecksumState.Good || state === ChecksumState.Absent, `${HeaderKind[layer.kind]} checksum ${state}`);
        if (state === ChecksumState.Good) verified++;
      }
    }
    assert.ok(verified >= frames.length, `only ${verified} checksums verified`);
  });

  test(`${name}: parse → emit reproduces every layer byte for byte`, () => {
    for (const [index, frame] of frames.entries()) {
      for (const layer of layersOf(frame)) {
        const { fields, options } = layer.parsed;
        const emitted = emitHeader(layer.kind, fields, { payload: layer.payload, options, source: layer.source, destination: layer.destination });
        const expected = layer.bytes.subarray(0, headerLengthOf(layer.kind, fields) + layer.payload.length);
        assert.equal(Buffer.from(emitted).toString("hex"), Buffer.from(expected).toString("hex"), `frame ${index} ${HeaderKind[layer.kind]}`);
      }
    }
  });
}

test.run();
