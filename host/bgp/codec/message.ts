// The BGP message header (RFC 4271 §4.1) and the whole-message codec: the fixed 16-octet marker of
// all ones, a 2-octet length that counts the header, and a type. KEEPALIVE is the header alone;
// NOTIFICATION (§4.5) is code, subcode and data; ROUTE-REFRESH (RFC 2918, RFC 7313) is AFI,
// subtype and SAFI.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                           Marker (16)                         +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Length               |      Type     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { EXTENDED_MAX_MESSAGE_LENGTH, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from "../constants";
import { BgpMessageError } from "./error";
import { decodeOpen, encodeOpen, OPEN_BODY_MINIMUM, type OpenMessage } from "./open";
import { decodeUpdate, encodeUpdate, UPDATE_BODY_MINIMUM, type UpdateContext, type UpdateMessage } from "./update";
import type { AttributeContext } from "./attributes";

export interface NotificationMessage {
  type: "notification";
  code: number;
  subcode: number;
  data: Uint8Array;
}

interface KeepaliveMessage {
  type: "keepalive";
}

export interface RouteRefreshMessage {
  type: "route-refresh";
  afi: number;
  /** RFC 7313: 0 request, 1 begin of refresh, 2 end of refresh. */
  subtype: number;
  safi: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

export interface MessageContext extends UpdateContext {
  /** RFC 8654 negotiated: UPDATE, NOTIFICATION and ROUTE-REFRESH may reach 65,535 octets. */
  extendedMessage: boolean;
}

/** A context for a session before OPENs are exchanged (and for offline decoding). */
export const DEFAULT_CONTEXT: MessageContext = {
  fourOctetAs: false,
  addPath: () => false,
  external: false,
  extendedMessage: false,
};

const MINIMUM_BODY: Record<number, number> = {
  [MessageType.open]: OPEN_BODY_MINIMUM,
  [MessageType.update]: UPDATE_BODY_MINIMUM,
  [MessageType.notification]: 2,
  [MessageType.keepalive]: 0,
  [MessageType.routeRefresh]: 4,
};

/**
 * Length of the message at bytes[at], or 0 if the header is not all there yet. Throws the
 * header errors of RFC 4271 §6.1 (1/1 marker, 1/2 length, 1/3 type).
 */
export function messageLength(bytes: Uint8Array, at: number, context: MessageContext): number {
  if (bytes.length - at < HEADER_LENGTH) return 0;
  for (let i = 0; i < 16; i++) {
    if (bytes[at + i] !== 0xff) throw new BgpMessageError(1, 1, "marker is not all ones", i);
  }
  const length = (bytes[at + 16] << 8) | bytes[at + 17];
  const type = bytes[at + 18];
  const minimum = MINIMUM_BODY[type];
  if (minimum === undefined) throw new BgpMessageError(1, 3, `message type ${type}`, 18, Uint8Array.of(type));
  const extended = context.extendedMessage && type !== MessageType.open && type !== MessageType.keepalive;
  const maximum = type === MessageType.keepalive ? HEADER_LENGTH : type === MessageType.routeRefresh ? HEADER_LENGTH + 4 : extended ? EXTENDED_MAX_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (length < HEADER_LENGTH + minimum || length > maximum) {
    throw new BgpMessageError(1, 2, `length ${length} for message type ${type}`, 16, Uint8Array.of(length >> 8, length & 0xff));
  }
  return length;
}

/** Decodes the whole message at bytes[0, length). */
export function decodeMessage(message: Uint8Array, context: MessageContext): BgpMessage {
  const length = messageLength(message, 0, context);
  if (length === 0 || length !== message.length) {
    throw new BgpMessageError(1, 2, `message of ${message.length} octets, header says ${length}`, 16);
  }
  const body = message.subarray(HEADER_LENGTH, length);
  switch (message[18]) {
    case MessageType.open:
      return decodeOpen(body);
    case MessageType.update:
      return decodeUpdate(body, context);
    case MessageType.notification:
      return { type: "notification", code: body[0], subcode: body[1], data: body.slice(2) };
    case MessageType.keepalive:
      return { type: "keepalive" };
    default:
      return { type: "route-refresh", afi: (body[0] << 8) | body[1], subtype: body[2], safi: body[3] };
  }
}

/** The whole message, header included. */
export function encodeMessage(message: BgpMessage, context: AttributeContext = DEFAULT_CONTEXT): Uint8Array {
  let type: number;
  let body: Uint8Array;
  switch (message.type) {
    case "open":
      type = MessageType.open;
      body = encodeOpen(message);
      break;
    case "update":
      type = MessageType.update;
      body = encodeUpdate(message, context);
      break;
    case "notification":
      type = MessageType.notification;
      body = new Uint8Array(2 + message.data.length);
      body[0] = message.code;
      body[1] = message.subcode;
      body.set(message.data, 2);
      break;
    case "keepalive":
      type = MessageType.keepalive;
      body = new Uint8Array(0);
      break;
    case "route-refresh":
      type = MessageType.routeRefresh;
      body = Uint8Array.of(message.afi >> 8, message.afi & 0xff, message.subtype, message.safi);
      break;
  }
  return frame(type, body);
}

/** Header + body. */
export function frame(type: number, body: Uint8Array): Uint8Array {
  const length = HEADER_LENGTH + body.length;
  if (length > EXTENDED_MAX_MESSAGE_LENGTH) throw new Error(`message of ${length} octets is longer than BGP allows`);
  const out = new Uint8Array(length);
  out.fill(0xff, 0, 16);
  out[16] = length >> 8;
  out[17] = length & 0xff;
  out[18] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}
