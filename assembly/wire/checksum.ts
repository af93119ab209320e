// Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// The one's complement sum does not depend on byte order (RFC 1071 §2.B): we add the buffer
// as little-endian words, which is what Wasm loads natively, and swap the folded 16-bit result
// once at the end. The bulk runs on Wasm SIMD: i32x4.extadd_pairwise_i16x8_u widens eight
// 16-bit words into four 32-bit lanes in one instruction, so the inner loop has no carries.
//
// Sums compose: sum(b, sum(a, 0)) equals the sum over a followed by b as long as a has an even
// length (an odd length shifts b's bytes into the other half of each word).

/** Bytes per SIMD round: four 16-byte vectors into four independent accumulators. */
// @ts-ignore: decorator
@inline const ROUND_BYTES: usize = 64;

/** Rounds before a lane could overflow: each adds at most 2 × 0xffff per lane, 2^14 rounds stay below 2^32. */
// @ts-ignore: decorator
@inline const ROUNDS_PER_FLUSH: usize = 16384;

/** Folds a 64-bit one's complement accumulator down to 16 bits (end-around carry). */
// @ts-ignore: decorator
@inline function fold64(acc: u64): u32 {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  let x = <u32>acc;
  x = (x & 0xffff) + (x >>> 16);
  x = (x & 0xffff) + (x >>> 16);
  return x;
}

/** Folds a 32-bit partial sum to 16 bits with end-around carry. */
// @ts-ignore: decorator
@inline export function fold(partial: u32): u32 {
  partial = (partial & 0xffff) + (partial >>> 16);
  partial = (partial & 0xffff) + (partial >>> 16);
  return partial;
}

/** Adds four u32 lanes into a u64. */
// @ts-ignore: decorator
@inline function lanes(v: v128): u64 {
  return <u64>i32x4.extract_lane(v, 0) + <u64>i32x4.extract_lane(v, 1)
    + <u64>i32x4.extract_lane(v, 2) + <u64>i32x4.extract_lane(v, 3);
}

/**
 * One's complement sum of `len` bytes at `ptr` plus `initial`, folded to 16 bits in network
 * byte order, not complemented. Callers check bounds; this trusts them.
 */
export function sum(ptr: usize, len: usize, initial: u32): u32 {
  let acc: u64 = 0;
  let p = ptr;
  let rounds = len / ROUND_BYTES;
  while (rounds > 0) {
    let batch = rounds < ROUNDS_PER_FLUSH ? rounds : ROUNDS_PER_FLUSH;
    rounds -= batch;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    do {
      a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
      a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)));
      a2 = i32x4.add(a2, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)));
      a3 = i32x4.add(a3, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)));
      p += ROUND_BYTES;
    } while (--batch);
    acc += lanes(a0) + lanes(a1) + lanes(a2) + lanes(a3);
  }
  let end = ptr + len;
  while (end - p >= 16) {
    acc += lanes(i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
    p += 16;
  }
  while (end - p >= 4) {
    acc += <u64>load<u32>(p);
    p += 4;
  }
  if (end - p >= 2) {
    acc += <u64>load<u16>(p);
    p += 2;
  }
  // A trailing odd byte is the high half of a network-order word: the low half of a little-endian one.
  if (p < end) acc += <u64>load<u8>(p);
  let networkOrder = <u32>bswap<u16>(<u16>fold64(acc));
  return fold(networkOrder + fold(initial));
}

/** The Internet checksum of `len` bytes at `ptr` with `initial` folded in: the complement of sum. */
// @ts-ignore: decorator
@inline export function checksum(ptr: usize, len: usize, initial: u32): u32 {
  return ~sum(ptr, len, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (RFC 768, RFC 793) for UDP and TCP; addresses in host order. */
export function pseudoHeader(source: u32, destination: u32, protocol: u32, length: u32): u32 {
  return fold((source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff)
    + protocol + length);
}

/** Checksum after one 16-bit word changed from `oldWord` to `newWord` (RFC 1624, eqn. 3). */
export function update16(check: u32, oldWord: u32, newWord: u32): u32 {
  return ~fold((~check & 0xffff) + (~oldWord & 0xffff) + newWord) & 0xffff;
}

/**
 * Fills the 16-bit checksum field at `field`, last: with `given` when `keep` (broken packets on
 * purpose), else with the checksum of `length` bytes at `over` and the partial sum `initial`,
 * computed with the field zeroed. Returns what it wrote.
 */
export function storeChecksum(field: usize, keep: bool, given: u32, over: usize, length: usize, initial: u32): u32 {
  let value = given & 0xffff;
  if (!keep) {
    store<u16>(field, 0);
    value = checksum(over, length, initial);
  }
  store<u16>(field, bswap<u16>(<u16>value));
  return value;
}
