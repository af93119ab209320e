// Offload in the Wasm core: TCP super-packets from a TUN device with a virtio-net header cut into
// MSS-sized segments laid out for one UDP_SEGMENT send, partial checksums completed, and the
// header a TUN device wants in front of everything written back to it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { EncapMode, SlotField, VNET_HEADER_LEN } from "../../assembly/shared/slots";
import { Status } from "../../assembly/shared/status";
import { configureLocal, configurePeer, PacketBatch } from "../../host/wasm/datapath";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { core } from "../../host/wasm/module";
import { referenceChecksum } from "../helpers/reference/checksum";
import { RouteTable } from "../../host/wasm/route-table";

// uvu runs every suite in one process: the data path's configuration is set when this suite starts,
// not when the file loads, so other suites keep theirs.
const routes = new RouteTable();
let batch: PacketBatch;
test.before(() => {
  configureLocal({ publicIp: "198.18.0.1", overlayIp: "10.244.0.0", vtepMac: "02:70:c6:12:00:01", vni: 1, mtu: 1500 });
  configurePeer(3, { publicIp: "198.18.0.2", vtepMac: "02:70:c6:12:00:02" });
  routes.add("10.244.2.0/24", 3);
  batch ??= new PacketBatch(72 * 1024);
});

const SOURCE = ipv4ToNumber("10.244.1.5");
const DESTINATION = ipv4ToNumber("10.244.2.7");
const MSS = 1398;
const ACK = 0x10, PSH = 0x08, CWR = 0x80, FIN = 0x01;

function pseudoHeader(protocol: number, length: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SOURCE);
  view.setUint32(4, DESTINATION);
  view.setUint8(9, protocol);
  view.setUint16(10, length);
  return bytes;
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));
const ipChecksumGood = (header: Uint8Array) => referenceChecksum(header) === 0;
const l4ChecksumGood = (protocol: number, segment: Uint8Array) => referenceChecksum(concat(pseudoHeader(protocol, segment.length), segment)) === 0;

/** IPv4 header (20 bytes) for `protocol` with `payloadLength` bytes after it; checksum filled. */
function ipv4Header(protocol: number, payloadLength: number, destination = DESTINATION): Uint8Array {
  const header = new Uint8Array(20);
  const view = new DataView(header.buffer);
  view.setUint8(0, 0x45);
  view.setUint16(2, 20 + payloadLength);
  view.setUint16(4, 0x2000);
  view.setUint16(6, 0x4000);
  view.setUint8(8, 64);
  view.setUint8(9, protocol);
  view.setUint32(12, SOURCE);
  view.setUint32(16, destination);
  view.setUint16(10, referenceChecksum(header));
  return header;
}

/** A virtio-net header. */
function vnetHeader(fields: { flags?: number; gsoType?: number; headerLength?: number; gsoSize?: number; checksumStart?: number; checksumOffset?: number }): Uint8Array {
  const header = new Uint8Array(VNET_HEADER_LEN);
  const view = new DataView(header.buffer);
  view.setUint8(0, fields.flags ?? 0);
  view.setUint8(1, fields.gsoType ?? 0);
  view.setUint16(2, fields.headerLength ?? 0, true);
  view.setUint16(4, fields.gsoSize ?? 0, true);
  view.setUint16(6, fields.checksumStart ?? 0, true);
  view.setUint16(8, fields.checksumOffset ?? 0, true);
  return header;
}

/** A TCP super-packet of `payload` bytes (32-byte TCP header: 12 bytes of options), as TSO hands it over. */
function superPacket(payload: Uint8Array, flags: number, destination = DESTINATION): { packet: Uint8Array; vnet: Uint8Array } {
  const tcp = new Uint8Array(32);
  const view = new DataView(tcp.buffer);
  view.setUint16(0, 40000);
  view.setUint16(2, 7000);
  view.setUint32(4, 0xfffff000); // wraps within the packet
  view.setUint32(8, 0x01020304);
  view.setUint8(12, 8 << 4);
  view.setUint8(13, flags);
  view.setUint16(14, 501);
  tcp.set([1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7], 20); // NOP NOP timestamps
  view.setUint16(16, 0xbeef); // a partial sum: ignored, every segment's checksum is computed anew
  return {
    packet: concat(ipv4Header(6, 32 + payload.length, destination), tcp, payload),
    vnet: vnetHeader({ flags: 1, gsoType: 1, headerLength: 52, gsoSize: MSS, checksumStart: 20, checksumOffset: 16 }),
  };
}

