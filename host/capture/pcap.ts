// Reading pcap and pcapng captures, writing pcap. A small module of our own: the npm readers
// are stream-based and years unmaintained, and decoding a million packets wants a synchronous
// walk over one buffer that hands out subarrays without copying.
//
// pcap: 24-byte file header (magic a1b2c3d4 for microseconds or a1b23c4d for nanoseconds, in
// either byte order; snap length; link type), then per packet a 16-byte record header (seconds,
// fraction, captured length, original length) and the captured bytes.
// pcapng: blocks of (type, total length, body, total length). Section header (0x0a0d0d0a, with
// byte-order magic 1a2b3c4d), interface description (1: link type, snap length, if_tsresol),
// enhanced packet (6), simple packet (3); other blocks are skipped.

/** One captured packet; `data` is a view into the file's bytes. */
export interface CapturedPacket {
  /** 1-based, as tshark numbers them. */
  number: number;
  /** Seconds since the epoch, with the capture's resolution. */
  timestamp: number;
  linkType: number;
  originalLength: number;
  data: Uint8Array;
  /** Where the packet's record starts in the file. */
  fileOffset: number;
  /** Where its bytes start in the file (after the record header). */
  dataOffset: number;
}

/** A capture file that cannot be read past a point; names the packet and byte offset. */
export class CaptureError extends Error {
  readonly code = "CAPTURE";
  constructor(message: string, readonly packetNumber: number, readonly byteOffset: number) {
    super(`packet ${packetNumber} at byte ${byteOffset}: ${message}`);
  }
}

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** pcapng blocks podnet reads, with their fixed fields' length (type, length, body, length). */
const BLOCK_NAMES: Record<number, string> = { 0x0a0d0d0a: "section header block", 1: "interface description block", 3: "simple packet block", 6: "enhanced packet block" };
const MINIMUM_BLOCK_LENGTH: Record<number, number> = { 0x0a0d0d0a: 28, 1: 20, 3: 16, 6: 32 };

/** True when `bytes` start like a pcap or pcapng file. */
export function looksLikeCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  return [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS].includes(big) || [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS].includes(little) || big === PCAPNG_SECTION_HEADER;
}

/** Every packet of a pcap or pcapng file, in order; throws CaptureError where the file goes bad. */
export function* readCapture(bytes: Uint8Array): Generator<CapturedPacket> {
  if (bytes.length < 4) throw new CaptureError(`file of ${bytes.length} bytes is too short for a capture header`, 0, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, false) === PCAPNG_SECTION_HEADER) yield* readPcapng(bytes, view);
  else yield* readPcap(bytes, view);
}

function* readPcap(bytes: Uint8Array, view: DataView): Generator<CapturedPacket> {
  const magic = view.getUint32(0, true);
  const magicBig = view.getUint32(0, false);
  let little: boolean;
  let fractionScale: number;
  if (magic === PCAP_MAGIC_MICROSECONDS || magic === PCAP_MAGIC_NANOSECONDS) little = true;
  else if (magicBig === PCAP_MAGIC_MICROSECONDS || magicBig === PCAP_MAGIC_NANOSECONDS) little = false;
  else throw new CaptureError(`not a pcap or pcapng file: magic number 0x${magicBig.toString(16).padStart(8, "0")}`, 0, 0);
  fractionScale = (little ? magic : magicBig) === PCAP_MAGIC_NANOSECONDS ? 1e-9 : 1e-6;
  if (bytes.length < 24) throw new CaptureError(`pcap header needs 24 bytes, the file has ${bytes.length}`, 0, 0);
  const snapLength = view.getUint32(16, little);
  const linkType = view.getUint32(20, little) & 0x0fffffff; // the top bits carry FCS information
  let offset = 24;
  for (let number = 1; offset < bytes.length; number++) {
    if (offset + 16 > bytes.length) throw new CaptureError(`record header needs 16 bytes, ${bytes.length - offset} remain`, number, offset);
    const capturedLength = view.getUint32(offset + 8, little);
    const originalLength = view.getUint32(offset + 12, little);
    if (snapLength > 0 && capturedLength > Math.max(snapLength, 262144)) {
      throw new CaptureError(`captured length ${capturedLength} exceeds the file's snap length ${snapLength}`, number, offset);
    }
    if (offset + 16 + capturedLength > bytes.length) {
      throw new CaptureError(`record says ${capturedLength} captured bytes, ${bytes.length - offset - 16} remain`, number, offset);
    }
    yield {
      number,
      timestamp: view.getUint32(offset, little) + view.getUint32(offset + 4, little) * fractionScale,
      linkType,
      originalLength,
      data: bytes.subarray(offset + 16, offset + 16 + capturedLength),
      fileOffset: offset,
      dataOffset: offset + 16,
    };
    offset += 16 + capturedLength;
  }
}

interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** Seconds per timestamp unit. */
  resolution: number;
}

