// Network-order loads and stores, and field-record access, shared by every wire file.
// Inner workers: callers have checked lengths, so nothing here checks bounds.

import { RECORD_FIELDS } from "../shared/fields";

// @ts-ignore: decorator
@inline export function load16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

// @ts-ignore: decorator
@inline export function store16(p: usize, value: u32): void {
  store<u16>(p, bswap<u16>(<u16>value));
}

// @ts-ignore: decorator
@inline export function load32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// @ts-ignore: decorator
@inline export function store32(p: usize, value: u32): void {
  store<u32>(p, bswap<u32>(value));
}

/** Reads field `index` of the record at `record`. */
// @ts-ignore: decorator
@inline export function getField(record: usize, index: i32): u32 {
  return load<u32>(record + (<usize>index << 2));
}

/** Writes field `index` of the record at `record`. */
// @ts-ignore: decorator
@inline export function setField(record: usize, index: i32, value: u32): void {
  store<u32>(record + (<usize>index << 2), value);
}

/** Reads a 6-byte MAC at `p` into two record fields (high 16 bits, low 32 bits). */
// @ts-ignore: decorator
@inline export function readMac(p: usize, record: usize, highIndex: i32): void {
  setField(record, highIndex, load16(p));
  setField(record, highIndex + 1, load32(p + 2));
}

/** Writes the MAC held in two record fields to `p`. */
// @ts-ignore: decorator
@inline export function writeMac(p: usize, record: usize, highIndex: i32): void {
  store16(p, getField(record, highIndex));
  store32(p + 2, getField(record, highIndex + 1));
}

/** Where a record keeps option bytes (IPv4, TCP): right after its fields. */
// @ts-ignore: decorator
@inline export function optionsOf(record: usize): usize {
  return record + (<usize>RECORD_FIELDS << 2);
}