test("a TCP super-packet becomes MSS-sized VXLAN datagrams at one stride, headers and checksums right", () => {
  const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
  const { packet, vnet } = superPacket(payload, ACK | PSH | CWR | FIN);
  batch.set(0, concat(vnet, packet));
  assert.is(batch.encapOffload(EncapMode.Vxlan, 1), 1);
  assert.is(batch.status(0), Status.Ok);
  const stride = 8 + 14 + 52 + MSS;
  assert.is(batch.segmentSize(0), stride);
  assert.is(batch.address(0), ipv4ToNumber("198.18.0.2"));
  const output = batch.output(0);
  assert.is(output.length, 3 * stride + 8 + 14 + 52 + (5000 - 3 * MSS));
  const received: number[] = [];
  for (let i = 0; i < 4; i++) {
    const datagram = output.subarray(i * stride, Math.min(output.length, (i + 1) * stride));
    const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    assert.equal([...datagram.subarray(0, 8)], [0x08, 0, 0, 0, 0, 0, 1, 0], "VXLAN flags and VNI 1");
    assert.is(Buffer.from(datagram.subarray(8, 22)).toString("hex"), "0270c61200020270c61200010800");
    const ip = datagram.subarray(22, 42);
    const length = i < 3 ? MSS : 5000 - 3 * MSS;
    assert.is(view.getUint16(22 + 2), 52 + length);
    assert.is(view.getUint16(22 + 4), 0x2000 + i, "identification counts up");
    assert.is(datagram[22 + 8], 63, "one hop less");
    assert.ok(ipChecksumGood(ip), `segment ${i} IPv4 checksum`);
    const tcp = datagram.subarray(42);
    assert.is(tcp.length, 32 + length);
    assert.is(view.getUint32(42 + 4), (0xfffff000 + i * MSS) >>> 0, "sequence number");
    assert.is(tcp[13], i === 0 ? ACK | CWR : i === 3 ? ACK | PSH | FIN : ACK, `segment ${i} flags`);
    assert.ok(l4ChecksumGood(6, tcp), `segment ${i} TCP checksum`);
    received.push(...tcp.subarray(32));
  }
  assert.equal(Uint8Array.from(received), payload);
});

test("Flannel UDP mode cuts the same way with no per-segment prefix", () => {
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
  const { packet, vnet } = superPacket(payload, ACK);
  batch.set(0, concat(vnet, packet));
  assert.is(batch.encapOffload(EncapMode.FlannelUdp, 1), 1);
  const stride = 52 + MSS;
  assert.is(batch.segmentSize(0), stride);
  const output = batch.output(0);
  assert.is(output.length, 2 * stride + 52 + (3000 - 2 * MSS));
  assert.ok(l4ChecksumGood(6, output.subarray(2 * stride + 20)));
});

