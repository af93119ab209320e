// OPEN (RFC 4271 §4.2) with optional parameters in the classic or the extended form (RFC 9072),
// and the capabilities inside parameter type 2 (RFC 5492). Parameters and capabilities keep their
// order and grouping so a decoded OPEN encodes back to the same bytes.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |    Version    |     My Autonomous System      |   Hold Time   :
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   :               |                BGP Identifier                 :
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   :               | Opt Parm Len  | Optional Parameters (variable)
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 9072: Opt Parm Len 255 followed by parameter type 255 means a 2-octet length follows, and
// every parameter's length is 2 octets too.

import { CapabilityCode, HEADER_LENGTH } from "../constants";
import { BgpMessageError } from "./error";
import { addressBytes, formatIpv4 } from "./prefix";

export const OPEN_BODY_MINIMUM = 10;
const CAPABILITIES_PARAMETER = 2;
const EXTENDED_PARAMETERS_MARK = 255;

interface GracefulRestartFamily {
  afi: number;
  safi: number;
  /** Bit 0x80: forwarding state was preserved for this family. */
  flags: number;
}

interface AddPathFamily {
  afi: number;
  safi: number;
  /** 1 receive, 2 send, 3 both. */
  sendReceive: number;
}

export type Capability =
  | { kind: "multiprotocol"; afi: number; safi: number }
  | { kind: "route-refresh" }
  | { kind: "extended-message" }
  | { kind: "enhanced-route-refresh" }
  | { kind: "4-octet-as"; asn: number }
  /** flags: the top 4 bits of the first octet (0x8 restarting, 0x4 notification). */
  | { kind: "graceful-restart"; flags: number; restartTime: number; families: GracefulRestartFamily[] }
  | { kind: "add-path"; families: AddPathFamily[] }
  | { kind: "unknown"; code: number; data: Uint8Array };

type OpenParameter =
  | { type: typeof CAPABILITIES_PARAMETER; capabilities: Capability[] }
  | { type: number; data: Uint8Array };

export interface OpenMessage {
  type: "open";
  version: number;
  /** The 2-octet field; AS_TRANS when the speaker's AS needs 4 octets (RFC 6793). */
  myAs: number;
  holdTime: number;
  bgpId: string;
  parameters: OpenParameter[];
  /** RFC 9072 framing on the wire. */
  extendedParameters: boolean;
}

/** Every capability of the OPEN, in order. */
export function capabilitiesOf(open: OpenMessage): Capability[] {
  const out: Capability[] = [];
  for (const parameter of open.parameters) if ("capabilities" in parameter) out.push(...parameter.capabilities);
  return out;
}

/** Decodes the body (after the 19-octet header); offsets in errors count from the marker. */
export function decodeOpen(body: Uint8Array): OpenMessage {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length < OPEN_BODY_MINIMUM) {
    throw new BgpMessageError(1, 2, `OPEN body of ${body.length} octets`, 16, u16(HEADER_LENGTH + body.length));
  }
  let parametersLength = body[9];
  let at = 10;
  let extendedParameters = false;
  if (parametersLength === EXTENDED_PARAMETERS_MARK && body.length > 10 && body[10] === EXTENDED_PARAMETERS_MARK) {
    if (body.length < 13) throw openError(0, "extended parameters length missing", 10);
    extendedParameters = true;
    parametersLength = view.getUint16(11);
    at = 13;
  }
  if (at + parametersLength !== body.length) {
    throw openError(0, `optional parameters length ${parametersLength} does not match the ${body.length - at} octets left`, 9);
  }
  const parameters: OpenParameter[] = [];
  const lengthSize = extendedParameters ? 2 : 1;
  while (at < body.length) {
    if (at + 1 + lengthSize > body.length) throw openError(0, "optional parameter header runs past the end", at);
    const type = body[at];
    const length = extendedParameters ? view.getUint16(at + 1) : body[at + 1];
    const start = at + 1 + lengthSize;
    if (start + length > body.length) throw openError(0, `optional parameter ${type} of ${length} octets runs past the end`, at);
    if (type === CAPABILITIES_PARAMETER) {
      parameters.push({ type, capabilities: decodeCapabilities(body, start, start + length) });
    } else {
      throw openError(4, `optional parameter type ${type}`, at, Uint8Array.of(type));
    }
    at = start + length;
  }
  return {
    type: "open",
    version: body[0],
    myAs: view.getUint16(1),
    holdTime: view.getUint16(3),
    bgpId: formatIpv4(body, 5),
    parameters,
    extendedParameters,
  };
}

