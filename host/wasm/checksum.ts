// Typed wrappers over the Wasm checksum exports.

import { Status } from "../../assembly/shared/status";
import { core } from "./module";
import { copyIn } from "./scratch";

function checked(result: number, what: string): number {
  if (result < 0) throw new RangeError(`${what} failed: ${Status[-result] ?? -result}`);
  return result;
}

/** Internet checksum (RFC 1071) of `bytes`, with an optional partial sum folded in. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  const pointer = copyIn(bytes);
  return checked(core().internetChecksum(pointer, bytes.length, initial >>> 0), "internetChecksum");
}

/** One's complement sum of `bytes` (folded, not complemented), for composing partial sums. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  const pointer = copyIn(bytes);
  return checked(core().onesComplementSum(pointer, bytes.length, initial >>> 0), "onesComplementSum");
}

/** Pseudo-header sum for UDP or TCP over IPv4; addresses as 32-bit numbers in host order. */
export function pseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number {
  return core().pseudoHeaderSum(source >>> 0, destination >>> 0, protocol, length);
}

/** Checksum after one 16-bit word changed from `oldWord` to `newWord` (RFC 1624). */
export function checksumUpdate16(check: number, oldWord: number, newWord: number): number {
  return core().checksumUpdate16(check, oldWord, newWord);
}
