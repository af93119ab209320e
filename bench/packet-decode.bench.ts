// Decode rate of `podnet packet decode` (the single executable, as users run it) against
// `tshark -r` on the same 1,000,000-packet VXLAN capture, in the same run: packets per second
// for --brief and for --json, each against tshark's one-line output; and --json against
// tshark's own JSON (`-T json`) on the first 100,000 packets (tshark's JSON is too slow for a
// million). The capture mixes ICMP, UDP and TCP inside VXLAN, as pods talk across nodes.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapFileHeader, pcapRecord } from "../host/capture/pcap";
import { distPath } from "../test/helpers/paths";
import { report, type BenchRow, sized } from "./measure";

const PACKETS = Number(process.env.PODNET_BENCH_PACKETS ?? sized(1_000_000, 1000));
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

  // Each decoder writes into a file (the same cost for both), which is checked afterwards: the
  // rates mean something only if both decoded every packet, and to the same fields.
  let outputs = 0;
  const seconds = (command: string, args: string[]): { time: number; output: string } => {
    const output = join(directory, `output-${++outputs}`);
    const fd = openSync(output, "w");
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ["ignore", fd, "pipe"], maxBuffer: 1 << 26 });
    const time = Number(process.hrtime.bigint() - start) / 1e9;
    closeSync(fd);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
    return { time, output };
  };
  // Counted in the bytes: a million packets' JSON is more than a JavaScript string may hold.
  const count = (file: string, needle: string) => {
    const bytes = readFileSync(file);
    const pattern = Buffer.from(needle);
    let found = 0;
    for (let at = bytes.indexOf(pattern); at >= 0; at = bytes.indexOf(pattern, at + pattern.length)) found++;
    return found;
  };
  const expect = (what: string, got: number, wanted: number) => {
    if (got !== wanted) throw new Error(`${what}: ${got} packets in the output, expected ${wanted}`);
  };
  const tshark = seconds("tshark", ["-r", capture, "-d", "udp.port==8472,vxlan"]);
  const brief = seconds(podnet, ["packet", "decode", "--brief", "-r", capture]);
  const json = seconds(podnet, ["packet", "decode", "--json", "-r", capture]);
  const tsharkJsonSubset = seconds("tshark", ["-r", jsonCapture, "-d", "udp.port==8472,vxlan", "-T", "json"]);
  const jsonSubset = seconds(podnet, ["packet", "decode", "--json", "-r", jsonCapture]);
  expect("tshark -r", count(tshark.output, "\n"), PACKETS);
  expect("podnet --brief", count(brief.output, "\n"), PACKETS);
  expect("podnet --json", count(json.output, "\n"), PACKETS);
  expect("podnet --json (subset)", count(jsonSubset.output, "\n"), JSON_PACKETS);
  expect("tshark -T json", count(tsharkJsonSubset.output, '"_index"'), JSON_PACKETS);
  // Field by field on the first packets: VNI and the inner (last) IPv4 addresses. tshark's JSON
  // repeats the "ip" key for the inner header, and JSON.parse keeps the last, the inner one.
  const sample = 1000;
  const theirs = JSON.parse(execFileSync("tshark", ["-r", jsonCapture, "-c", String(sample), "-d", "udp.port==8472,vxlan", "-T", "json"], { encoding: "utf8", maxBuffer: 1 << 28 })) as Array<{ _source: { layers: Record<string, Record<string, string>> } }>;
  const ours = readFileSync(jsonSubset.output).subarray(0, 4 << 20).toString("utf8").split("\n", sample).map((line) => JSON.parse(line) as { layers: Array<Record<string, string | number>> });
  ours.forEach((packet, index) => {
    const inner = packet.layers.filter((layer) => layer.layer === "ipv4").pop()!;
    const vni = packet.layers.find((layer) => layer.layer === "vxlan")!.vni;
    const layers = theirs[index]._source.layers;
    const mine = `${vni} ${inner.source} ${inner.destination}`;
    const tsharks = `${layers.vxlan["vxlan.vni"]} ${layers.ip["ip.src"]} ${layers.ip["ip.dst"]}`;
    if (mine !== tsharks) throw new Error(`packet ${index + 1}: podnet decodes ${mine}, tshark ${tsharks}`);
  });
  const rate = ({ time }: { time: number }, packets = PACKETS) => packets / time / 1e3;
  const rows: BenchRow[] = [
    { metric: `decode ${PACKETS.toLocaleString("en")} VXLAN packets, --brief`, unit: "k packets/s", podnet: rate(brief), baseline: rate(tshark), baselineName: "tshark -r (one line per packet)" },
    { metric: `decode ${PACKETS.toLocaleString("en")} VXLAN packets, --json`, unit: "k packets/s", podnet: rate(json), baseline: rate(tshark), baselineName: "tshark -r (one line per packet)" },
    { metric: `decode ${JSON_PACKETS.toLocaleString("en")} VXLAN packets, --json`, unit: "k packets/s", podnet: rate(jsonSubset, JSON_PACKETS), baseline: rate(tsharkJsonSubset, JSON_PACKETS), baselineName: "tshark -r -T json" },
  ];
  report("packet-decode", rows);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
