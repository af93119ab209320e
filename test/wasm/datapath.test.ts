// The batch data path against the kernel's own VXLAN bytes, round trips through every mode, and
// the router duties: TTL, path MTU, no route — each answered with the right ICMP error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { ChecksumState, HeaderKind } from "../../assembly/shared/fields";
import { CounterDirection, DATAGRAM_HEADERS, EncapMode, MAX_BATCH, SlotField } from "../../assembly/shared/slots";
import { Status } from "../../assembly/shared/status";
import { configureLocal, configurePeer, PacketBatch, statusCounts } from "../../host/wasm/datapath";
import { internetChecksum } from "../../host/wasm/checksum";
import { emitHeader, parseHeader } from "../../host/wasm/headers";
import { core } from "../../host/wasm/module";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { RouteTable } from "../../host/wasm/route-table";
import { repositoryRoot } from "../helpers/paths";
import { layersOf } from "../helpers/layers";
import { seededRandom } from "../helpers/random";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const vxlanFrames = readFileSync(`${repositoryRoot}test/fixtures/wire/vxlan.hex`, "utf8").trim().split("\n").map((line) => Uint8Array.from(Buffer.from(line, "hex")));

// The fixture's two nodes (scripts/capture-wire-fixtures.sh).
configureLocal({ publicIp: "198.18.0.1", overlayIp: "10.244.0.1", vtepMac: "02:00:0a:f4:00:01", vni: 1, mtu: 1500 });
configurePeer(0, { publicIp: "198.18.0.2", vtepMac: "02:00:0a:f4:00:02" });
configurePeer(7, { publicIp: "198.18.0.7", vtepMac: "02:00:0a:f4:00:07" });
// The route table picks the peer: 10.244.0.0/24 lives behind peer 0 (the fixture's second node).
const routes = new RouteTable();
routes.add("10.244.0.0/24", 0);
const batch = new PacketBatch();

/** An IPv4 packet from 10.244.0.1 to 10.244.0.2 with `payloadLength` bytes of ICMP echo. */
function innerPacket(options: { ttl?: number; payloadLength?: number; dontFragment?: number; protocol?: number; icmpType?: number; destination?: string } = {}): Uint8Array {
  const payloadLength = options.payloadLength ?? 56;
  const icmp = emitHeader(HeaderKind.Icmpv4, { type: options.icmpType ?? 8, code: 0, restOfHeader: 0x12340001, payloadLength }, { payload: new Uint8Array(payloadLength).fill(0x61) });
  return emitHeader(HeaderKind.Ipv4, {
    version: 4, headerLength: 20, totalLength: 20 + icmp.length, identification: 0x1111, dontFragment: options.dontFragment ?? 1,
    ttl: options.ttl ?? 64, protocol: options.protocol ?? 1, source: ipv4ToNumber("10.244.0.1"), destination: ipv4ToNumber(options.destination ?? "10.244.0.2"),
  }, { payload: icmp });
}

test("VXLAN encap of a kernel-captured inner packet matches the kernel's frame but for IP id, UDP port and checksum", () => {
  const frames = vxlanFrames.map(layersOf).filter((layers) => layers.length >= 6 && layers[5].kind === HeaderKind.Ipv4 && layers[0].parsed.fields.sourceLow === 0xc6120001);
  assert.ok(frames.length >= 4, "fixture has frames from 198.18.0.1 with inner IPv4");
  for (const layers of frames) {
    const outer = layers[1].bytes;
    const inner = layers[5].bytes.slice();
    // The kernel sent this packet as its originator; we forward, so give it one hop more to spend.
    inner[8] += 1;
    inner[10] = inner[11] = 0;
    const withTtl = emitHeader(HeaderKind.Ipv4, parseHeader(HeaderKind.Ipv4, inner).fields, { payload: inner.subarray(20) });
    batch.set(0, withTtl);
    assert.is(batch.encap(EncapMode.Vxlan, 1), 1);
    assert.is(batch.status(0), Status.Ok);
    const ours = batch.output(0);
    assert.is(ours.length, outer.length);
    const masked = (bytes: Uint8Array) => {
      const copy = bytes.slice();
      copy.fill(0, 4, 6); // identification
      copy.fill(0, 10, 12); // header checksum (covers the identification)
      copy.fill(0, 20, 22); // UDP source port: a flow hash, ours and the kernel's differ
      copy.fill(0, 26, 28); // UDP checksum: this kernel fills it in; we send 0, as RFC 7348 §5 says we SHOULD
      return hex(copy);
    };
    assert.is(masked(ours), masked(outer));
    assert.is(parseHeader(HeaderKind.Ipv4, ours).fields.checksumState, ChecksumState.Good);
    assert.equal([ours[26], ours[27]], [0, 0]);
    const port = (ours[20] << 8) | ours[21];
    assert.ok(port >= 49152 && port <= 65535, `source port ${port}`);
  }
});

