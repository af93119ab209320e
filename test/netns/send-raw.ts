// Sends IPIP packets from a raw socket of this namespace, as a host that is not a peer node would:
// `send-ipip.ts <from> <to> <inner destination> <count>`, each an ICMP echo inside IPv4-in-IPv4.
// Run inside a test's namespace (the raw socket is podnet's own addon's); prints "sent <n>".
import { HeaderKind } from "../../assembly/shared/fields";
import { SLOT_FIELDS, SlotField } from "../../assembly/shared/slots";
import { addon } from "../../host/native/addon";
import { ipv4ToNumber } from "../../host/net/addresses";
import { PacketBatch } from "../../host/wasm/datapath";
import { emitHeader } from "../../host/wasm/headers";
import { core } from "../../host/wasm/module";
import { memoryBytes } from "../../host/wasm/scratch";

const [from, to, innerDestination, count] = process.argv.slice(2);
const icmp = emitHeader(HeaderKind.Icmpv4, { type: 8, code: 0, restOfHeader: 0x77770001, payloadLength: 8 }, { payload: new Uint8Array(8).fill(0x21) });
const inner = emitHeader(HeaderKind.Ipv4, { version: 4, headerLength: 20, totalLength: 20 + icmp.length, ttl: 64, protocol: 1, source: ipv4ToNumber("10.99.0.1"), destination: ipv4ToNumber(innerDestination) }, { payload: icmp });
const outer = emitHeader(HeaderKind.Ipv4, { version: 4, headerLength: 20, totalLength: 20 + inner.length, ttl: 64, protocol: 4, source: ipv4ToNumber(from), destination: ipv4ToNumber(to) }, { payload: inner });

const batch = new PacketBatch();
const n = Number(count);
for (let i = 0; i < n; i++) {
  batch.set(i, outer);
  const words = new Uint32Array(memoryBytes().buffer, core().slotTable() + i * SLOT_FIELDS * 4, SLOT_FIELDS);
  words[SlotField.Status] = 0;
  words[SlotField.OutputOffset] = batch.packetAddress(i);
  words[SlotField.OutputLength] = outer.length;
  words[SlotField.Address] = ipv4ToNumber(to);
  words[SlotField.SegmentSize] = 0;
}
const native = addon();
const fd = native.rawIpipOpen(ipv4ToNumber(from));
console.log(`sent ${native.sendPackets(fd, core().memory.buffer, core().slotTable(), n)}`);
native.closeFd(fd);