test("IPIP mode cuts the same way, each segment a whole outer IPv4 packet (TTL and DF of the inner, protocol 4) for a raw socket", () => {
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 3) & 0xff);
  const { packet, vnet } = superPacket(payload, ACK | PSH);
  batch.set(0, concat(vnet, packet));
  assert.is(batch.encapOffload(EncapMode.Ipip, 1), 1);
  const stride = 20 + 52 + MSS;
  assert.is(batch.segmentSize(0), stride);
  assert.is(batch.address(0), ipv4ToNumber("198.18.0.2"));
  const output = batch.output(0);
  assert.is(output.length, 2 * stride + 20 + 52 + (3000 - 2 * MSS));
  const received: number[] = [];
  for (let i = 0; i < 3; i++) {
    const outer = output.subarray(i * stride, Math.min(output.length, (i + 1) * stride));
    const view = new DataView(outer.buffer, outer.byteOffset, outer.byteLength);
    const length = i < 2 ? MSS : 3000 - 2 * MSS;
    assert.is(outer[0], 0x45, "IPv4, no options");
    assert.is(view.getUint16(2), 20 + 52 + length, "outer total length");
    assert.is(view.getUint16(6), 0x4000, "DF, as the inner packet");
    assert.is(outer[8], 63, "outer TTL: the inner's, one hop less (tunl0's ttl inherit)");
    assert.is(outer[9], 4, "IPIP");
    assert.is(view.getUint32(12), ipv4ToNumber("198.18.0.1"));
    assert.is(view.getUint32(16), ipv4ToNumber("198.18.0.2"));
    assert.ok(ipChecksumGood(outer.subarray(0, 20)), `segment ${i} outer checksum`);
    assert.ok(ipChecksumGood(outer.subarray(20, 40)), `segment ${i} inner checksum`);
    assert.ok(l4ChecksumGood(6, outer.subarray(40)), `segment ${i} TCP checksum`);
    received.push(...outer.subarray(72));
  }
  assert.equal(Uint8Array.from(received), payload);
});

test("IPIP decap with offload: only from a peer, and the inner packet gets a cleared virtio-net header", () => {
  const inner = concat(ipv4Header(17, 8), new Uint8Array(8).fill(2));
  const outerFrom = (source: string) => {
    const header = new Uint8Array(20);
    const view = new DataView(header.buffer);
    view.setUint8(0, 0x45);
    view.setUint16(2, 20 + inner.length);
    view.setUint8(8, 64);
    view.setUint8(9, 4);
    view.setUint32(12, ipv4ToNumber(source));
    view.setUint32(16, ipv4ToNumber("198.18.0.1"));
    view.setUint16(10, referenceChecksum(header));
    return concat(header, inner);
  };
  batch.set(0, outerFrom("198.18.0.2"));
  batch.set(1, outerFrom("198.18.0.99"));
  assert.is(batch.decapOffload(EncapMode.Ipip, 2), 1);
  assert.equal(batch.output(0), concat(new Uint8Array(VNET_HEADER_LEN), inner));
  assert.is(batch.status(1), Status.UnknownPeer);
  assert.is(batch.output(1).length, 0);
});

test("IPIP decap with offload joins a batch's consecutive TCP segments into one super-packet for the TUN device (userspace GRO)", () => {
  // Three segments of one stream (as a peer's tunl0 sends them), then a UDP packet: two records.
  const payload = Uint8Array.from({ length: 3 * MSS }, (_, i) => (i * 5) & 0xff);
  const { packet, vnet } = superPacket(payload, ACK);
  batch.set(0, concat(vnet, packet));
  assert.is(batch.encapOffload(EncapMode.Ipip, 1), 1);
  const stride = batch.segmentSize(0);
  const output = batch.output(0);
  const segments = [0, 1, 2].map((i) => {
    const outer = output.slice(i * stride, (i + 1) * stride);
    // Swap the outer addresses: from the peer 198.18.0.2 to us (a swap leaves the checksum as it was).
    outer.set(output.subarray(i * stride + 16, i * stride + 20), 12);
    outer.set(output.subarray(i * stride + 12, i * stride + 16), 16);
    return outer;
  });
  const udp = concat(ipv4Header(17, 8), new Uint8Array(8).fill(3));
  const udpOuter = concat(segments[0].subarray(0, 20), udp);
  new DataView(udpOuter.buffer).setUint16(2, 20 + udp.length);
  udpOuter[10] = udpOuter[11] = 0;
  new DataView(udpOuter.buffer).setUint16(10, referenceChecksum(udpOuter.subarray(0, 20)));
  [...segments, udpOuter].forEach((outer, i) => batch.set(i, outer));
  assert.is(batch.decapOffload(EncapMode.Ipip, 4), 4);
  const records = batch.output(0);
  assert.equal([1, 2, 3].map((i) => batch.output(i).length), [0, 0, 0]);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const joinedLength = view.getUint32(0, true);
  assert.is(joinedLength, 10 + 52 + 3 * MSS, "one record: virtio-net header and the joined packet");
  assert.is(records[4 + 1], 1, "GSO TCPv4");
  assert.is(view.getUint16(4 + 4, true), MSS, "gso_size");
  const joined = records.subarray(14, 4 + joinedLength);
  assert.equal(joined.subarray(52), payload);
  const second = 4 + joinedLength;
  assert.is(view.getUint32(second, true), 10 + udp.length);
  assert.equal(records.subarray(second + 14), udp);
});