function* readPcapng(bytes: Uint8Array, view: DataView): Generator<CapturedPacket> {
  let little = true;
  let interfaces: PcapngInterface[] = [];
  let offset = 0;
  let number = 1;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new CaptureError(`block header needs 12 bytes, ${bytes.length - offset} remain`, number, offset);
    const type = view.getUint32(offset, little);
    if (type === PCAPNG_SECTION_HEADER) {
      const byteOrder = view.getUint32(offset + 8, true);
      if (byteOrder === PCAPNG_BYTE_ORDER_MAGIC) little = true;
      else if (view.getUint32(offset + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) little = false;
      else throw new CaptureError(`section header has no byte-order magic`, number, offset);
      interfaces = [];
    }
    const length = view.getUint32(offset + 4, little);
    if (length < 12 || length % 4 !== 0) throw new CaptureError(`block length ${length} is not a multiple of 4 of at least 12`, number, offset);
    if (offset + length > bytes.length) throw new CaptureError(`block says ${length} bytes, ${bytes.length - offset} remain`, number, offset);
    const least = MINIMUM_BLOCK_LENGTH[type];
    if (least !== undefined && length < least) throw new CaptureError(`${BLOCK_NAMES[type]} of ${length} bytes is shorter than the ${least} its fields need`, number, offset);
    const body = offset + 8;
    if (type === 1) {
      interfaces.push({ linkType: view.getUint16(body, little), snapLength: view.getUint32(body + 4, little), resolution: interfaceResolution(view, body + 8, offset + length - 4, little) });
    } else if (type === 6 || type === 3) {
      const interfaceId = type === 6 ? view.getUint32(body, little) : 0;
      const description = interfaces[interfaceId];
      if (!description) throw new CaptureError(`packet names interface ${interfaceId}, which the file never described`, number, offset);
      let capturedLength: number;
      let originalLength: number;
      let dataStart: number;
      let timestamp = 0;
      if (type === 6) {
        const units = view.getUint32(body + 4, little) * 2 ** 32 + view.getUint32(body + 8, little);
        timestamp = units * description.resolution;
        capturedLength = view.getUint32(body + 12, little);
        originalLength = view.getUint32(body + 16, little);
        dataStart = body + 20;
      } else {
        originalLength = view.getUint32(body, little);
        capturedLength = description.snapLength > 0 ? Math.min(originalLength, description.snapLength) : originalLength;
        dataStart = body + 4;
      }
      if (description.snapLength > 0 && capturedLength > description.snapLength) {
        throw new CaptureError(`captured length ${capturedLength} exceeds the interface's snap length ${description.snapLength}`, number, offset);
      }
      if (dataStart + capturedLength > offset + length - 4) {
        throw new CaptureError(`packet says ${capturedLength} captured bytes, its block holds ${offset + length - 4 - dataStart}`, number, offset);
      }
      yield { number, timestamp, linkType: description.linkType, originalLength, data: bytes.subarray(dataStart, dataStart + capturedLength), fileOffset: offset, dataOffset: dataStart };
      number++;
    }
    offset += length;
  }
}

/** Seconds per timestamp unit from an interface's if_tsresol option (code 9); microseconds by default. */
function interfaceResolution(view: DataView, start: number, end: number, little: boolean): number {
  for (let at = start; at + 4 <= end; ) {
    const code = view.getUint16(at, little);
    const length = view.getUint16(at + 2, little);
    if (code === 0) break;
    if (code === 9 && length >= 1) {
      const value = view.getUint8(at + 4);
      return value & 0x80 ? 2 ** -(value & 0x7f) : 10 ** -value;
    }
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return 1e-6;
}

/** A pcap file header (microsecond timestamps, little-endian) for `linkType`. */
export function pcapFileHeader(linkType: number, snapLength = 262144): Uint8Array {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapLength, true);
  view.setUint32(20, linkType, true);
  return header;
}

/** One pcap record (header and bytes) for `data` captured at `timestamp` seconds; little-endian. */
export function pcapRecord(data: Uint8Array, timestamp: number, originalLength = data.length, nanoseconds = false): Uint8Array {
  const record = new Uint8Array(16 + data.length);
  const view = new DataView(record.buffer);
  const seconds = Math.floor(timestamp);
  view.setUint32(0, seconds, true);
  view.setUint32(4, Math.min(Math.round((timestamp - seconds) * (nanoseconds ? 1e9 : 1e6)), nanoseconds ? 999999999 : 999999), true);
  view.setUint32(8, data.length, true);
  view.setUint32(12, originalLength, true);
  record.set(data, 16);
  return record;
}

/** What appending to an existing pcap file must match; refuses anything but a little-endian pcap. */
export function pcapHeaderInfo(bytes: Uint8Array): { linkType: number; nanoseconds: boolean } {
  if (bytes.length < 24) throw new CaptureError(`pcap header needs 24 bytes, the file has ${bytes.length}`, 0, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
  const magic = view.getUint32(0, true);
  // Records are written little-endian, so only a little-endian file can take them.
  if (magic !== PCAP_MAGIC_MICROSECONDS && magic !== PCAP_MAGIC_NANOSECONDS) {
    throw new CaptureError(`not a little-endian pcap file to append to: magic number 0x${view.getUint32(0, false).toString(16).padStart(8, "0")}`, 0, 0);
  }
  return { linkType: view.getUint32(20, true) & 0x0fffffff, nanoseconds: magic === PCAP_MAGIC_NANOSECONDS };
}