test("decap of every kernel VXLAN frame yields the inner IPv4 packet, ARP inside is Unsupported", () => {
  let decapsulated = 0;
  for (const frame of vxlanFrames) {
    const layers = layersOf(frame);
    if (layers.length < 4 || layers[3].kind !== HeaderKind.Vxlan) continue;
    batch.set(0, frame.subarray(14));
    batch.decap(EncapMode.Vxlan, 1);
    if (layers[5].kind === HeaderKind.Ipv4) {
      assert.is(batch.status(0), Status.Ok);
      assert.is(hex(batch.output(0)), hex(layers[5].bytes));
      decapsulated++;
    } else {
      assert.is(batch.status(0), Status.Unsupported);
      assert.is(batch.output(0).length, 0);
    }
  }
  assert.ok(decapsulated >= 8);
});

for (const [mode, overhead] of [[EncapMode.FlannelUdp, 28], [EncapMode.Vxlan, 50], [EncapMode.Ipip, 20]] as const) {
  test(`${EncapMode[mode]}: a full batch of 64 random packets round-trips encap → decap with TTL − 1`, () => {
    const next = seededRandom(mode);
    const originals: Uint8Array[] = [];
    for (let i = 0; i < MAX_BATCH; i++) {
      const packet = innerPacket({ ttl: 2 + (next() % 250), payloadLength: next() % 1400 });
      originals.push(packet);
      batch.set(i, packet);
    }
    assert.is(batch.encap(mode, MAX_BATCH), MAX_BATCH);
    const outers = originals.map((_, i) => batch.output(i));
    outers.forEach((outer, i) => {
      assert.is(outer.length, originals[i].length + overhead);
      const outerIp = parseHeader(HeaderKind.Ipv4, outer).fields;
      assert.is(outerIp.source, ipv4ToNumber("198.18.0.1"));
      assert.is(outerIp.destination, ipv4ToNumber("198.18.0.2"));
      assert.is(outerIp.protocol, mode === EncapMode.Ipip ? 4 : 17);
      assert.is(outerIp.checksumState, ChecksumState.Good);
      if (mode === EncapMode.FlannelUdp) assert.equal([outer[22], outer[23]], [0x20, 0x5d]); // 8285
      batch.set(i, outer);
    });
    // IPIP decap takes packets only from peers: these come from this node's own address.
    if (mode === EncapMode.Ipip) configurePeer(8, { publicIp: "198.18.0.1", vtepMac: "00:00:00:00:00:00" });
    assert.is(batch.decap(mode, MAX_BATCH), MAX_BATCH);
    configurePeer(8, undefined);
    originals.forEach((original, i) => {
      const inner = batch.output(i);
      const expected = original.slice();
      expected[8] -= 1;
      const fields = parseHeader(HeaderKind.Ipv4, inner).fields;
      assert.is(fields.checksumState, ChecksumState.Good);
      assert.is(fields.ttl, original[8] - 1);
      expected.set(inner.subarray(10, 12), 10);
      assert.is(hex(inner), hex(expected));
    });
  });
}

