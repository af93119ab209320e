// Which reading of a captured BGP UPDATE `packet decode` takes when the capture does not say what
// the session negotiated: a real ADD-PATH message reads as ADD-PATH, but a malformed plain one is
// reported with the NOTIFICATION a speaker would send, not dressed up as ADD-PATH prefixes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bgpLayers, decodeCapturedMessage } from "../../host/packet/bgp";
import { BgpMessageError } from "../../host/bgp/codec/error";
import { attribute, update } from "../bgp/frames";

const ATTRIBUTES = attribute(0x40, 1, "00") + attribute(0x40, 2, "") + attribute(0x40, 3, "c6120002");
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));

test("an NLRI of /33 is Invalid Network Field (3/10), as the speaker would answer it", () => {
  const message = bytes(update("", ATTRIBUTES, "210af40901ff"));
  assert.throws(() => decodeCapturedMessage(message), (error: unknown) => error instanceof BgpMessageError && error.code === 3 && error.subcode === 10);
  const { layers, error } = bgpLayers(message);
  assert.equal(layers, []);
  assert.match(error!.reason, "Invalid Network Field");
  assert.match(error!.reason, "prefix length 33 > 32");
});

test("an ADD-PATH UPDATE with small path ids reads as ADD-PATH; a plain one as plain", () => {
  const addPath = decodeCapturedMessage(bytes(update("", ATTRIBUTES, "00000001" + "180af409" + "00000002" + "180af40a")));
  assert.equal(addPath.message.type === "update" && addPath.message.nlri, [{ prefix: "10.244.9.0/24", pathId: 1 }, { prefix: "10.244.10.0/24", pathId: 2 }]);
  const plain = decodeCapturedMessage(bytes(update("", ATTRIBUTES, "180af409")));
  assert.equal(plain.message.type === "update" && plain.message.nlri, [{ prefix: "10.244.9.0/24", pathId: 0 }]);
});

test.run();
