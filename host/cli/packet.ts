// `podnet packet`: offline work on packet bytes through the Wasm core — decode (hex, raw bytes,
// pcap, pcapng), encode (JSON or flags → hex, raw, pcap), fix (recompute a capture's checksums)
// and checksum.

import { Command, Option } from "commander";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { LinkType } from "../../assembly/shared/decode";
import { CaptureError, looksLikeCapture, pcapFileHeader, pcapHeaderInfo, pcapRecord, readCapture, type CapturedPacket } from "../capture/pcap";
import { PacketDecoder, parseDecodeAs, type DecodedPacket } from "../packet/decode";
import { carriesBgp } from "../packet/bgp";
import { encodePacket, type PacketDescription } from "../packet/encode";
import { flatten, matches, parseFilter } from "../packet/fields";
import { formatBrief, formatVerbose } from "../packet/format";
import { fromHex, toHex } from "../packet/hex";
import { LayerError } from "../packet/layers";
import { internetChecksum } from "../wasm/checksum";
import { EmitError } from "../wasm/headers";
import { core } from "../wasm/module";
import { OutputBuffer } from "./output";
import { readStdinText } from "./stdin";
import { UsageError } from "./usage-error";
import { describeFromFlags, descriptionsFrom, type EncodeFlags } from "./packet-describe";

/** Parses hex text into bytes; a usage error names the first bad character. */
function parseHex(text: string): Uint8Array {
  try {
    const bytes = fromHex(text);
    if (bytes.length === 0) throw new RangeError("no bytes given: pass hex as an argument or on stdin");
    return bytes;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const LINK_TYPES: Record<string, number> = { ethernet: LinkType.Ethernet, raw: LinkType.Raw, ipv4: LinkType.Ipv4, sll: LinkType.LinuxCooked, sll2: LinkType.LinuxCooked2 };

function parseLinkType(text: string | undefined, firstByte: number): number {
  if (text === undefined) return firstByte >> 4 === 4 ? LinkType.Ipv4 : LinkType.Ethernet; // an IPv4 header starts 0x4_
  const value = LINK_TYPES[text] ?? Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`bad --link-type '${text}': one of ${Object.keys(LINK_TYPES).join(", ")} or a number`);
  return value;
}

/** Packets to decode from wherever the user gave them, with a name for error messages. */
interface PacketSource {
  name: string;
  packets: Iterable<CapturedPacket>;
}

const isHex = (text: string) => {
  try {
    fromHex(text);
    return true;
  } catch {
    return false;
  }
};

function* hexPackets(lines: string[], linkType: string | undefined): Generator<CapturedPacket> {
  let number = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    number++;
    let data: Uint8Array;
    try {
      data = fromHex(line);
    } catch (error) {
      throw new CaptureError((error as Error).message, number, 0);
    }
    yield { number, timestamp: 0, linkType: parseLinkType(linkType, data[0] ?? 0), originalLength: data.length, data, fileOffset: 0, dataOffset: 0 };
  }
}

/**
 * Where the packets come from. `inCore` places a capture in the Wasm core's memory so decoding
 * needs no copies; only for callers that allocate nothing in that memory while they read.
 */
function sourceOf(hex: string | undefined, file: string | undefined, linkType: string | undefined, raw: boolean, inCore = false): PacketSource {
  if (hex !== undefined) {
    // `decode FILE` is what people type first: a readable file that is not hex is read as if given with -r.
    if (!isHex(hex) && file === undefined && existsSync(hex)) return sourceOf(undefined, hex, linkType, raw, inCore);
    if (!isHex(hex)) throw new UsageError(`'${hex}' is neither hex nor a file: give the packet as hex digits, or a capture with -r FILE`);
    return { name: "argument", packets: hexPackets([hex], linkType) };
  }
  let bytes: Uint8Array;
  const name = file ?? "stdin";
  try {
    bytes = readFileSync(file ?? 0);
  } catch (error) {
    throw new UsageError(`cannot read ${name}: ${(error as Error).message}`);
  }
  const capture = () => readCapture(inCore ? inCoreMemory(bytes) : bytes);
  if (file && !raw) return { name, packets: capture() };
  if (!raw && looksLikeCapture(bytes)) return { name, packets: capture() };
  if (raw) {
    const data = bytes;
    return { name, packets: [{ number: 1, timestamp: 0, linkType: parseLinkType(linkType, data[0] ?? 0), originalLength: data.length, data, fileOffset: 0, dataOffset: 0 }] };
  }
  return { name, packets: hexPackets(Buffer.from(bytes).toString("utf8").split("\n"), linkType) };
}

/** The file's bytes placed in the Wasm core's memory once, so packets decode without copies. */
function inCoreMemory(bytes: Uint8Array): Uint8Array {
  const wasm = core();
  const pointer = bytes.length <= 256 << 20 ? wasm.allocate(Math.max(bytes.length, 16)) : 0;
  if (pointer === 0) return bytes; // too big for one buffer: the decoder copies packet by packet
  const view = new Uint8Array(wasm.memory.buffer, pointer, bytes.length);
  view.set(bytes);
  return view;
}