test("IPIP encap of a kernel-made inner packet is what Linux's tunl0 sends: 20-byte header, protocol 4, DF and TTL of the inner, ECN only", () => {
  const frames = vxlanFrames.map(layersOf).filter((layers) => layers.length >= 6 && layers[5].kind === HeaderKind.Ipv4);
  assert.ok(frames.length >= 4);
  // The kernel's inner packets as they left their pod, with TOS values that show what is copied.
  for (const [index, layers] of frames.entries()) {
    const inner = layers[5].bytes.slice();
    const tos = [0x00, 0xb8, 0x03, 0x01][index % 4]; // none, DSCP EF, ECN CE, ECN ECT(1)
    const fields = parseHeader(HeaderKind.Ipv4, inner).fields;
    const forwarded = emitHeader(HeaderKind.Ipv4, { ...fields, dscp: tos >> 2, ecn: tos & 3 }, { payload: inner.subarray(20) });
    batch.set(0, forwarded);
    assert.is(batch.encap(EncapMode.Ipip, 1), 1);
    const ours = batch.output(0);
    // What tunl0 (ttl inherit, tos 0, pmtudisc) would put in front of the forwarded packet (TTL − 1):
    // RFC 2003 §3.1 DF copied; RFC 6040 ECN copied, CE as ECT(0); the identification is the kernel's
    // own counter, so ours is taken as it is.
    const hop = emitHeader(HeaderKind.Ipv4, { ...fields, dscp: tos >> 2, ecn: tos & 3, ttl: fields.ttl - 1 }, { payload: inner.subarray(20) });
    const ecn = tos & 3;
    const expected = emitHeader(HeaderKind.Ipv4, {
      version: 4, headerLength: 20, dscp: 0, ecn: ecn === 3 ? 2 : ecn, totalLength: 20 + hop.length, identification: (ours[4] << 8) | ours[5],
      dontFragment: fields.dontFragment, moreFragments: 0, fragmentOffset: 0, ttl: fields.ttl - 1, protocol: 4,
      source: ipv4ToNumber("198.18.0.1"), destination: ipv4ToNumber("198.18.0.2"),
    }, { payload: hop });
    assert.is(hex(ours), hex(expected), `frame ${index} with TOS ${tos}`);
  }
});

test("IPIP decap takes packets only from a configured peer: others are UnknownPeer, dropped and counted", () => {
  const before = statusCounts(CounterDirection.Decap).get(Status.UnknownPeer) ?? 0;
  batch.set(0, innerPacket());
  batch.encap(EncapMode.Ipip, 1);
  const fromUs = batch.output(0); // from 198.18.0.1, which is not a peer
  batch.set(0, fromUs);
  assert.is(batch.decap(EncapMode.Ipip, 1), 0);
  assert.is(batch.status(0), Status.UnknownPeer);
  assert.is(batch.output(0).length, 0);
  assert.is(statusCounts(CounterDirection.Decap).get(Status.UnknownPeer), before + 1);
  configurePeer(8, { publicIp: "198.18.0.1", vtepMac: "00:00:00:00:00:00" });
  batch.set(0, fromUs);
  assert.is(batch.decap(EncapMode.Ipip, 1), 1);
  configurePeer(8, undefined);
});

test("an outer IPIP fragment, even from a peer, is dropped and counted as Fragment (the kernel reassembles before a socket sees one)", () => {
  configurePeer(8, { publicIp: "198.18.0.1", vtepMac: "00:00:00:00:00:00" });
  batch.set(0, innerPacket());
  batch.encap(EncapMode.Ipip, 1);
  const whole = batch.output(0).slice();
  // More fragments with offset 0 (a first fragment), and offset 185 × 8 without it (a last one).
  for (const flagsAndOffset of [0x2000, 185, 0x4000 | 0x2000]) {
    const fragment = whole.slice();
    fragment[6] = (fragment[6] & 0x40) | (flagsAndOffset >> 8);
    fragment[7] = flagsAndOffset & 0xff;
    fragment[10] = fragment[11] = 0;
    const check = internetChecksum(fragment.subarray(0, 20));
    fragment[10] = check >> 8;
    fragment[11] = check & 0xff;
    const before = statusCounts(CounterDirection.Decap).get(Status.Fragment) ?? 0;
    batch.set(0, fragment);
    assert.is(batch.decap(EncapMode.Ipip, 1), 0);
    assert.is(batch.status(0), Status.Fragment, `flags/offset ${flagsAndOffset.toString(16)}`);
    assert.is(batch.output(0).length, 0);
    assert.is(statusCounts(CounterDirection.Decap).get(Status.Fragment), before + 1);
  }
  batch.set(0, whole);
  assert.is(batch.decap(EncapMode.Ipip, 1), 1, "the same packet whole goes through");
  configurePeer(8, undefined);
});

