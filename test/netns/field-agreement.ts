// `podnet packet decode` against tshark, field by field, on one capture: the fields both name,
// repeated ones (an encapsulation's outer and inner IPv4) listed outer first, as tshark does.
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { runPodnet } from "../helpers/run-binary";

const FIELDS = ["ip.src", "ip.dst", "ip.ttl", "ip.proto", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "vxlan.vni", "icmp.type",
  "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status", "icmp.checksum.status"];
// tshark's checksum status numbers: 0 bad, 1 good, 3 not present (UDP over IPv4 may send 0).
const STATUS_NUMBERS: Record<string, string> = { bad: "0", good: "1", absent: "3" };

function tsharkFields(pcap: string): string[][] {
  const output = execFileSync("tshark", ["-r", pcap, "-d", "udp.port==8472,vxlan", "-d", "udp.port==8285,ip",
    "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
    "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t", ...FIELDS.flatMap((field) => ["-e", field])], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return output.replace(/\n$/, "").split("\n").map((line) => line.split("\t"));
}

function podnetFields(pcap: string): string[][] {
  const result = runPodnet(["packet", "decode", "--json", "-r", pcap]);
  assert.is(result.status, 0, result.stderr);
  return result.stdout.trim().split("\n").map((line) => {
    const packet = JSON.parse(line);
    // tshark lists a repeated field outer first, comma-separated; so do we, from the JSON layers.
    const values = new Map<string, string[]>();
    const add = (name: string, value: unknown) => values.set(name, [...(values.get(name) ?? []), String(value)]);
    packet.layers.forEach((layer: Record<string, unknown>) => {
      if (layer.layer === "ipv4") {
        add("ip.src", layer.source); add("ip.dst", layer.destination); add("ip.ttl", layer.ttl); add("ip.proto", layer.protocol);
        add("ip.checksum.status", STATUS_NUMBERS[layer.checksumStatus as string]);
      } else if (layer.layer === "udp") {
        add("udp.srcport", layer.sourcePort); add("udp.dstport", layer.destinationPort); add("udp.checksum.status", STATUS_NUMBERS[layer.checksumStatus as string]);
      } else if (layer.layer === "tcp") {
        add("tcp.srcport", layer.sourcePort); add("tcp.dstport", layer.destinationPort); add("tcp.checksum.status", STATUS_NUMBERS[layer.checksumStatus as string]);
      } else if (layer.layer === "vxlan") {
        add("vxlan.vni", layer.vni);
      } else if (layer.layer === "icmpv4") {
        add("icmp.type", layer.type); add("icmp.checksum.status", STATUS_NUMBERS[layer.checksumStatus as string]);
      }
    });
    return FIELDS.map((field) => (values.get(field) ?? []).join(","));
  });
}

/** Every packet of `pcap` (at least `minimumPackets`) decodes to the same fields in podnet and tshark. */
export function agree(pcap: string, minimumPackets: number): void {
  const theirs = tsharkFields(pcap);
  const ours = podnetFields(pcap);
  assert.ok(ours.length >= minimumPackets, `only ${ours.length} packets in ${pcap}`);
  assert.is(ours.length, theirs.length);
  ours.forEach((row, index) => {
    FIELDS.forEach((field, column) => assert.is(row[column], theirs[index][column], `packet ${index + 1} ${field}`));
  });
}
