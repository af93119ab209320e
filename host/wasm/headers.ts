// Typed wrappers over parseHeader/emitHeader: field records become plain objects keyed by the
// field names of assembly/shared/fields.ts in lower camel case (SourcePort → sourcePort).

import { Status } from "../../assembly/shared/status";
import { EmitFlags, HeaderKind, RECORD_FIELDS, RECORD_OPTION_BYTES } from "../../assembly/shared/fields";
import { FIELD_NAMES } from "./field-names";

export { FIELD_NAMES };
import { core } from "./module";
import { copyIn, memoryBytes } from "./scratch";

export type HeaderFields = Record<string, number>;

/** A header as parseHeader left it: the status, the fields, and IPv4/TCP option bytes. */
export interface ParsedHeader {
  status: Status;
  fields: HeaderFields;
  options: Uint8Array;
}

/** Addresses for the UDP/TCP pseudo-header, as 32-bit numbers in host order. */
export interface PseudoAddresses {
  source?: number;
  destination?: number;
}

function optionLength(kind: HeaderKind, fields: HeaderFields): number {
  return kind === HeaderKind.Ipv4 || kind === HeaderKind.Tcp ? Math.max(0, fields.headerLength - 20) : 0;
}

/** Parses `bytes` as a header of `kind` through the Wasm core. */
export function parseHeader(kind: HeaderKind, bytes: Uint8Array, addresses: PseudoAddresses = {}): ParsedHeader {
  const wasm = core();
  const pointer = copyIn(bytes);
  const status = wasm.parseHeader(kind, pointer, bytes.length, (addresses.source ?? 0) >>> 0, (addresses.destination ?? 0) >>> 0) as Status;
  const record = wasm.headerRecord();
  const words = new Uint32Array(memoryBytes().buffer, record, RECORD_FIELDS);
  const fields: HeaderFields = {};
  FIELD_NAMES[kind].forEach((name, index) => (fields[name] = words[index]));
  const options = memoryBytes().slice(record + RECORD_FIELDS * 4, record + RECORD_FIELDS * 4 + optionLength(kind, fields));
  return { status, fields, options: status === Status.Ok ? options : new Uint8Array(0) };
}

/** What emitHeader needs besides the fields. */
export interface EmitOptions extends PseudoAddresses {
  /** Bytes after the header that its checksum covers (ICMP, UDP, TCP). */
  payload?: Uint8Array;
  /** IPv4 or TCP option bytes (headerLength − 20 of them). */
  options?: Uint8Array;
  /** Write the checksum field as given instead of computing it. */
  keepChecksum?: boolean;
}

/** Thrown when the Wasm core refuses to emit a header; `status` says why. */
export class EmitError extends Error {
  readonly code = "EMIT";
  constructor(readonly status: Status, kind: HeaderKind) {
    super(`cannot emit ${HeaderKind[kind]} header: ${Status[status]}`);
  }
}

/** Emits a `kind` header from `fields` (missing fields are 0); returns header + payload bytes. */
export function emitHeader(kind: HeaderKind, fields: HeaderFields, options: EmitOptions = {}): Uint8Array {
  const wasm = core();
  const names = FIELD_NAMES[kind];
  const unknown = Object.keys(fields).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new TypeError(`unknown ${HeaderKind[kind]} field ${unknown.join(", ")}`);
  const optionBytes = options.options ?? new Uint8Array(0);
  if (optionBytes.length > RECORD_OPTION_BYTES) throw new RangeError(`at most ${RECORD_OPTION_BYTES} option bytes`);
  const payload = options.payload ?? new Uint8Array(0);
  const headerLength = headerLengthOf(kind, fields);
  const buffer = new Uint8Array(headerLength + payload.length);
  buffer.set(payload, headerLength);
  const pointer = copyIn(buffer);
  const record = wasm.headerRecord();
  const words = new Uint32Array(memoryBytes().buffer, record, RECORD_FIELDS);
  words.fill(0);
  names.forEach((name, index) => (words[index] = (fields[name] ?? 0) >>> 0));
  memoryBytes().set(optionBytes, record + RECORD_FIELDS * 4);
  const flags = options.keepChecksum ? EmitFlags.KeepChecksum : 0;
  const result = wasm.emitHeader(kind, pointer, buffer.length, flags, (options.source ?? 0) >>> 0, (options.destination ?? 0) >>> 0);
  if (result < 0) throw new EmitError(-result as Status, kind);
  return memoryBytes().slice(pointer, pointer + buffer.length);
}

/** Bytes the header of `kind` with `fields` takes on the wire. */
export function headerLengthOf(kind: HeaderKind, fields: HeaderFields): number {
  switch (kind) {
    case HeaderKind.Ethernet:
      return fields.hasVlan ? 18 : 14;
    case HeaderKind.Arp:
      return 28;
    case HeaderKind.Ipv4:
    case HeaderKind.Tcp:
      return fields.headerLength ?? 20;
    case HeaderKind.Icmpv4:
    case HeaderKind.Udp:
    case HeaderKind.Vxlan:
      return 8;
    case HeaderKind.LinuxCooked:
      return 16;
    case HeaderKind.LinuxCooked2:
      return 20;
  }
}
