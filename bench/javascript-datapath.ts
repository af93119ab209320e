// The same per-packet work as the Wasm data path, in plain JavaScript over one Uint8Array: check
// the inner header and its checksum, decrement the TTL with an incremental checksum update, write
// the outer headers (decap: check them and find the inner packet). The benchmark's baseline.
import { EncapMode } from "../assembly/shared/slots";

const OVERHEAD = { [EncapMode.FlannelUdp]: 28, [EncapMode.Vxlan]: 50, [EncapMode.Ipip]: 20 } as const;

function headerSum(bytes: Uint8Array, at: number, length: number): number {
  let sum = 0;
  for (let i = at; i < at + length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

let identification = 1;

/** Encapsulates the inner packet at `at`; returns the outer packet's offset, or -1 to drop. */
export function javascriptEncap(bytes: Uint8Array, at: number, length: number, mode: EncapMode, local: number, peer: number, peerMac: Uint8Array, localMac: Uint8Array): number {
  if (length < 20 || bytes[at] >> 4 !== 4) return -1;
  const headerLength = (bytes[at] & 0xf) * 4;
  const totalLength = (bytes[at + 2] << 8) | bytes[at + 3];
  if (headerLength < 20 || totalLength > length || totalLength < headerLength) return -1;
  if (headerSum(bytes, at, headerLength) !== 0xffff) return -1;
  const ttl = bytes[at + 8];
  if (ttl <= 1) return -1;
  bytes[at + 8] = ttl - 1;
  let check = (~((bytes[at + 10] << 8) | bytes[at + 11]) & 0xffff) + (~((ttl << 8) | bytes[at + 9]) & 0xffff) + (((ttl - 1) << 8) | bytes[at + 9]);
  while (check > 0xffff) check = (check & 0xffff) + (check >>> 16);
  check = ~check & 0xffff;
  bytes[at + 10] = check >> 8;
  bytes[at + 11] = check & 0xff;
  const overhead = OVERHEAD[mode];
  const outer = at - overhead;
  const outerLength = totalLength + overhead;
  bytes[outer] = 0x45;
  bytes[outer + 1] = bytes[at + 1];
  bytes[outer + 2] = outerLength >> 8;
  bytes[outer + 3] = outerLength & 0xff;
  bytes[outer + 4] = identification >> 8;
  bytes[outer + 5] = identification & 0xff;
  identification = (identification + 1) & 0xffff;
  // IPIP copies the inner DF bit to the outer header, as the kernel's tunnel does (RFC 2003 3.1).
  bytes[outer + 6] = mode === EncapMode.Ipip ? bytes[at + 6] & 0x40 : 0;
  bytes[outer + 7] = 0;
  // IPIP: tunl0 is "ttl inherit" (Linux ip_tunnel_xmit takes the inner TTL, already one hop less); UDP: 64.
  bytes[outer + 8] = mode === EncapMode.Ipip ? bytes[at + 8] : 64;
  bytes[outer + 9] = mode === EncapMode.Ipip ? 4 : 17;
  bytes[outer + 10] = bytes[outer + 11] = 0;
  for (let i = 0; i < 4; i++) {
    bytes[outer + 12 + i] = (local >>> (24 - 8 * i)) & 0xff;
    bytes[outer + 16 + i] = (peer >>> (24 - 8 * i)) & 0xff;
  }
  const outerCheck = ~headerSum(bytes, outer, 20) & 0xffff;
  bytes[outer + 10] = outerCheck >> 8;
  bytes[outer + 11] = outerCheck & 0xff;
  if (mode !== EncapMode.Ipip) {
    const udp = outer + 20;
    const port = mode === EncapMode.Vxlan ? 8472 : 8285;
    const sourcePort = mode === EncapMode.Vxlan ? 49152 | ((bytes[at + 15] ^ bytes[at + 19]) << 6) : 8285;
    bytes[udp] = sourcePort >> 8;
    bytes[udp + 1] = sourcePort & 0xff;
    bytes[udp + 2] = port >> 8;
    bytes[udp + 3] = port & 0xff;
    bytes[udp + 4] = (outerLength - 20) >> 8;
    bytes[udp + 5] = (outerLength - 20) & 0xff;
    bytes[udp + 6] = bytes[udp + 7] = 0;
    if (mode === EncapMode.Vxlan) {
      bytes.set([0x08, 0, 0, 0, 0, 0, 1, 0], udp + 8);
      bytes.set(peerMac, udp + 16);
      bytes.set(localMac, udp + 22);
      bytes[udp + 28] = 0x08;
      bytes[udp + 29] = 0x00;
    }
  }
  return outer;
}

/** Finds and checks the inner packet of the outer packet at `at`; returns its offset, or -1 to drop. */
export function javascriptDecap(bytes: Uint8Array, at: number, length: number, mode: EncapMode): number {
  if (length < 20 || bytes[at] >> 4 !== 4) return -1;
  const headerLength = (bytes[at] & 0xf) * 4;
  const totalLength = (bytes[at + 2] << 8) | bytes[at + 3];
  if (headerLength < 20 || totalLength > length || totalLength < headerLength) return -1;
  if (headerSum(bytes, at, headerLength) !== 0xffff) return -1;
  let inner = at + headerLength;
  if (mode === EncapMode.Ipip) {
    if (bytes[at + 9] !== 4) return -1;
  } else {
    if (bytes[at + 9] !== 17) return -1;
    const port = (bytes[inner + 2] << 8) | bytes[inner + 3];
    if (port !== (mode === EncapMode.Vxlan ? 8472 : 8285)) return -1;
    inner += 8;
    if (mode === EncapMode.Vxlan) {
      if (!(bytes[inner] & 0x08) || ((bytes[inner + 4] << 16) | (bytes[inner + 5] << 8) | bytes[inner + 6]) !== 1) return -1;
      if (bytes[inner + 20] !== 0x08 || bytes[inner + 21] !== 0x00) return -1;
      inner += 22;
    }
  }
  if (bytes[inner] >> 4 !== 4) return -1;
  const innerHeaderLength = (bytes[inner] & 0xf) * 4;
  if (innerHeaderLength < 20 || headerSum(bytes, inner, innerHeaderLength) !== 0xffff) return -1;
  return inner;
}