test("a packet with only a partial checksum (NEEDS_CSUM, no GSO) is completed and sent as one datagram", () => {
  const udp = new Uint8Array(8 + 100).fill(0x5a);
  const view = new DataView(udp.buffer);
  view.setUint16(0, 5000);
  view.setUint16(2, 53);
  view.setUint16(4, 108);
  // The pseudo-header sum, as the kernel leaves it in CHECKSUM_PARTIAL packets.
  view.setUint16(6, (~referenceChecksum(pseudoHeader(17, 108)) & 0xffff));
  const packet = concat(ipv4Header(17, 108), udp);
  batch.set(0, concat(vnetHeader({ flags: 1, checksumStart: 20, checksumOffset: 6 }), packet));
  assert.is(batch.encapOffload(EncapMode.Vxlan, 1), 1);
  assert.is(batch.segmentSize(0), 0);
  const output = batch.output(0);
  assert.is(output.length, 22 + 128);
  assert.ok(l4ChecksumGood(17, output.subarray(42)), "the UDP checksum is complete");
});

test("what goes back into the TUN device gets a cleared virtio-net header: an ICMP error, a decapsulated packet", () => {
  const udp = new Uint8Array(8).fill(1);
  const unroutable = concat(ipv4Header(17, 8, ipv4ToNumber("10.244.9.9")), udp);
  batch.set(0, concat(vnetHeader({}), unroutable));
  assert.is(batch.encapOffload(EncapMode.Vxlan, 1), 0);
  assert.is(batch.status(0), Status.NoRoute);
  const error = batch.output(0);
  assert.equal([...error.subarray(0, VNET_HEADER_LEN)], new Array(VNET_HEADER_LEN).fill(0));
  assert.is(error[VNET_HEADER_LEN + 9], 1, "ICMP");
  assert.is(error[VNET_HEADER_LEN + 20], 3, "destination unreachable");

  const inner = concat(ipv4Header(17, 8), udp);
  const datagram = concat(Uint8Array.from([0x08, 0, 0, 0, 0, 0, 1, 0]), Uint8Array.from(Buffer.from("0270c61200010270c61200020800", "hex")), inner);
  batch.set(0, datagram);
  batch.setAddress(0, ipv4ToNumber("198.18.0.2"));
  assert.is(batch.decapOffload(EncapMode.Vxlan, 1), 1);
  assert.equal(batch.output(0), concat(new Uint8Array(VNET_HEADER_LEN), inner));
});

test("a super-packet is answered like a single packet: no route, TTL spent, segments too big for the path (RFC 1191)", () => {
  const cases: Array<[string, Uint8Array, Status, number, number, number]> = [
    ["no route", superPacket(new Uint8Array(3000), ACK, ipv4ToNumber("10.244.9.9")).packet, Status.NoRoute, 3, 0, 0],
    ["TTL 1", Uint8Array.from(superPacket(new Uint8Array(3000), ACK).packet, (byte, i) => (i === 8 ? 1 : byte)), Status.TtlExpired, 11, 0, 0],
  ];
  for (const [what, packet, status, type, code, mtu] of cases) {
    batch.set(0, concat(vnetHeader({ flags: 1, gsoType: 1, headerLength: 52, gsoSize: MSS, checksumStart: 20, checksumOffset: 16 }), packet));
    assert.is(batch.encapOffload(EncapMode.Vxlan, 1), 0, what);
    assert.is(batch.status(0), status, what);
    const error = batch.output(0);
    assert.equal([...error.subarray(0, VNET_HEADER_LEN)], new Array(VNET_HEADER_LEN).fill(0), `${what}: cleared header`);
    const icmp = error.subarray(VNET_HEADER_LEN + 20);
    assert.equal([icmp[0], icmp[1], (icmp[6] << 8) | icmp[7]], [type, code, mtu], what);
    assert.equal(icmp.subarray(8, 28), packet.subarray(0, 20), `${what}: the super-packet's header is quoted`);
  }
  // A pod with MTU 1500 behind a 1450 path: TSO hands over 1448-byte segments with DF.
  const big = superPacket(new Uint8Array(4000), ACK);
  batch.set(0, concat(vnetHeader({ flags: 1, gsoType: 1, headerLength: 52, gsoSize: 1448, checksumStart: 20, checksumOffset: 16 }), big.packet));
  batch.encapOffload(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.TooBig);
  const error = batch.output(0).subarray(VNET_HEADER_LEN + 20);
  assert.equal([error[0], error[1], (error[6] << 8) | error[7]], [3, 4, 1450], "fragmentation needed, next-hop MTU 1450");
});

