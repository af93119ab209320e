// Runs inside a namespace: dials ADDRESS:179 as AS 64512 (router ID 198.18.0.2), and once the
// session is up sends COUNT prefixes and End-of-RIB as fast as TCP takes them. Prints
// {"established": epoch ms} when the receiver's KEEPALIVE arrives, then answers KEEPALIVEs until killed.
import { connect } from "node:net";
import { encodeMessage } from "../host/bgp/codec/message";
import { ourOpen } from "../host/bgp/negotiate";
import { peerDefaults } from "../host/bgp/config";
import { endOfRib } from "../host/bgp/codec/update";
import { feedUpdates } from "./bgp-feed";

const [address, countText] = process.argv.slice(2);
const updates = feedUpdates(Number(countText), "198.18.0.2");
const open = ourOpen({ localAs: 64512, routerId: "198.18.0.2" }, peerDefaults(address, 64512, { holdTime: 90 }));
// A plain IPv4 feed: no ADD-PATH, no extended messages offered.
const parameters = open.parameters[0] as { type: 2; capabilities: Array<{ kind: string }> };
parameters.capabilities = parameters.capabilities.filter((capability) => capability.kind !== "add-path" && capability.kind !== "extended-message");
const keepalive = encodeMessage({ type: "keepalive" });
const socket = connect({ host: address, port: 179 });
let buffer = Buffer.alloc(0);
let established = false;
socket.on("connect", () => socket.write(encodeMessage(open)));
socket.on("data", (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 19 && buffer.length >= buffer.readUInt16BE(16)) {
    const type = buffer[18];
    buffer = buffer.subarray(buffer.readUInt16BE(16));
    if (type === 1) socket.write(keepalive);
    if (type === 4 && !established) {
      established = true;
      process.stdout.write(`${JSON.stringify({ established: Date.now() })}\n`);
      void send();
    }
  }
});
socket.on("error", (error) => {
  process.stderr.write(`feeder: ${error.message}\n`);
  process.exit(1);
});
setInterval(() => socket.write(keepalive), 20_000);

async function send(): Promise<void> {
  for (const update of updates) {
    if (!socket.write(update)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  socket.write(encodeMessage(endOfRib(1, 1)));
}