function decodeCapabilities(body: Uint8Array, start: number, end: number): Capability[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: Capability[] = [];
  let at = start;
  while (at < end) {
    if (at + 2 > end) throw openError(0, "capability header runs past the parameter", at);
    const code = body[at];
    const length = body[at + 1];
    const value = at + 2;
    if (value + length > end) throw openError(0, `capability ${code} of ${length} octets runs past the parameter`, at);
    const wrongLength = (expected: string) =>
      openError(0, `capability ${code} has ${length} octets, expected ${expected}`, at, body.slice(at, value + length));
    switch (code) {
      case CapabilityCode.multiprotocol:
        if (length !== 4) throw wrongLength("4");
        out.push({ kind: "multiprotocol", afi: view.getUint16(value), safi: body[value + 3] });
        break;
      case CapabilityCode.routeRefresh:
      case CapabilityCode.extendedMessage:
      case CapabilityCode.enhancedRouteRefresh:
        if (length !== 0) throw wrongLength("0");
        out.push({ kind: code === 2 ? "route-refresh" : code === 6 ? "extended-message" : "enhanced-route-refresh" });
        break;
      case CapabilityCode.fourOctetAs:
        if (length !== 4) throw wrongLength("4");
        out.push({ kind: "4-octet-as", asn: view.getUint32(value) });
        break;
      case CapabilityCode.gracefulRestart: {
        if (length < 2 || (length - 2) % 4 !== 0) throw wrongLength("2 + 4n");
        const families: GracefulRestartFamily[] = [];
        for (let f = value + 2; f < value + length; f += 4) {
          families.push({ afi: view.getUint16(f), safi: body[f + 2], flags: body[f + 3] });
        }
        const head = view.getUint16(value);
        out.push({ kind: "graceful-restart", flags: head >> 12, restartTime: head & 0xfff, families });
        break;
      }
      case CapabilityCode.addPath: {
        if (length % 4 !== 0) throw wrongLength("4n");
        const families: AddPathFamily[] = [];
        for (let f = value; f < value + length; f += 4) {
          families.push({ afi: view.getUint16(f), safi: body[f + 2], sendReceive: body[f + 3] });
        }
        out.push({ kind: "add-path", families });
        break;
      }
      default:
        // RFC 5492 §4: a capability we do not know is ignored, but kept for display and re-encoding.
        out.push({ kind: "unknown", code, data: body.slice(value, value + length) });
    }
    at = value + length;
  }
  return out;
}

/** OPEN error: offset is into the body, reported from the marker. */
function openError(subcode: number, reason: string, bodyOffset: number, data?: Uint8Array): BgpMessageError {
  return new BgpMessageError(2, subcode, reason, HEADER_LENGTH + bodyOffset, data);
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

/** The capability's code (RFC 5492 registry). */
export function capabilityCode(capability: Capability): number {
  return capabilityValue(capability).code;
}

/** The capability's code and value octets. */
function capabilityValue(capability: Capability): { code: number; value: Uint8Array } {
  switch (capability.kind) {
    case "multiprotocol":
      return { code: 1, value: Uint8Array.of(capability.afi >> 8, capability.afi & 0xff, 0, capability.safi) };
    case "route-refresh":
      return { code: 2, value: new Uint8Array(0) };
    case "extended-message":
      return { code: 6, value: new Uint8Array(0) };
    case "enhanced-route-refresh":
      return { code: 70, value: new Uint8Array(0) };
    case "4-octet-as": {
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, capability.asn >>> 0);
      return { code: 65, value };
    }
    case "graceful-restart": {
      const value = new Uint8Array(2 + 4 * capability.families.length);
      const view = new DataView(value.buffer);
      view.setUint16(0, ((capability.flags & 0xf) << 12) | (capability.restartTime & 0xfff));
      capability.families.forEach((family, i) => {
        view.setUint16(2 + 4 * i, family.afi);
        value[4 + 4 * i] = family.safi;
        value[5 + 4 * i] = family.flags;
      });
      return { code: 64, value };
    }
    case "add-path": {
      const value = new Uint8Array(4 * capability.families.length);
      const view = new DataView(value.buffer);
      capability.families.forEach((family, i) => {
        view.setUint16(4 * i, family.afi);
        value[2 + 4 * i] = family.safi;
        value[3 + 4 * i] = family.sendReceive;
      });
      return { code: 69, value };
    }
    case "unknown":
      return { code: capability.code, value: capability.data };
  }
}

/** The OPEN body (without header). */
export function encodeOpen(open: OpenMessage): Uint8Array {
  const parameterBytes: Uint8Array[] = [];
  const lengthSize = open.extendedParameters ? 2 : 1;
  for (const parameter of open.parameters) {
    const value =
      "capabilities" in parameter
        ? concat(
            parameter.capabilities.map((capability) => {
              const { code, value } = capabilityValue(capability);
              return concat([Uint8Array.of(code, value.length), value]);
            }),
          )
        : parameter.data;
    const head = lengthSize === 2 ? Uint8Array.of(parameter.type, value.length >> 8, value.length & 0xff) : Uint8Array.of(parameter.type, value.length);
    if (lengthSize === 1 && value.length > 255) throw new Error("optional parameter over 255 octets needs extended parameters (RFC 9072)");
    parameterBytes.push(head, value);
  }
  const parameters = concat(parameterBytes);
  const head = new Uint8Array(10);
  const view = new DataView(head.buffer);
  head[0] = open.version;
  view.setUint16(1, open.myAs);
  view.setUint16(3, open.holdTime);
  const id = addressBytes(open.bgpId);
  if (id === null || id.length !== 4) throw new Error(`BGP identifier is not an IPv4 address: ${open.bgpId}`);
  head.set(id, 5);
  if (open.extendedParameters) {
    head[9] = EXTENDED_PARAMETERS_MARK;
    return concat([head, Uint8Array.of(EXTENDED_PARAMETERS_MARK, parameters.length >> 8, parameters.length & 0xff), parameters]);
  }
  if (parameters.length > 254) throw new Error("optional parameters over 254 octets need extended parameters (RFC 9072)");
  head[9] = parameters.length;
  return concat([head, parameters]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