test("TTL 1 is answered with ICMP time exceeded quoting the header and 8 bytes", () => {
  const packet = innerPacket({ ttl: 1 });
  batch.set(0, packet);
  assert.is(batch.encap(EncapMode.FlannelUdp, 1), 0);
  assert.is(batch.status(0), Status.TtlExpired);
  const answer = batch.output(0);
  const ip = parseHeader(HeaderKind.Ipv4, answer).fields;
  assert.is(ip.source, ipv4ToNumber("10.244.0.1"));
  assert.is(ip.destination, ipv4ToNumber("10.244.0.1"));
  assert.is(ip.protocol, 1);
  assert.is(ip.checksumState, ChecksumState.Good);
  assert.is(ip.totalLength, 20 + 8 + 28);
  const icmp = parseHeader(HeaderKind.Icmpv4, answer.subarray(20));
  assert.equal([icmp.fields.type, icmp.fields.code, icmp.fields.checksumState], [11, 0, ChecksumState.Good]);
  assert.is(hex(answer.subarray(28)), hex(packet.subarray(0, 28)));
});

test("a DF packet too big for the path is answered with fragmentation needed and the next-hop MTU", () => {
  batch.set(0, innerPacket({ payloadLength: 1480 - 28 }));
  batch.encap(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.TooBig);
  const icmp = parseHeader(HeaderKind.Icmpv4, batch.output(0).subarray(20)).fields;
  assert.equal([icmp.type, icmp.code, icmp.restOfHeader & 0xffff], [3, 4, 1450]);
});

test("a packet too big without DF is sent on (the outer datagram may fragment)", () => {
  batch.set(0, innerPacket({ payloadLength: 1480 - 28, dontFragment: 0 }));
  assert.is(batch.encap(EncapMode.Vxlan, 1), 1);
  assert.is(batch.output(0).length, 1480 + 50);
});

test("the route table chooses the peer: the longest prefix wins", () => {
  routes.add("10.244.0.128/25", 7);
  batch.set(0, innerPacket({ destination: "10.244.0.200" }));
  batch.set(1, innerPacket({ destination: "10.244.0.100" }));
  assert.is(batch.encap(EncapMode.Ipip, 2), 2);
  assert.equal([batch.peer(0), batch.peer(1)], [7, 0]);
  assert.is(parseHeader(HeaderKind.Ipv4, batch.output(0)).fields.destination, ipv4ToNumber("198.18.0.7"));
  assert.is(parseHeader(HeaderKind.Ipv4, batch.output(1)).fields.destination, ipv4ToNumber("198.18.0.2"));
  routes.remove("10.244.0.128/25");
});

test("no route, or a route to a peer no longer configured, is answered with ICMP net unreachable", () => {
  routes.add("10.244.9.0/24", 9);
  for (const destination of ["10.245.0.1", "10.244.9.1"]) {
    batch.set(0, innerPacket({ destination }));
    batch.encap(EncapMode.Ipip, 1);
    assert.is(batch.status(0), Status.NoRoute, destination);
    assert.is(batch.peer(0), -1);
    const icmp = parseHeader(HeaderKind.Icmpv4, batch.output(0).subarray(20)).fields;
    assert.equal([icmp.type, icmp.code], [3, 0]);
  }
  routes.remove("10.244.9.0/24");
});