test("offload refuses what it cannot cut: another GSO type, a slot too small", () => {
  const { packet } = superPacket(new Uint8Array(3000), ACK);
  batch.set(0, concat(vnetHeader({ gsoType: 3, gsoSize: MSS }), packet));
  batch.encapOffload(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.Unsupported);
  const small = new PacketBatch(4096);
  const big = superPacket(new Uint8Array(4000), ACK);
  small.set(0, concat(big.vnet, big.packet));
  small.encapOffload(EncapMode.Vxlan, 1);
  assert.is(small.status(0), Status.TooBig);
});

/** A complete TCP segment (checksums right) of flow `port`, `payload` bytes from `sequence`. */
function tcpSegment(port: number, sequence: number, payload: Uint8Array, flags = ACK): Uint8Array {
  const tcp = new Uint8Array(32 + payload.length);
  const view = new DataView(tcp.buffer);
  view.setUint16(0, port);
  view.setUint16(2, 7000);
  view.setUint32(4, sequence >>> 0);
  view.setUint32(8, 0x01020304);
  view.setUint8(12, 8 << 4);
  view.setUint8(13, flags);
  view.setUint16(14, 501);
  tcp.set([1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7], 20);
  tcp.set(payload, 32);
  view.setUint16(16, referenceChecksum(concat(pseudoHeader(6, tcp.length), tcp)));
  return concat(ipv4Header(6, tcp.length), tcp);
}

const vxlanPrefix = () => concat(Uint8Array.from([0x08, 0, 0, 0, 0, 0, 1, 0]), Uint8Array.from(Buffer.from("0270c61200010270c61200020800", "hex")));

/** Records of a decap output: [u32 LE length][virtio-net header][packet]… */
function records(output: Uint8Array): Array<{ vnet: Uint8Array; packet: Uint8Array }> {
  const found = [];
  let at = 0;
  while (at < output.length) {
    const length = new DataView(output.buffer, output.byteOffset + at).getUint32(0, true);
    found.push({ vnet: output.slice(at + 4, at + 14), packet: output.slice(at + 14, at + 4 + length) });
    at += 4 + length;
  }
  return found;
}

/** Puts datagrams as UDP GRO hands them over in slot 0: back to back, `stride` apart. */
function groSlot(datagrams: Uint8Array[], stride: number): void {
  batch.set(0, concat(...datagrams));
  batch.setAddress(0, ipv4ToNumber("198.18.0.2"));
  new Uint32Array(core().memory.buffer, core().slotTable(), 10)[SlotField.SegmentSize] = stride;
}