interface DecodeOptions {
  read?: string;
  json?: boolean;
  brief?: boolean;
  decodeAs?: string;
  filter: string[];
  linkType?: string;
  raw?: boolean;
}

function decodeAction(hex: string | undefined, options: DecodeOptions): void {
  const rule = options.decodeAs ? parseDecodeAs(options.decodeAs) : undefined;
  const terms = options.filter.map((text) => {
    try {
      return parseFilter(text);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  const decoder = new PacketDecoder(core(), rule); // allocates now, before the input is placed in linear memory
  const source = sourceOf(hex, options.read, options.linkType, options.raw ?? false, true);
  const out = new OutputBuffer();
  let errors = 0;
  const report = (message: string) => {
    out.flush();
    process.stderr.write(`podnet: ${source.name}: ${message}\n`);
    errors++;
  };
  try {
    for (const captured of source.packets) {
      // Brief and JSON read the layer table directly; only the verbose form builds objects.
      const packet = decoder.decodeRecords(captured.data, captured.linkType, captured.number, captured.timestamp, captured.originalLength);
      if (terms.length > 0 && !matches(flatten(packet), terms)) continue;
      if (options.json && carriesBgp(packet.layers)) {
        // BGP is decoded in TypeScript, after the Wasm core's headers.
        out.write(`${JSON.stringify(decoder.toObjects(packet))}\n`);
      } else if (options.json) {
        const { head, body, tail } = packet.jsonParts();
        out.write(head, true);
        out.append(body);
        out.write(`${tail}\n`);
      }
      else if (options.brief) out.write(formatBrief(packet));
      else out.write(`${formatVerbose(decoder.toObjects(packet))}\n`);
      if (packet.error) {
        report(`packet ${packet.number} at byte ${captured.dataOffset + packet.error.offset}: ${packet.error.layer} header ${packet.error.reason}`);
      }
    }
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    report(error.message);
  }
  out.flush();
  if (errors > 0) process.exitCode = 1;
}

async function encodeAction(json: string | undefined, flags: EncodeFlags): Promise<void> {
  const anyShapeFlag = flags.vxlan || flags.flannelUdp || flags.ipip || flags.outer;
  let descriptions: PacketDescription[];
  if (anyShapeFlag) {
    if (json !== undefined || flags.from) throw new UsageError("give either a JSON description or the packet flags, not both");
    descriptions = [describeFromFlags(flags)];
  } else {
    const text = json ?? (flags.from ? readFileSync(flags.from, "utf8") : await readStdinText());
    descriptions = descriptionsFrom(text);
  }
  const packets = descriptions.map((description, index) => {
    try {
      return encodePacket(description, flags.recompute ?? false, `packet ${index + 1}`);
    } catch (error) {
      if (error instanceof LayerError) throw new UsageError(error.message);
      if (error instanceof EmitError) throw new UsageError(`packet ${index + 1}: ${error.message}`);
      throw error;
    }
  });
  if (flags.pcap) {
    const linkType = linkTypeOf(descriptions[0]);
    let nanoseconds = false;
    if (existsSync(flags.pcap)) {
      let existing;
      try {
        existing = pcapHeaderInfo(readFileSync(flags.pcap));
      } catch (error) {
        throw new UsageError(`${flags.pcap}: ${(error as Error).message}`);
      }
      if (existing.linkType !== linkType) throw new UsageError(`${flags.pcap} has link type ${existing.linkType}, these packets ${linkType}`);
      nanoseconds = existing.nanoseconds;
    } else {
      writeFileSync(flags.pcap, pcapFileHeader(linkType));
    }
    const now = Date.now() / 1000;
    for (const packet of packets) appendFileSync(flags.pcap, pcapRecord(packet, now, packet.length, nanoseconds));
    return;
  }
  const out = new OutputBuffer();
  for (const packet of packets) {
    if (flags.raw) out.writeBytes(packet);
    else out.write(`${toHex(packet)}\n`);
  }
  out.flush();
}

function linkTypeOf(description: PacketDescription): number {
  const first = description.layers[0]?.layer;
  return first === "ipv4" ? LinkType.Raw : first === "sll" ? LinkType.LinuxCooked : first === "sll2" ? LinkType.LinuxCooked2 : LinkType.Ethernet;
}

function fixAction(input: string, output: string): void {
  const source = sourceOf(undefined, input, undefined, false);
  const decoder = new PacketDecoder(core());
  const records: Uint8Array[] = [];
  let linkType: number | undefined;
  let changed = 0;
  let kept = 0;
  let total = 0;
  let failure: string | undefined;
  try {
    for (const captured of source.packets) {
      linkType ??= captured.linkType;
      if (captured.linkType !== linkType) throw new CaptureError(`link type ${captured.linkType} differs from the first packet's ${linkType}; pcap holds one`, captured.number, captured.fileOffset);
      const packet: DecodedPacket = decoder.decode(captured.data, captured.linkType, captured.number, captured.timestamp, captured.originalLength);
      let bytes = Uint8Array.from(captured.data);
      if (!packet.error && captured.data.length === captured.originalLength) {
        bytes = encodePacket(packet, true) as Uint8Array<ArrayBuffer>;
        if (toHex(bytes) !== toHex(captured.data)) changed++;
      } else {
        kept++; // cut short by the snap length or not fully decodable: copied as it was
      }
      records.push(pcapRecord(bytes, captured.timestamp, captured.originalLength));
      total++;
    }
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    failure = error.message;
  }
  writeFileSync(output, Buffer.concat([pcapFileHeader(linkType ?? LinkType.Ethernet), ...records]));
  console.log(`${output}: ${total} packets, ${changed} with checksums or lengths fixed, ${kept} copied unchanged (truncated or not decodable)`);
  if (failure) {
    process.stderr.write(`podnet: ${input}: ${failure}\n`);
    process.exitCode = 1;
  }
}

/** The `packet` command and its subcommands. */
export function packetCommand(): Command {
  const packet = new Command("packet").description("offline packet encode/decode through the Wasm core");
  packet
    .command("decode")
    .description("decode packets: hex (argument, or one packet per line on stdin), raw bytes, pcap or pcapng")
    .argument("[hex]", "one packet as hex")
    .option("-r, --read <file>", "a pcap or pcapng capture (with --raw: a file of one packet's raw bytes)")
    .option("--raw", "the input (file or stdin) is one packet's raw bytes, not a capture or hex")
    .option("--link-type <type>", "link type of hex or raw input: ethernet, ipv4, raw, sll, sll2 or a number (default: ipv4 when the bytes start 0x4_, else ethernet)")
    .option("--json", "one JSON object per packet (the schema encode takes)")
    .option("--brief", "one line per packet")
    .option("--decode-as <rule>", "what a UDP port carries: udp.port=PORT:vxlan|flannel-udp|data")
    .option("--filter <expression>", "keep packets where FIELD=VALUE or FIELD!=VALUE (repeatable, all must hold), e.g. inner.ip.dst=10.244.1.9", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action((hex: string | undefined, options: DecodeOptions) => decodeAction(hex, options));
  packet
    .command("encode")
    .description("build packets from JSON (as decode --json prints) or from flags; print hex, raw bytes or append to a pcap")
    .argument("[json]", "the packet description; from --from FILE or stdin when absent")
    .option("--from <file>", "read the JSON description from a file")
    .option("--vxlan", "VXLAN: outer IPv4/UDP 8472/VXLAN/inner Ethernet/inner IPv4")
    .option("--flannel-udp", "Flannel UDP: outer IPv4/UDP 8285/inner IPv4")
    .option("--ipip", "IPIP: outer IPv4 protocol 4/inner IPv4")
    .option("--vni <vni>", "VXLAN network identifier", "1")
    .option("--outer <src:dst>", "outer (underlay) IPv4 addresses")
    .option("--inner <src:dst>", "inner (pod) IPv4 addresses")
    .option("--icmp-echo", "an ICMP echo request inside")
    .option("--udp <sport:dport>", "a UDP datagram inside")
    .option("--tcp <sport:dport>", "a TCP segment inside")
    .option("--tcp-flags <list>", "TCP flags, e.g. SYN,ACK", "SYN")
    .option("--payload <hex>", "bytes after the innermost header", "")
    .option("--ttl <ttl>", "TTL of the IPv4 headers", "64")
    .addOption(new Option("--raw", "write raw bytes instead of hex").conflicts("pcap"))
    .option("--pcap <file>", "append to this pcap file (created if missing)")
    .option("--recompute", "compute every length and checksum, even those the JSON gives")
    .action((json: string | undefined, flags: EncodeFlags) => encodeAction(json, flags));
  packet
    .command("fix")
    .description("rewrite a capture with recomputed checksums and lengths (after offload-mangled captures)")
    .argument("<input>", "pcap or pcapng file")
    .argument("<output>", "pcap file to write")
    .action(fixAction);
  packet
    .command("checksum")
    .description("Internet checksum (RFC 1071) of hex bytes given as an argument or on stdin")
    .argument("[hex]", "bytes as hex; read from stdin when absent")
    .option("--verify", "treat the bytes as a header that holds its own checksum: report good or bad")
    .option("--json", "print a JSON object instead of text")
    .action(async (hex: string | undefined, options: { verify?: boolean; json?: boolean }) => {
      const bytes = parseHex(hex ?? (await readStdinText()));
      const checksum = internetChecksum(bytes);
      const word = `0x${checksum.toString(16).padStart(4, "0")}`;
      // A header that carries its own correct checksum sums to 0xffff, so its checksum is 0.
      const result = options.verify ? { length: bytes.length, checksum: word, valid: checksum === 0 } : { length: bytes.length, checksum: word };
      if (options.json) console.log(JSON.stringify(result));
      else if (options.verify) console.log(`checksum ${result.valid ? "good" : "bad"} (${bytes.length} bytes, residue ${word})`);
      else console.log(`${word} (${bytes.length} bytes)`);
      if (options.verify && checksum !== 0) process.exitCode = 1;
    });
  return packet;
}
