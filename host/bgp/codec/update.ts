// UPDATE (RFC 4271 §4.3) and its error handling (RFC 7606). A decoded UPDATE lists every attribute
// in wire order, plus the problems found: each names RFC 7606's outcome, the NOTIFICATION code it
// would have been, and the offset. Session resets are thrown (BgpMessageError); treat-as-withdraw
// and attribute-discard come back as problems so the RIB can act and the log can say why.
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   +-----------------------------------------------------+
//   |   Withdrawn Routes (variable)                       |
//   +-----------------------------------------------------+
//   |   Total Path Attribute Length (2 octets)            |
//   +-----------------------------------------------------+
//   |   Path Attributes (variable)                        |
//   +-----------------------------------------------------+
//   |   Network Layer Reachability Information (variable) |
//   +-----------------------------------------------------+

import { Afi, AttributeCode, AttributeFlag, HEADER_LENGTH, Safi } from "../constants";
import { BgpMessageError } from "./error";
import { decodeNlri, encodeNlri, type Nlri } from "./prefix";
import { concat } from "./open";
import {
  decodeAttributeValue,
  encodeAttribute,
  ERROR_ACTION,
  IBGP_ONLY_ATTRIBUTES,
  isKnownAttribute,
  isUsableNextHop,
  MalformedAttribute,
  type AttributeContext,
  type ErrorAction,
  type PathAttribute,
} from "./attributes";

export const UPDATE_BODY_MINIMUM = 4;

export interface UpdateContext extends AttributeContext {
  /** The peer is in another AS: attributes meant for iBGP only are discarded (RFC 7606 §7.5). */
  external: boolean;
}

interface UpdateProblem {
  action: Exclude<ErrorAction, "session-reset">;
  code: number;
  subcode: number;
  /** Attribute type code, 0 when the problem is the attribute list itself. */
  attribute: number;
  offset: number;
  reason: string;
}

export interface UpdateMessage {
  type: "update";
  withdrawn: Nlri[];
  attributes: PathAttribute[];
  nlri: Nlri[];
  problems: UpdateProblem[];
}

/** True when any problem makes every prefix announced in this UPDATE a withdrawal. */
export function treatAsWithdraw(update: UpdateMessage): boolean {
  return update.problems.some((problem) => problem.action === "treat-as-withdraw");
}

/** Decodes the body (after the header); offsets in errors and problems count from the marker. */
export function decodeUpdate(body: Uint8Array, context: UpdateContext): UpdateMessage {
  const base = HEADER_LENGTH;
  if (body.length < UPDATE_BODY_MINIMUM) {
    throw new BgpMessageError(1, 2, `UPDATE body of ${body.length} octets`, 16, Uint8Array.of(0, HEADER_LENGTH + body.length));
  }
  const withdrawnLength = (body[0] << 8) | body[1];
  if (2 + withdrawnLength + 2 > body.length) {
    throw new BgpMessageError(3, 1, `withdrawn routes length ${withdrawnLength} runs past the message`, base);
  }
  const withdrawn = decodeNlri(body, 2, 2 + withdrawnLength, { afi: Afi.ipv4, addPath: context.addPath(Afi.ipv4), subcode: 10, base });
  const attributesAt = 2 + withdrawnLength;
  const attributesLength = (body[attributesAt] << 8) | body[attributesAt + 1];
  const attributesStart = attributesAt + 2;
  const attributesEnd = attributesStart + attributesLength;
  if (attributesEnd > body.length) {
    throw new BgpMessageError(3, 1, `total path attribute length ${attributesLength} runs past the message`, base + attributesAt);
  }
  const problems: UpdateProblem[] = [];
  const attributes = decodeAttributes(body, attributesStart, attributesEnd, context, problems);
  const nlri = decodeNlri(body, attributesEnd, body.length, { afi: Afi.ipv4, addPath: context.addPath(Afi.ipv4), subcode: 10, base });
  const update: UpdateMessage = { type: "update", withdrawn, attributes, nlri, problems };
  checkMandatory(update, base + attributesAt);
  return update;
}

