// The decoder's two read paths — lazy records (brief, JSON, filters) and plain objects (verbose,
// encode, the browser) — must say the same thing about every packet.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { LinkType } from "../../assembly/shared/decode";
import { PacketDecoder } from "../../host/packet/decode";
import { flatten } from "../../host/packet/fields";
import { formatBrief } from "../../host/packet/format";
import { ObjectLayers } from "../../host/packet/layers";
import { core } from "../../host/wasm/module";
import { repositoryRoot } from "../helpers/paths";

const frames = ["veth", "vxlan"].flatMap((name) =>
  readFileSync(`${repositoryRoot}test/fixtures/wire/${name}.hex`, "utf8").trim().split("\n").map((line) => Uint8Array.from(Buffer.from(line, "hex"))));
// Also cut and lying variants, so the error paths agree too.
const variants = frames.flatMap((frame) => [frame, frame.subarray(0, 30), Uint8Array.from(frame, (byte, i) => (i === 17 ? 0xff : byte))]);

test("record JSON is exactly JSON.stringify of the object form, for every fixture frame and variant", () => {
  const decoder = new PacketDecoder(core());
  variants.forEach((frame, index) => {
    const records = decoder.decodeRecords(frame, LinkType.Ethernet, index + 1, 1.5);
    const json = records.json();
    assert.is(json, JSON.stringify(decoder.toObjects(records)), `frame ${index + 1}`);
  });
});

test("brief lines and flattened fields agree between records and objects", () => {
  const decoder = new PacketDecoder(core());
  variants.forEach((frame, index) => {
    const records = decoder.decodeRecords(frame, LinkType.Ethernet, index + 1, 2);
    const objects = decoder.toObjects(records);
    assert.is(formatBrief(records), formatBrief(objects), `frame ${index + 1}`);
    assert.equal([...flatten(records)], [...flatten({ ...objects, layers: new ObjectLayers(objects.layers) })], `frame ${index + 1}`);
  });
});

test("an unknown link type is reported, with the bytes kept as payload", () => {
  const decoder = new PacketDecoder(core());
  const packet = decoder.decode(Uint8Array.from([1, 2, 3]), 147, 1, 0);
  assert.equal(packet.layers, []);
  assert.is(packet.payload, "010203");
  assert.match(packet.error!.reason, "link type 147 is not one podnet decodes");
});

test.run();
