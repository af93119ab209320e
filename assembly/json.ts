// JSON text of the last decoded packet's layers, written straight into linear memory: the
// `"layers":[…],"payload":"…"` part of `podnet packet decode --json`, the same text the host's
// JSON.stringify of the layer objects gives (a test holds them equal). Field names come from a
// schema the host writes once (shared/decode.ts), so they live in one place only.

import { Status } from "./shared/status";
import { HeaderKind, Ipv4Field, RECORD_FIELDS, TcpField, EthernetField } from "./shared/fields";
import { CHECKSUM_WORDS_OFFSET, DecodeSummary, JSON_SCHEMA_KINDS, JsonFormat, LAYER_BYTES, LAYER_HEADER_BYTES, LayerField, MAX_LAYERS } from "./shared/decode";
import { getField } from "./wire/bytes";
import { LAYER_TABLE } from "./decode";

let schema: usize = 0;

/** Takes the schema the host built (copied: the host's buffer may be reused). */
export function configureJsonSchema(ptr: usize, len: usize): Status {
  if (len < <usize>(CHECKSUM_WORDS_OFFSET + 3)) return Status.BadArgument;
  schema = heap.alloc(len);
  memory.copy(schema, ptr, len);
  return Status.Ok;
}

// @ts-ignore: decorator
@inline const HEX_DIGITS: usize = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/** Output cursor; every writer checks room first and leaves `out` past `end` to signal overflow. */
let out: usize = 0;
let end: usize = 0;

// @ts-ignore: decorator
@inline function room(count: usize): bool {
  return out + count <= end;
}

function putBytes(from: usize, count: usize): void {
  if (!room(count)) { out = end + 1; return; }
  memory.copy(out, from, count);
  out += count;
}

function putByte(value: u32): void {
  if (!room(1)) { out = end + 1; return; }
  store<u8>(out++, <u8>value);
}

function putNumber(value: u32): void {
  if (!room(10)) { out = end + 1; return; }
  let digits: usize = 1;
  for (let rest = value / 10; rest > 0; rest /= 10) digits++;
  let at = out + digits;
  do {
    store<u8>(--at, <u8>(48 + value % 10));
    value /= 10;
  } while (value > 0);
  out += digits;
}

function putHex(from: usize, count: usize): void {
  if (!room(count << 1)) { out = end + 1; return; }
  for (let i: usize = 0; i < count; i++) {
    let byte = <usize>load<u8>(from + i);
    store<u8>(out++, load<u8>(HEX_DIGITS + (byte >> 4)));
    store<u8>(out++, load<u8>(HEX_DIGITS + (byte & 15)));
  }
}

function putIpv4(value: u32): void {
  putNumber(value >>> 24);
  putByte(46);
  putNumber((value >>> 16) & 255);
  putByte(46);
  putNumber((value >>> 8) & 255);
  putByte(46);
  putNumber(value & 255);
}

function putMacOctet(value: u32, colon: bool): void {
  if (colon) putByte(58);
  putByte(<u32>load<u8>(HEX_DIGITS + <usize>((value >> 4) & 15)));
  putByte(<u32>load<u8>(HEX_DIGITS + <usize>(value & 15)));
}

function putLayer(kind: u32, record: usize): void {
  if (kind >= <u32>JSON_SCHEMA_KINDS) return;
  let at = <usize>load<u32>(schema + (<usize>kind << 2));
  if (at == 0) return;
  let p = schema + at;
  let steps = <u32>load<u8>(p);
  let openingLength = <usize>load<u8>(p, 1);
  putBytes(p + 2, openingLength);
  p += 2 + openingLength;
  let untagged = kind == HeaderKind.Ethernet && getField(record, EthernetField.HasVlan) == 0;
  for (let i: u32 = 0; i < steps; i++) {
    let format = <u32>load<u8>(p);
    let value = getField(record, <i32>load<u8>(p, 1));
    let low = getField(record, <i32>load<u8>(p, 2));
    let keyLength = <usize>load<u8>(p, 3);
    let key = p + 4;
    p += 4 + keyLength;
    if (format == JsonFormat.VlanNumber && untagged) continue;
    putBytes(key, keyLength);
    if (format == JsonFormat.Number || format == JsonFormat.VlanNumber) {
      putNumber(value);
    } else if (format == JsonFormat.ChecksumWord) {
      let word = schema + <usize>CHECKSUM_WORDS_OFFSET;
      for (let state: u32 = 0; state < value && state < 2; state++) word += 1 + <usize>load<u8>(word);
      putBytes(word + 1, <usize>load<u8>(word));
    } else {
      putByte(34);
      if (format == JsonFormat.Ipv4) putIpv4(value);
      else {
        putMacOctet(value >>> 8, false);
        putMacOctet(value, true);
        putMacOctet(low >>> 24, true);
        putMacOctet(low >>> 16, true);
        putMacOctet(low >>> 8, true);
        putMacOctet(low, true);
      }
      putByte(34);
    }
  }
  let options: usize = 0;
  if (kind == HeaderKind.Ipv4) options = <usize>getField(record, Ipv4Field.HeaderLength) - 20;
  else if (kind == HeaderKind.Tcp) options = <usize>getField(record, TcpField.HeaderLength) - 20;
  if (options > 0) {
    putText(',"options":"');
    putHex(record + (<usize>RECORD_FIELDS << 2), options);
    putByte(34);
  }
  putByte(125);
}

function putText(text: string): void {
  for (let i = 0; i < text.length; i++) putByte(<u32>text.charCodeAt(i));
}

/**
 * Writes `"layers":[…],"payload":"…"` (and `,"trailer":"…"` when the outermost IPv4 packet
 * ends before the captured bytes) for the packet at `packet` that decodePacket saw last.
 * Returns the bytes written, or -Status (TooBig: `capacity` was not enough; BadArgument: no schema).
 */
export function renderLayersJson(packet: usize, packetLength: usize, output: usize, capacity: usize): i32 {
  if (schema == 0) return -Status.BadArgument;
  out = output;
  end = output + capacity;
  let summary = LAYER_TABLE + <usize>MAX_LAYERS * LAYER_BYTES;
  let count = getField(summary, DecodeSummary.LayerCount);
  let trailerStart: usize = 0;
  putText('"layers":[');
  let written: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    let row = LAYER_TABLE + <usize>i * LAYER_BYTES;
    if (getField(row, LayerField.Status) != Status.Ok) break;
    let kind = getField(row, LayerField.Kind);
    if (kind == HeaderKind.Ipv4 && trailerStart == 0) trailerStart = <usize>(getField(row, LayerField.Offset) + getField(row, LayerField.Extent));
    if (written++ > 0) putByte(44);
    putLayer(kind, row + LAYER_HEADER_BYTES);
  }
  putText('],"payload":"');
  let payloadOffset = <usize>getField(summary, DecodeSummary.PayloadOffset);
  let payloadEnd = min(payloadOffset + <usize>getField(summary, DecodeSummary.PayloadLength), packetLength);
  if (payloadEnd > payloadOffset) putHex(packet + payloadOffset, payloadEnd - payloadOffset);
  putByte(34);
  if (trailerStart > 0 && trailerStart < packetLength) {
    putText(',"trailer":"');
    putHex(packet + trailerStart, packetLength - trailerStart);
    putByte(34);
  }
  if (out > end) return -Status.TooBig;
  return <i32>(out - output);
}
