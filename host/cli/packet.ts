// `podnet packet`: offline work on packet bytes through the Wasm core.

import { Command } from "commander";
import { internetChecksum } from "../wasm/checksum.js";
import { UsageError } from "./usage-error.js";
import { readStdinText } from "./stdin.js";

/** Parses hex text (whitespace, colons and a 0x prefix allowed) into bytes; names the first bad character. */
export function parseHex(text: string): Uint8Array {
  const digits = text.replace(/^0x/i, "").replace(/[\s:]/g, "");
  const bad = digits.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new UsageError(`not hex: unexpected '${digits[bad]}' at digit ${bad + 1}`);
  if (digits.length % 2 !== 0) throw new UsageError(`not hex: odd number of digits (${digits.length})`);
  if (digits.length === 0) throw new UsageError("no bytes given: pass hex as an argument or on stdin");
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

function formatWord(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

/** The `packet` command and its subcommands. */
export function packetCommand(): Command {
  const packet = new Command("packet").description("offline packet encode/decode through the Wasm core");
  packet
    .command("checksum")
    .description("Internet checksum (RFC 1071) of hex bytes given as an argument or on stdin")
    .argument("[hex]", "bytes as hex; read from stdin when absent")
    .option("--verify", "treat the bytes as a header that holds its own checksum: report good or bad")
    .option("--json", "print a JSON object instead of text")
    .action(async (hex: string | undefined, options: { verify?: boolean; json?: boolean }) => {
      const bytes = parseHex(hex ?? (await readStdinText()));
      const checksum = internetChecksum(bytes);
      // A header that carries its own correct checksum sums to 0xffff, so its checksum is 0.
      const result = options.verify
        ? { length: bytes.length, checksum: formatWord(checksum), valid: checksum === 0 }
        : { length: bytes.length, checksum: formatWord(checksum) };
      if (options.json) console.log(JSON.stringify(result));
      else if (options.verify) console.log(`checksum ${result.valid ? "good" : "bad"} (${bytes.length} bytes, residue ${result.checksum})`);
      else console.log(`${result.checksum} (${bytes.length} bytes)`);
      if (options.verify && checksum !== 0) process.exitCode = 1;
    });
  return packet;
}
