// `podnet packet decode | encode | fix` as a user runs them, including every kind of bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapFileHeader, pcapRecord } from "../../host/capture/pcap";
import { runPodnet } from "../helpers/run-binary";

const directory = mkdtempSync(join(tmpdir(), "podnet-packet-"));
const path = (name: string) => join(directory, name);
const ok = (args: string[], input?: string) => {
  const result = runPodnet(args, input);
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
};
const VXLAN_FLAGS = ["--vxlan", "--vni", "7", "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.0.7:10.244.1.9", "--icmp-echo", "--payload", "616263"];

test("encode --vxlan builds the packet; decode --brief summarises it in one line", () => {
  const hex = ok(["packet", "encode", ...VXLAN_FLAGS]).trim();
  assert.is(hex.length, 2 * (14 + 20 + 8 + 8 + 14 + 20 + 8 + 3));
  assert.is(ok(["packet", "decode", "--brief", hex]), "1 0.000000 198.18.0.1 → 198.18.0.2 VXLAN vni=7 10.244.0.7 → 10.244.1.9 ICMP echo request id=1 seq=1 length=95\n");
});

for (const mode of [["--vxlan"], ["--flannel-udp"], ["--ipip"]]) {
  test(`${mode[0]}: decode --json → encode reproduces the bytes exactly`, () => {
    const hex = ok(["packet", "encode", ...mode, "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.0.7:10.244.1.9", "--tcp", "1234:80", "--tcp-flags", "SYN,ACK", "--payload", "00ff"]).trim();
    const json = ok(["packet", "decode", "--json", hex]);
    assert.is(ok(["packet", "encode"], json).trim(), hex);
  });
}

test("decode → edit → encode --recompute: a changed address, every checksum computed anew and good", () => {
  const packet = JSON.parse(ok(["packet", "decode", "--json", ok(["packet", "encode", ...VXLAN_FLAGS]).trim()]));
  packet.layers[5].destination = "10.244.9.9";
  const edited = ok(["packet", "encode", "--recompute"], JSON.stringify(packet)).trim();
  const again = JSON.parse(ok(["packet", "decode", "--json", edited]));
  assert.is(again.layers[5].destination, "10.244.9.9");
  assert.equal(again.layers.map((layer: { checksumStatus?: string }) => layer.checksumStatus ?? "-"), ["-", "good", "good", "-", "-", "good", "good"]);
});

test("encode --pcap appends; decode -r reads it back, --filter keeps what matches", () => {
  const pcap = path("mixed.pcap");
  ok(["packet", "encode", ...VXLAN_FLAGS, "--pcap", pcap]);
  ok(["packet", "encode", "--ipip", "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.2.1:10.244.3.1", "--udp", "5:6", "--pcap", pcap]);
  ok(["packet", "encode", "--outer", "198.18.0.5:198.18.0.6", "--tcp", "22:2222", "--pcap", pcap]);
  assert.is(ok(["packet", "decode", "--brief", "-r", pcap]).split("\n").filter(Boolean).length, 3);
  const kept = ok(["packet", "decode", "--brief", "-r", pcap, "--filter", "inner.ip.dst=10.244.3.1"]);
  assert.match(kept, /^2 \S+ 198\.18\.0\.1 → 198\.18\.0\.2 IPIP 10\.244\.2\.1 → 10\.244\.3\.1 UDP 5 → 6 len=0 length=62\n$/);
  assert.match(ok(["packet", "decode", "--brief", "-r", pcap, "--filter", "vxlan.vni=7", "--filter", "ip.ttl!=3"]), /^1 /);
  assert.is(ok(["packet", "decode", "--brief", "-r", pcap, "--filter", "tcp.dstport=2222"]).split(" ")[0], "3");
  // A capture named without -r is read as one, as a new user types it.
  assert.is(ok(["packet", "decode", "--brief", pcap]), ok(["packet", "decode", "--brief", "-r", pcap]));
  const neither = runPodnet(["packet", "decode", path("no-such.pcap")]);
  assert.is(neither.status, 2);
  assert.is(neither.stderr, `podnet: '${path("no-such.pcap")}' is neither hex nor a file: give the packet as hex digits, or a capture with -r FILE\n`);
});

test("--decode-as makes another port VXLAN, or stops VXLAN on 8472", () => {
  const hex = ok(["packet", "encode", ...VXLAN_FLAGS]).trim();
  const packet = JSON.parse(ok(["packet", "decode", "--json", hex]));
  packet.layers[2].destinationPort = 9999;
  const moved = ok(["packet", "encode", "--recompute"], JSON.stringify(packet)).trim();
  assert.not.match(ok(["packet", "decode", "--brief", moved]), "VXLAN");
  assert.match(ok(["packet", "decode", "--brief", "--decode-as", "udp.port=9999:vxlan", moved]), "VXLAN vni=7");
  const asData = JSON.parse(ok(["packet", "decode", "--json", "--decode-as", "udp.port=8472:data", hex]));
  assert.equal(asData.layers.map((layer: { layer: string }) => layer.layer), ["ethernet", "ipv4", "udp"]);
  const bad = runPodnet(["packet", "decode", "--decode-as", "tcp.port=1:vxlan", hex]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, "expected udp.port=PORT:vxlan|flannel-udp|data");
});