test("a UDP GRO read of one TCP stream's segments becomes one super-packet with a TCPv4 GSO header", () => {
  const stride = 22 + 52 + MSS;
  const payloads = [MSS, MSS, 500].map((length, index) => Uint8Array.from({ length }, (_, i) => (i + index * 13) & 0xff));
  const segments = [tcpSegment(40000, 1000, payloads[0]), tcpSegment(40000, 1000 + MSS, payloads[1]), tcpSegment(40000, 1000 + 2 * MSS, payloads[2], ACK | PSH)];
  groSlot(segments.map((segment) => concat(vxlanPrefix(), segment)), stride);
  assert.is(batch.decapOffload(EncapMode.Vxlan, 1), 1);
  const [joined, ...rest] = records(batch.output(0));
  assert.is(rest.length, 0, JSON.stringify(records(batch.output(0)).map((r) => [r.packet.length, [...r.vnet]])));
  const vnet = new DataView(joined.vnet.buffer);
  assert.equal([vnet.getUint8(0), vnet.getUint8(1), vnet.getUint16(2, true), vnet.getUint16(4, true), vnet.getUint16(6, true), vnet.getUint16(8, true)], [1, 1, 52, MSS, 20, 16]);
  const packet = new DataView(joined.packet.buffer);
  const tcpLength = 32 + 2 * MSS + 500;
  assert.is(packet.getUint16(2), 20 + tcpLength);
  assert.ok(ipChecksumGood(joined.packet.subarray(0, 20)));
  assert.is(joined.packet[33], ACK | PSH);
  assert.is(packet.getUint32(24), 1000);
  assert.is(packet.getUint16(36), ~referenceChecksum(pseudoHeader(6, tcpLength)) & 0xffff, "the pseudo-header sum, for the kernel to complete");
  assert.equal(joined.packet.subarray(52), concat(...payloads));
});

test("segments of different streams, out of order or with a bad checksum stay separate packets", () => {
  const stride = 22 + 52 + MSS;
  const full = new Uint8Array(MSS).fill(7);
  const bad = tcpSegment(40000, 1000 + MSS, full);
  bad[60] ^= 0xff;
  const segments = [tcpSegment(40000, 1000, full), tcpSegment(40001, 5000, full), tcpSegment(40000, 1000 + MSS, full), bad];
  groSlot(segments.map((segment) => concat(vxlanPrefix(), segment)), stride);
  assert.is(batch.decapOffload(EncapMode.Vxlan, 1), 1);
  const found = records(batch.output(0));
  assert.is(found.length, 4);
  found.forEach((record, index) => {
    assert.equal(record.vnet, new Uint8Array(VNET_HEADER_LEN), `record ${index}: no offload`);
    assert.equal(record.packet, segments[index]);
  });
});

test("Flannel UDP: a GRO read's records start in the headroom (no header to shed), joined the same way", () => {
  const stride = 52 + MSS;
  const payloads = [MSS, MSS, 700].map((length, index) => Uint8Array.from({ length }, (_, i) => (i * 3 + index) & 0xff));
  const segments = payloads.map((payload, index) => tcpSegment(40000, 77 + index * MSS, payload));
  groSlot(segments, stride);
  assert.is(batch.decapOffload(EncapMode.FlannelUdp, 1), 1);
  const [joined, ...rest] = records(batch.output(0));
  assert.is(rest.length, 0);
  assert.is(new DataView(joined.vnet.buffer).getUint8(1), 1, "TCPv4 GSO");
  assert.equal(joined.packet.subarray(52), concat(...payloads));
  // Separate packets need 14 more bytes each than the datagrams held: more than 64 bytes of headroom here.
  const streams = Array.from({ length: 5 }, (_, index) => tcpSegment(41000 + index, 1, new Uint8Array(MSS)));
  groSlot(streams, stride);
  batch.decapOffload(EncapMode.FlannelUdp, 1);
  assert.is(batch.status(0), Status.BadArgument);
});

test("a GRO read from an unknown sender is dropped whole; a bad datagram inside is skipped", () => {
  const stride = 22 + 52 + MSS;
  const full = new Uint8Array(MSS).fill(9);
  const datagrams = [concat(vxlanPrefix(), tcpSegment(40000, 1, full)), concat(vxlanPrefix(), tcpSegment(40000, 1 + MSS, full))];
  groSlot(datagrams, stride);
  batch.setAddress(0, ipv4ToNumber("198.18.0.99"));
  batch.decapOffload(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.UnknownPeer);
  datagrams[0][6] = 9; // VNI 9: not ours
  groSlot(datagrams, stride);
  assert.is(batch.decapOffload(EncapMode.Vxlan, 1), 1);
  const found = records(batch.output(0));
  assert.is(found.length, 1);
  assert.equal(found[0].packet, tcpSegment(40000, 1 + MSS, full));
});

test.run();
