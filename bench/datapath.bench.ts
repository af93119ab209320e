// encapBatch/decapBatch throughput: 64 packets of 1400 bytes per call, per mode, in million
// packets per second including the JS→Wasm call and the route lookup per packet, against the
// same work in plain JavaScript (with the peer given, no lookup) over the same buffers, same run.
import { EncapMode, MAX_BATCH } from "../assembly/shared/slots";
import { HeaderKind } from "../assembly/shared/fields";
import { configureLocal, configurePeer, PacketBatch } from "../host/wasm/datapath";
import { emitHeader } from "../host/wasm/headers";
import { core } from "../host/wasm/module";
import { memoryBytes } from "../host/wasm/scratch";
import { ipv4ToNumber } from "../host/shared/addresses";
import { RouteTable } from "../host/wasm/route-table";
import { javascriptDecap, javascriptEncap } from "./javascript-datapath";
import { report, secondsPerCall, type BenchRow } from "./measure";

const PACKET_BYTES = 1400;
const TTL_RESET_EVERY = 250; // TTL 255 lasts this many encap passes, then the packets are rewritten

configureLocal({ publicIp: "198.18.0.1", overlayIp: "10.244.1.0", vtepMac: "02:00:0a:f4:01:00", vni: 1, mtu: 1500 });
configurePeer(0, { publicIp: "198.18.0.2", vtepMac: "02:00:0a:f4:02:00" });
// The decap input comes from this node's own address (encapsulated here): IPIP decap takes packets from peers only.
configurePeer(300, { publicIp: "198.18.0.1", vtepMac: "02:00:0a:f4:01:00" });
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

  // The comparison means something only if both did the same work: one packet through each, the
  // outer packets (and the decapsulated inner ones) must be the same bytes.
  refill();
  wasm.encapBatch(mode, 1);
  const wasmOuter = Uint8Array.from(batch.output(0));
  refill();
  const javascriptOuterAt = javascriptEncap(memory, batch.packetAddress(0), PACKET_BYTES, mode, 0xc6120001, 0xc6120002, peerMac, localMac);
  const javascriptOuter = memory.slice(javascriptOuterAt, javascriptOuterAt + wasmOuter.length);
  // The outer IPv4 identification is each sender's own counter, so it (and the header checksum
  // that covers it) may differ, and so may VXLAN's UDP source port (flow entropy, each its own
  // hash); every other byte must not.
  const free = new Set([4, 5, 10, 11, ...(mode === EncapMode.Vxlan ? [20, 21] : [])]);
  const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i] || free.has(i));
  if (!sameBytes(wasmOuter, javascriptOuter)) {
    throw new Error(`${EncapMode[mode]}: the JavaScript encap differs from the Wasm core's:\n${Buffer.from(wasmOuter.subarray(0, 80)).toString("hex")}\n${Buffer.from(javascriptOuter.subarray(0, 80)).toString("hex")}`);
  }
  batch.set(0, wasmOuter);
  wasm.decapBatch(mode, 1);
  const wasmInner = Uint8Array.from(batch.output(0));
  batch.set(0, wasmOuter);
  const javascriptInnerAt = javascriptDecap(memory, batch.packetAddress(0), wasmOuter.length, mode);
  if (Buffer.compare(wasmInner, memory.subarray(javascriptInnerAt, javascriptInnerAt + wasmInner.length)) !== 0 || wasmInner.length !== PACKET_BYTES) {
    throw new Error(`${EncapMode[mode]}: the JavaScript decap finds another inner packet than the Wasm core`);
  }

  rows.push({ metric: `encapBatch ${EncapMode[mode]} 64×1400 B`, unit: "Mpps", podnet: mpps(wasmEncap), baseline: mpps(javascriptEncapSeconds), baselineName: "same work in JavaScript" });
  rows.push({ metric: `decapBatch ${EncapMode[mode]} 64×1400 B`, unit: "Mpps", podnet: mpps(wasmDecap), baseline: mpps(javascriptDecapSeconds), baselineName: "same work in JavaScript" });
}
report("datapath", rows);