function decodeAttributes(body: Uint8Array, start: number, end: number, context: UpdateContext, problems: UpdateProblem[]): PathAttribute[] {
  const base = HEADER_LENGTH;
  const attributes: PathAttribute[] = [];
  const seen = new Set<number>();
  let at = start;
  while (at < end) {
    const flags = body[at];
    const headerLength = flags & AttributeFlag.extendedLength ? 4 : 3;
    // RFC 7606 §4: an attribute list whose last attribute cannot be read whole.
    if (at + headerLength > end) {
      problems.push({ action: "treat-as-withdraw", code: 3, subcode: 1, attribute: 0, offset: base + at, reason: "attribute header runs past the attribute list" });
      break;
    }
    const code = body[at + 1];
    const length = headerLength === 4 ? (body[at + 2] << 8) | body[at + 3] : body[at + 2];
    const valueStart = at + headerLength;
    const valueEnd = valueStart + length;
    if (valueEnd > end) {
      problems.push({ action: "treat-as-withdraw", code: 3, subcode: 1, attribute: code, offset: base + at, reason: `attribute ${code} of ${length} octets runs past the attribute list` });
      break;
    }
    const whole = body.slice(at, valueEnd);
    if (!(flags & AttributeFlag.optional) && !isKnownAttribute(code)) {
      throw new BgpMessageError(3, 2, `unrecognized well-known attribute ${code}`, base + at, whole);
    }
    if (seen.has(code)) {
      // RFC 7606 §3 (g): a second MP attribute leaves the NLRI in doubt; any other repeat is dropped.
      if (code === AttributeCode.mpReach || code === AttributeCode.mpUnreach) {
        throw new BgpMessageError(3, 1, `attribute ${code} appears twice`, base + at);
      }
      problems.push({ action: "attribute-discard", code: 3, subcode: 1, attribute: code, offset: base + at, reason: `attribute ${code} appears twice; the repeat is discarded` });
      at = valueEnd;
      continue;
    }
    seen.add(code);
    if (context.external && IBGP_ONLY_ATTRIBUTES.has(code)) {
      problems.push({ action: "attribute-discard", code: 3, subcode: 0, attribute: code, offset: base + at, reason: `attribute ${code} from an external peer is discarded` });
      at = valueEnd;
      continue;
    }
    const value = decodeAttributeValue(code, flags, body, valueStart, valueEnd, context, base);
    if (value instanceof MalformedAttribute) {
      const action = ERROR_ACTION[code];
      if (action === "session-reset") throw new BgpMessageError(3, value.subcode, value.reason, base + at, whole);
      problems.push({ action, code: 3, subcode: value.subcode, attribute: code, offset: base + at, reason: value.reason });
    } else {
      attributes.push({ flags, code, ...value } as PathAttribute);
      // The MP next hop is checked as NEXT_HOP is: its routes are withdrawn, the session stays.
      if (value.kind === "mp-reach" && !isUsableNextHop(value.nextHops[0])) {
        problems.push({ action: "treat-as-withdraw", code: 3, subcode: 8, attribute: code, offset: base + at, reason: `MP_REACH_NLRI next hop ${value.nextHops[0]} is not a unicast address` });
      }
    }
    at = valueEnd;
  }
  return attributes;
}

/** RFC 7606 §3 (d): a well-known mandatory attribute missing from an UPDATE that announces routes. */
function checkMandatory(update: UpdateMessage, offset: number): void {
  const mpReach = update.attributes.some((attribute) => attribute.kind === "mp-reach");
  if (update.nlri.length === 0 && !mpReach) return;
  const present = new Set(update.attributes.map((attribute) => attribute.code));
  // A malformed attribute already withdrew the routes; do not report it missing too.
  for (const problem of update.problems) present.add(problem.attribute);
  const needed: number[] = [AttributeCode.origin, AttributeCode.asPath];
  if (update.nlri.length > 0) needed.push(AttributeCode.nextHop);
  for (const code of needed) {
    if (!present.has(code)) {
      update.problems.push({ action: "treat-as-withdraw", code: 3, subcode: 3, attribute: code, offset, reason: `missing well-known attribute ${code}` });
    }
  }
}

/** End-of-RIB (RFC 4724 §2): the empty UPDATE for IPv4 unicast, an empty MP_UNREACH for others. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === Afi.ipv4 && safi === Safi.unicast) return { type: "update", withdrawn: [], attributes: [], nlri: [], problems: [] };
  return {
    type: "update",
    withdrawn: [],
    attributes: [{ flags: AttributeFlag.optional, code: AttributeCode.mpUnreach, kind: "mp-unreach", afi, safi, withdrawn: [] }],
    nlri: [],
    problems: [],
  };
}

/** The family whose End-of-RIB this UPDATE is, or null. */
export function endOfRibFamily(update: UpdateMessage): { afi: number; safi: number } | null {
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return null;
  if (update.attributes.length === 0 && update.problems.length === 0) return { afi: Afi.ipv4, safi: Safi.unicast };
  const only = update.attributes[0];
  if (update.attributes.length === 1 && only.kind === "mp-unreach" && only.withdrawn.length === 0) return { afi: only.afi, safi: only.safi };
  return null;
}

/** The UPDATE body (without header). */
export function encodeUpdate(update: UpdateMessage, context: AttributeContext): Uint8Array {
  const addPath = context.addPath(Afi.ipv4);
  const withdrawn = concat(update.withdrawn.map((nlri) => encodeNlri(nlri, addPath)));
  const attributes = concat(update.attributes.map((attribute) => encodeAttribute(attribute, context)));
  const nlri = concat(update.nlri.map((prefix) => encodeNlri(prefix, addPath)));
  return concat([Uint8Array.of(withdrawn.length >> 8, withdrawn.length & 0xff), withdrawn, Uint8Array.of(attributes.length >> 8, attributes.length & 0xff), attributes, nlri]);
}