test("an ICMP error is never answered with another ICMP error (RFC 1122)", () => {
  batch.set(0, innerPacket({ ttl: 1, icmpType: 11 }));
  batch.encap(EncapMode.FlannelUdp, 1);
  assert.is(batch.status(0), Status.TtlExpired);
  assert.is(batch.output(0).length, 0);
});

test("bad inner packets are dropped with the Status that names the fault", () => {
  const good = innerPacket();
  const cases: Array<[string, Uint8Array, Status]> = [
    ["truncated", good.subarray(0, 19), Status.Truncated],
    ["total length past the bytes", good.subarray(0, good.length - 1), Status.Truncated],
    ["version 6", Uint8Array.from(good, (byte, i) => (i === 0 ? 0x65 : byte)), Status.BadVersion],
    ["IHL 4", Uint8Array.from(good, (byte, i) => (i === 0 ? 0x44 : byte)), Status.BadHeaderLength],
    ["bad header checksum", Uint8Array.from(good, (byte, i) => (i === 11 ? byte ^ 0xff : byte)), Status.BadChecksum],
  ];
  cases.forEach(([, packet], i) => batch.set(i, packet));
  assert.is(batch.encap(EncapMode.Vxlan, cases.length), 0);
  cases.forEach(([name, , status], i) => {
    assert.is(Status[batch.status(i)], Status[status], name);
    assert.is(batch.output(i).length, 0, name);
  });
});

test("decap refuses the wrong port, VNI, protocol and a bad outer checksum", () => {
  batch.set(0, innerPacket());
  batch.encap(EncapMode.Vxlan, 1);
  const outer = batch.output(0);
  const variant = (edit: (bytes: Uint8Array) => void) => {
    const copy = outer.slice();
    edit(copy);
    return copy;
  };
  const cases: Array<[string, Uint8Array, EncapMode, Status]> = [
    ["VXLAN to the Flannel UDP decap", outer, EncapMode.FlannelUdp, Status.Unsupported],
    ["VXLAN to the IPIP decap", outer, EncapMode.Ipip, Status.Unsupported],
    ["VNI 2", variant((b) => (b[34] = 2)), EncapMode.Vxlan, Status.Malformed],
    ["I flag clear", variant((b) => (b[28] = 0)), EncapMode.Vxlan, Status.Malformed],
    ["outer checksum broken", variant((b) => (b[10] ^= 1)), EncapMode.Vxlan, Status.BadChecksum],
    ["UDP length past the packet", variant((b) => (b[24] = 0xff)), EncapMode.Vxlan, Status.Truncated],
  ];
  for (const [name, packet, mode, status] of cases) {
    batch.set(0, packet);
    batch.decap(mode, 1);
    assert.is(Status[batch.status(0)], Status[status], name);
  }
});

test("slots outside memory or without headroom are refused, not trapped on", () => {
  batch.set(0, innerPacket());
  const words = new Uint32Array(core().memory.buffer, core().slotTable(), 8);
  words[SlotField.Headroom] = 10;
  batch.encap(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.BadArgument);
  words[SlotField.Headroom] = 64;
  words[SlotField.Offset] = core().memory.buffer.byteLength - 16;
  batch.encap(EncapMode.Vxlan, 1);
  assert.is(batch.status(0), Status.BadArgument);
});

test("a batch larger than 64 or an unknown mode is refused", () => {
  assert.throws(() => batch.encap(EncapMode.Vxlan, 65), /BadArgument/);
  assert.throws(() => batch.decap(9 as EncapMode, 1), /BadArgument/);
  assert.throws(() => configurePeer(4096, undefined), /outside/);
  assert.throws(() => configureLocal({ publicIp: "198.18.0.1", overlayIp: "10.244.0.1", vtepMac: "02:00:0a:f4:00:01", vni: 1 << 24, mtu: 1500 }), /BadArgument/);
  assert.throws(() => configureLocal({ publicIp: "198.18.0.300", overlayIp: "10.244.0.1", vtepMac: "02:00:0a:f4:00:01", vni: 1, mtu: 1500 }), /not an IPv4 address/);
});


