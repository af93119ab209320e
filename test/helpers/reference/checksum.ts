// Plain TypeScript Internet checksum: the oracle tests compare the Wasm core against, and the
// pure-JavaScript baseline the checksum benchmark measures. Written for clarity first.

/** RFC 1071 checksum of `bytes` with a partial sum folded in: big-endian words, end-around carry. */
export function referenceChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial >>> 0;
  const evenLength = bytes.length & ~1;
  for (let i = 0; i < evenLength; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length & 1) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
