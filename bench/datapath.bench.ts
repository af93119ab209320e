// encapBatch/decapBatch throughput: 64 packets of 1400 bytes per call, per mode, in million
// packets per second including the JS→Wasm call and the route lookup per packet, against the
// same work in plain JavaScript (with the peer given, no lookup) over the same buffers, same run.
import { EncapMode, MAX_BATCH } from "../assembly/shared/slots.js";
import { HeaderKind } from "../assembly/shared/fields.js";
import { configureLocal, configurePeer, PacketBatch } from "../host/wasm/datapath.js";
import { emitHeader } from "../host/wasm/headers.js";
import { core } from "../host/wasm/module.js";
import { memoryBytes } from "../host/wasm/scratch.js";
import { ipv4ToNumber } from "../host/net/addresses.js";
import { RouteTable } from "../host/wasm/route-table.js";
import { javascriptDecap, javascriptEncap } from "./javascript-datapath.js";
import { report, secondsPerCall, type BenchRow } from "./measure.js";

const PACKET_BYTES = 1400;
const TTL_RESET_EVERY = 250; // TTL 255 lasts this many encap passes, then the packets are rewritten

configureLocal({ publicIp: "198.18.0.1", overlayIp: "10.244.1.0", vtepMac: "02:00:0a:f4:01:00", vni: 1, mtu: 1500 });
configurePeer(0, { publicIp: "198.18.0.2", vtepMac: "02:00:0a:f4:02:00" });
// A table shaped like a cluster's: one /24 per node, the packets' destination among them.
const routes = new RouteTable();
routes.load(Array.from({ length: 250 }, (_, node): [string, number] => [`10.244.${node}.0/24`, node === 2 ? 0 : node + 1]));
const udp = emitHeader(HeaderKind.Udp, { sourcePort: 40000, destinationPort: 5201, length: PACKET_BYTES - 20 }, { payload: new Uint8Array(PACKET_BYTES - 28).fill(0x42), source: ipv4ToNumber("10.244.1.7"), destination: ipv4ToNumber("10.244.2.9") });
const packet = emitHeader(HeaderKind.Ipv4, { version: 4, headerLength: 20, totalLength: PACKET_BYTES, dontFragment: 1, ttl: 255, protocol: 17, source: ipv4ToNumber("10.244.1.7"), destination: ipv4ToNumber("10.244.2.9") }, { payload: udp });

const batch = new PacketBatch();
const wasm = core();
const rows: BenchRow[] = [];
const mpps = (secondsPerBatch: number) => MAX_BATCH / secondsPerBatch / 1e6;

for (const mode of [EncapMode.FlannelUdp, EncapMode.Vxlan, EncapMode.Ipip]) {
  const refill = () => {
    for (let i = 0; i < MAX_BATCH; i++) batch.set(i, packet);
  };
  refill();
  let passes = 0;
  const wasmEncap = secondsPerCall(() => {
    if (++passes % TTL_RESET_EVERY === 0) refill();
    if (wasm.encapBatch(mode, MAX_BATCH) !== MAX_BATCH) throw new Error("encap dropped packets");
  }, 2000);

  // The same buffers for the JavaScript baseline: it works in place on linear memory too.
  refill();
  const memory = memoryBytes();
  const peerMac = Uint8Array.from([2, 0, 10, 244, 2, 0]);
  const localMac = Uint8Array.from([2, 0, 10, 244, 1, 0]);
  passes = 0;
  const javascriptEncapSeconds = secondsPerCall(() => {
    if (++passes % TTL_RESET_EVERY === 0) refill();
    for (let i = 0; i < MAX_BATCH; i++) {
      if (javascriptEncap(memory, batch.packetAddress(i), PACKET_BYTES, mode, 0xc6120001, 0xc6120002, peerMac, localMac) < 0) throw new Error("js encap dropped");
    }
  }, 500);

  // Decap input: one encapsulated batch, written back into the slots.
  refill();
  batch.encap(mode, MAX_BATCH);
  const outers = Array.from({ length: MAX_BATCH }, (_, i) => batch.output(i));
  outers.forEach((outer, i) => batch.set(i, outer));
  const wasmDecap = secondsPerCall(() => {
    if (wasm.decapBatch(mode, MAX_BATCH) !== MAX_BATCH) throw new Error("decap dropped packets");
  }, 2000);
  const javascriptDecapSeconds = secondsPerCall(() => {
    for (let i = 0; i < MAX_BATCH; i++) {
      if (javascriptDecap(memory, batch.packetAddress(i), outers[i].length, mode) < 0) throw new Error("js decap dropped");
    }
  }, 500);

  rows.push({ metric: `encapBatch ${EncapMode[mode]} 64×1400 B`, unit: "Mpps", podnet: mpps(wasmEncap), baseline: mpps(javascriptEncapSeconds), baselineName: "same work in JavaScript" });
  rows.push({ metric: `decapBatch ${EncapMode[mode]} 64×1400 B`, unit: "Mpps", podnet: mpps(wasmDecap), baseline: mpps(javascriptDecapSeconds), baselineName: "same work in JavaScript" });
}
report("datapath", rows);
