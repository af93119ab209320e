// Sends raw IPv4 packets written by the test (outer header and all: IP_HDRINCL, the kernel only
// fills in the header checksum), as a host that is not a podnet node would: forged sources,
// fragments, IPIP from a stranger, a flood. `send-raw.ts <bind address> <hex packet> <count>`, run
// inside a test's namespace (the raw socket is podnet's own addon's); prints "sent <n>".
import { MAX_BATCH, SLOT_FIELDS, SlotField } from "../../assembly/shared/slots";
import { addon } from "../../host/native/addon";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { PacketBatch } from "../../host/wasm/datapath";
import { core } from "../../host/wasm/module";
import { memoryBytes } from "../../host/wasm/scratch";

const [bindAddress, hex, count] = process.argv.slice(2);
const packet = Uint8Array.from(Buffer.from(hex, "hex"));
const destination = new DataView(packet.buffer).getUint32(16);
const total = Number(count);

const batch = new PacketBatch();
const slots = Math.min(total, MAX_BATCH);
for (let i = 0; i < slots; i++) {
  batch.set(i, packet);
  const words = new Uint32Array(memoryBytes().buffer, core().slotTable() + i * SLOT_FIELDS * 4, SLOT_FIELDS);
  words[SlotField.Status] = 0;
  words[SlotField.OutputOffset] = batch.packetAddress(i);
  words[SlotField.OutputLength] = packet.length;
  words[SlotField.Address] = destination;
  words[SlotField.SegmentSize] = 0;
}
const native = addon();
const fd = native.rawIpipOpen(ipv4ToNumber(bindAddress));
let sent = 0;
while (sent < total) {
  // A full socket buffer sends fewer: try again (the same slots hold the same packet).
  sent += native.sendPackets(fd, core().memory.buffer, core().slotTable(), Math.min(slots, total - sent));
}
console.log(`sent ${sent}`);
native.closeFd(fd);