test("datagram encap writes what a UDP socket sends: the payload after outer IPv4 and UDP, and the peer's address", () => {
  for (const mode of [EncapMode.Vxlan, EncapMode.FlannelUdp]) {
    batch.set(0, innerPacket());
    assert.is(batch.encap(mode, 1), 1);
    const whole = batch.output(0);
    batch.set(0, innerPacket());
    assert.is(batch.encapDatagrams(mode, 1), 1);
    assert.is(batch.status(0), Status.Ok);
    assert.is(batch.address(0), ipv4ToNumber("198.18.0.2"));
    const payload = batch.output(0);
    assert.is(payload.length, whole.length - DATAGRAM_HEADERS);
    assert.is(hex(payload), hex(whole.subarray(DATAGRAM_HEADERS)));
  }
  assert.throws(() => batch.encapDatagrams(EncapMode.Ipip, 1), /encapDatagramBatch: BadArgument/);
  assert.throws(() => batch.decapDatagrams(EncapMode.Ipip, 1), /decapDatagramBatch: BadArgument/);
});

test("datagram decap accepts payloads only from a configured peer's public IP", () => {
  const counted = (status: Status) => statusCounts(CounterDirection.Decap).get(status) ?? 0;
  for (const mode of [EncapMode.Vxlan, EncapMode.FlannelUdp]) {
    batch.set(0, innerPacket());
    batch.encap(mode, 1);
    const payload = batch.output(0).subarray(DATAGRAM_HEADERS);
    const senders = [["198.18.0.2", Status.Ok], ["198.18.0.7", Status.Ok], ["198.18.0.9", Status.UnknownPeer], ["0.0.0.0", Status.UnknownPeer]] as const;
    for (const [sender, expected] of senders) {
      const before = counted(expected);
      batch.set(0, payload);
      batch.setAddress(0, ipv4ToNumber(sender));
      assert.is(batch.decapDatagrams(mode, 1), expected === Status.Ok ? 1 : 0, sender);
      assert.is(batch.status(0), expected, sender);
      assert.is(counted(expected), before + 1, `counted ${Status[expected]}`);
      if (expected === Status.Ok) assert.is(hex(batch.output(0)), hex(payload.subarray(mode === EncapMode.Vxlan ? 22 : 0)));
      else assert.is(batch.output(0).length, 0);
    }
  }
  // A peer removed from the table is no longer accepted; configured again, it is.
  configurePeer(7, undefined);
  batch.set(0, innerPacket());
  batch.encap(EncapMode.FlannelUdp, 1);
  const payload = batch.output(0).subarray(DATAGRAM_HEADERS);
  batch.set(0, payload);
  batch.setAddress(0, ipv4ToNumber("198.18.0.7"));
  batch.decapDatagrams(EncapMode.FlannelUdp, 1);
  assert.is(batch.status(0), Status.UnknownPeer);
  configurePeer(7, { publicIp: "198.18.0.7", vtepMac: "02:00:0a:f4:00:07" });
  batch.set(0, payload);
  batch.setAddress(0, ipv4ToNumber("198.18.0.7"));
  batch.decapDatagrams(EncapMode.FlannelUdp, 1);
  assert.is(batch.status(0), Status.Ok);
});

test("counters count every packet of a batch by direction and Status", () => {
  const before = (direction: CounterDirection, status: Status) => statusCounts(direction).get(status) ?? 0;
  const okBefore = before(CounterDirection.Encap, Status.Ok);
  const noRouteBefore = before(CounterDirection.Encap, Status.NoRoute);
  for (let i = 0; i < 3; i++) batch.set(i, innerPacket());
  batch.set(3, innerPacket({ destination: "10.99.0.1" }));
  batch.encap(EncapMode.Vxlan, 4);
  assert.is(before(CounterDirection.Encap, Status.Ok), okBefore + 3);
  assert.is(before(CounterDirection.Encap, Status.NoRoute), noRouteBefore + 1);
});

test.run();