test("fix recomputes broken checksums in a capture and says how many packets changed", () => {
  const broken = path("broken.pcap");
  const good = ok(["packet", "encode", "--flannel-udp", "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.0.7:10.244.1.9", "--udp", "1:2"]).trim();
  const bytes = Buffer.from(good, "hex");
  bytes[24] ^= 0xff; // outer IPv4 checksum
  bytes[69] ^= 0x01; // inner UDP checksum (low byte), which also breaks the outer UDP checksum
  writeFileSync(broken, Buffer.concat([pcapFileHeader(1), pcapRecord(bytes, 1), pcapRecord(Buffer.from(good, "hex"), 2)]));
  const before = ok(["packet", "decode", "--brief", "-r", broken]);
  assert.match(before.split("\n")[0], "[IPv4 checksum bad, UDP checksum bad, UDP checksum bad]");
  const fixed = path("fixed.pcap");
  assert.is(ok(["packet", "fix", broken, fixed]), `${fixed}: 2 packets, 1 with checksums or lengths fixed, 0 copied unchanged (truncated or not decodable)\n`);
  assert.not.match(ok(["packet", "decode", "--brief", "-r", fixed]), "bad");
  assert.is(readFileSync(fixed).subarray(40).toString("hex").slice(0, good.length), good);
});

test("a truncated capture prints the packets before it, names packet and byte, exits 1", () => {
  const whole = Buffer.concat([pcapFileHeader(1), ...[1, 2, 3].map((i) => pcapRecord(Buffer.from(ok(["packet", "encode", ...VXLAN_FLAGS]).trim(), "hex"), i))]);
  const cut = path("cut.pcap");
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  const result = runPodnet(["packet", "decode", "--brief", "-r", cut]);
  assert.is(result.status, 1);
  assert.is(result.stdout.split("\n").filter(Boolean).length, 2);
  assert.is(result.stderr, `podnet: ${cut}: packet 3 at byte 246: record says 95 captured bytes, 85 remain\n`);
});

test("a wrong magic number is an error naming packet 0 at byte 0, exit 1", () => {
  const file = path("magic.pcap");
  const bytes = Buffer.concat([pcapFileHeader(1), pcapRecord(Buffer.alloc(20), 0)]);
  bytes.writeUInt32BE(0xd4c3b2a1, 0);
  bytes[3] = 0xa2;
  writeFileSync(file, bytes);
  const result = runPodnet(["packet", "decode", "-r", file]);
  assert.is(result.status, 1);
  assert.is(result.stdout, "");
  assert.is(result.stderr, `podnet: ${file}: packet 0 at byte 0: not a pcap or pcapng file: magic number 0xd4c3b2a2\n`);
});

test("a snap length shorter than the packet: decode stops at the cut layer, naming packet and byte", () => {
  const hex = ok(["packet", "encode", ...VXLAN_FLAGS]).trim();
  const full = Buffer.from(hex, "hex");
  const file = path("snap.pcap");
  writeFileSync(file, Buffer.concat([pcapFileHeader(1, 40), pcapRecord(full.subarray(0, 40), 5, full.length)]));
  const result = runPodnet(["packet", "decode", "--brief", "-r", file]);
  assert.is(result.status, 1);
  assert.is(result.stdout, "1 5.000000 02:00:00:00:00:01 → 02:00:00:00:00:02 length=95 [decode stopped at ipv4, byte 14: truncated: its length fields claim more bytes than were captured]\n");
  assert.is(result.stderr, `podnet: ${file}: packet 1 at byte 54: ipv4 header truncated: its length fields claim more bytes than were captured\n`);
});

test("a length field that lies: the packet is printed up to the lie, the error names it, exit 1", () => {
  const packet = JSON.parse(ok(["packet", "decode", "--json", ok(["packet", "encode", ...VXLAN_FLAGS]).trim()]));
  packet.layers[2].length = 500; // outer UDP length beyond the packet
  const lying = ok(["packet", "encode"], JSON.stringify(packet)).trim();
  const result = runPodnet(["packet", "decode", "--brief"], `${ok(["packet", "encode", ...VXLAN_FLAGS]).trim()}\n${lying}\n`);
  assert.is(result.status, 1);
  assert.is(result.stdout.split("\n").filter(Boolean).length, 2);
  assert.is(result.stderr, "podnet: stdin: packet 2 at byte 34: udp header truncated: its length fields claim more bytes than were captured\n");
});

test("garbage hex: the packets before are printed, the error names packet and digit, exit 1", () => {
  const hex = ok(["packet", "encode", ...VXLAN_FLAGS]).trim();
  const result = runPodnet(["packet", "decode", "--brief"], `${hex}\n45zz\n${hex}\n`);
  assert.is(result.status, 1);
  assert.is(result.stdout.split("\n").filter(Boolean).length, 1);
  assert.is(result.stderr, "podnet: stdin: packet 2 at byte 0: not hex: unexpected 'z' at digit 3\n");
});

test("encode refuses an unknown field or layer by name, exit 2", () => {
  const unknownField = runPodnet(["packet", "encode", JSON.stringify({ layers: [{ layer: "udp", sourcePort: 1, colour: 3 }] })]);
  assert.is(unknownField.status, 2);
  assert.match(unknownField.stderr, "packet 1, layer 1: udp.colour: no such field in udp");
  const unknownLayer = runPodnet(["packet", "encode", JSON.stringify({ layers: [{ layer: "gre" }] })]);
  assert.is(unknownLayer.status, 2);
  assert.match(unknownLayer.stderr, "unknown layer 'gre'");
  assert.is(runPodnet(["packet", "encode", "--vxlan", "--outer", "198.18.0.1:198.18.0.2"]).status, 2);
});

test.run();
