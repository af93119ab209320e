// The module's exports: the only surface the host (or any other Wasm runtime) sees.
// Exports validate their arguments once; everything behind them trusts its caller.

import { Status } from "./shared/status";
import { inMemory } from "./heap";
import * as cksum from "./wire/checksum";
import * as headers from "./headers";
import * as datapath from "./datapath";

export { allocate } from "./heap";
export { configureLocal, configurePeer } from "./datapath";

/** ABI version; the host refuses a module whose version it does not know. */
export const ABI_VERSION: u32 = 1;

/**
 * Internet checksum of `len` bytes at `ptr`, with the partial sum `initial` folded in.
 * Returns the checksum (0..0xffff), or -Status.BadArgument when the range is outside memory.
 */
export function internetChecksum(ptr: usize, len: usize, initial: u32): i32 {
  if (!inMemory(ptr, len)) return -Status.BadArgument;
  return <i32>cksum.checksum(ptr, len, initial);
}

/** One's complement sum (folded, not complemented), or -Status.BadArgument when out of memory range. */
export function onesComplementSum(ptr: usize, len: usize, initial: u32): i32 {
  if (!inMemory(ptr, len)) return -Status.BadArgument;
  return <i32>cksum.sum(ptr, len, initial);
}

/** Pseudo-header sum for UDP/TCP over IPv4; addresses in host order. */
export function pseudoHeaderSum(source: u32, destination: u32, protocol: u32, length: u32): u32 {
  return cksum.pseudoHeader(source, destination, protocol & 0xff, length & 0xffff);
}

/** Checksum after one 16-bit word changed (RFC 1624). */
export function checksumUpdate16(check: u32, oldWord: u32, newWord: u32): u32 {
  return cksum.update16(check & 0xffff, oldWord & 0xffff, newWord & 0xffff);
}

/** Address of the field record that parseHeader fills and emitHeader reads. */
export function headerRecord(): usize {
  return headers.HEADER_RECORD;
}

/** Parses a header of `kind` (shared/fields.ts HeaderKind) at [ptr, ptr + len) into the record. */
export function parseHeader(kind: u32, ptr: usize, len: usize, source: u32, destination: u32): Status {
  if (!inMemory(ptr, len)) return Status.BadArgument;
  return headers.parseHeader(kind, ptr, len, source, destination);
}

/** Emits the record as a header of `kind` into [ptr, ptr + capacity); returns its length or -Status. */
export function emitHeader(kind: u32, ptr: usize, capacity: usize, flags: u32, source: u32, destination: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return headers.emitHeader(kind, ptr, capacity, flags, source, destination);
}

/** Address of the slot table (shared/slots.ts) that encapBatch and decapBatch work on. */
export function slotTable(): usize {
  return datapath.SLOT_TABLE;
}

/** Encapsulates the packets in slots 0 … n − 1 for `mode`; returns how many are ready to send, or -Status. */
export function encapBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, true);
}

/** Decapsulates the packets in slots 0 … n − 1 for `mode`; returns how many inner packets are ready, or -Status. */
export function decapBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, false);
}
