// Decode rate of `podnet packet decode` (the single executable, as users run it) against
// `tshark -r` on the same 1,000,000-packet VXLAN capture, in the same run: packets per second
// for --brief and for --json, each against tshark's one-line output; and --json against
// tshark's own JSON (`-T json`) on the first 100,000 packets (tshark's JSON is too slow for a
// million). The capture mixes ICMP, UDP and TCP inside VXLAN, as pods talk across nodes.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapFileHeader, pcapRecord } from "../host/capture/pcap.js";
import { distPath } from "../test/helpers/paths.js";
import { report, type BenchRow } from "./measure.js";

const PACKETS = Number(process.env.PODNET_BENCH_PACKETS ?? 1_000_000);
const podnet = distPath("podnet");
const directory = mkdtempSync(join(tmpdir(), "podnet-decode-bench-"));
const capture = join(directory, "vxlan.pcap");

try {
  // Distinct packets from podnet encode, repeated with rising timestamps up to PACKETS.
  const shapes = [
    ["--icmp-echo", "--payload", "61".repeat(56)],
    ["--udp", "40000:53", "--payload", "00".repeat(40)],
    ["--tcp", "40000:443", "--tcp-flags", "ACK,PSH", "--payload", "17".repeat(200)],
    ["--tcp", "443:40000", "--tcp-flags", "ACK"],
  ];
  const templates = shapes.flatMap((shape, index) => {
    const hex = execFileSync(podnet, ["packet", "encode", "--vxlan", "--outer", `198.18.0.${index + 1}:198.18.0.9`, "--inner", `10.244.${index}.7:10.244.9.9`, ...shape], { encoding: "utf8" }).trim();
    return [Buffer.from(hex, "hex")];
  });
  const JSON_PACKETS = Math.min(PACKETS, 100_000);
  const jsonCapture = join(directory, "vxlan-json.pcap");
  const records: Buffer[] = [Buffer.from(pcapFileHeader(1))];
  for (let i = 0; i < PACKETS; i++) {
    records.push(Buffer.from(pcapRecord(templates[i % templates.length], 1700000000 + i / 1000)));
    if (i + 1 === JSON_PACKETS) writeFileSync(jsonCapture, Buffer.concat(records));
  }
  writeFileSync(capture, Buffer.concat(records));
  records.length = 0;

  const seconds = (command: string, args: string[]) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const tshark = seconds("tshark", ["-r", capture, "-d", "udp.port==8472,vxlan"]);
  const brief = seconds(podnet, ["packet", "decode", "--brief", "-r", capture]);
  const json = seconds(podnet, ["packet", "decode", "--json", "-r", capture]);
  const tsharkJsonSubset = seconds("tshark", ["-r", jsonCapture, "-d", "udp.port==8472,vxlan", "-T", "json"]);
  const jsonSubset = seconds(podnet, ["packet", "decode", "--json", "-r", jsonCapture]);
  const rate = (time: number, packets = PACKETS) => packets / time / 1e3;
  const rows: BenchRow[] = [
    { metric: `decode ${PACKETS.toLocaleString("en")} VXLAN packets, --brief`, unit: "k packets/s", podnet: rate(brief), baseline: rate(tshark), baselineName: "tshark -r (one line per packet)" },
    { metric: `decode ${PACKETS.toLocaleString("en")} VXLAN packets, --json`, unit: "k packets/s", podnet: rate(json), baseline: rate(tshark), baselineName: "tshark -r (one line per packet)" },
    { metric: `decode ${JSON_PACKETS.toLocaleString("en")} VXLAN packets, --json`, unit: "k packets/s", podnet: rate(jsonSubset, JSON_PACKETS), baseline: rate(tsharkJsonSubset, JSON_PACKETS), baselineName: "tshark -r -T json" },
  ];
  report("packet-decode", rows);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
