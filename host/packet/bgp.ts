// BGP inside TCP port 179, for `podnet packet decode`: each whole message in a segment becomes a
// "bgp" layer whose fields carry tshark's names (bgp.type, bgp.open.myas, bgp.nlri_prefix, …;
// several values joined with commas, as `tshark -T fields` prints them). A capture does not say
// what the session negotiated, so 4-octet AS numbers and ADD-PATH are recognised from the bytes, as
// tshark does: the reading under which the message parses cleanly wins.

import { BGP_PORT, CAPABILITY_NAMES, MESSAGE_TYPE_NAMES, notificationName } from "../bgp/constants";
import { BgpMessageError } from "../bgp/codec/error";
import { capabilitiesOf, capabilityCode } from "../bgp/codec/open";
import { decodeMessage, DEFAULT_CONTEXT, messageLength, type BgpMessage, type MessageContext } from "../bgp/codec/message";
import { formatCommunity } from "../bgp/route";
import type { Nlri } from "../bgp/codec/prefix";
import type { LayerList, LayerObject } from "./layers";

/** True when the packet's last layer is TCP to or from port 179 (BGP may follow). */
export function carriesBgp(layers: LayerList): boolean {
  const last = layers.length - 1;
  return last >= 0 && layers.name(last) === "tcp" && (layers.get(last, "sourcePort") === BGP_PORT || layers.get(last, "destinationPort") === BGP_PORT);
}

/** Candidate readings, most likely first: 4-octet AS and plain prefixes, then the others. */
const READINGS: MessageContext[] = [true, false].flatMap((fourOctetAs) =>
  [false, true].map((addPath) => ({ ...DEFAULT_CONTEXT, fourOctetAs, addPath: () => addPath, extendedMessage: true })),
);

/** Speakers number their paths from 1 (BIRD, FRR, GoBGP): an ADD-PATH reading with huge path ids is a misreading. */
const LARGEST_PLAUSIBLE_PATH_ID = 0xffff;

function plausible(message: BgpMessage): boolean {
  if (message.type !== "update") return true;
  const prefixes = [...message.nlri, ...message.withdrawn];
  return message.problems.length === 0 && !prefixes.some((nlri) => nlri.prefix.endsWith("/0") || nlri.pathId > LARGEST_PLAUSIBLE_PATH_ID);
}

/**
 * A message decoded under the first plausible reading, with that reading (to encode it back the
 * same way). When none is plausible, the most likely reading without ADD-PATH speaks: its message
 * with its problems, or its error, the NOTIFICATION a speaker would send (an NLRI of /33 is Invalid
 * Network Field, not an ADD-PATH prefix in disguise).
 */
export function decodeCapturedMessage(bytes: Uint8Array): { message: BgpMessage; context: MessageContext } {
  let fallback: { decoded?: { message: BgpMessage; context: MessageContext }; error?: unknown } | undefined;
  for (const context of READINGS) {
    const plain = !context.addPath(1);
    try {
      const message = decodeMessage(bytes, context);
      if (plausible(message)) return { message, context };
      if (plain) fallback ??= { decoded: { message, context } };
    } catch (error) {
      if (plain) fallback ??= { error };
    }
  }
  if (fallback?.decoded) return fallback.decoded;
  throw fallback!.error;
}

const join = (values: Array<string | number>) => values.join(",");
const address = (nlri: Nlri) => nlri.prefix.slice(0, nlri.prefix.indexOf("/"));
const length = (nlri: Nlri) => Number(nlri.prefix.slice(nlri.prefix.indexOf("/") + 1));

function prefixFields(fields: LayerObject, key: string, prefixes: Nlri[]): void {
  if (prefixes.length === 0) return;
  fields[key] = join(prefixes.map(address));
  fields[`${key}.length`] = join(prefixes.map(length));
  if (prefixes.some((nlri) => nlri.pathId !== 0)) fields[`${key}.path_id`] = join(prefixes.map((nlri) => nlri.pathId));
}

function messageFields(message: BgpMessage, bytes: Uint8Array): LayerObject {
  const fields: LayerObject = { layer: "bgp", "bgp.type": bytes[18], "bgp.length": bytes.length, message: MESSAGE_TYPE_NAMES[bytes[18]] };
  switch (message.type) {
    case "open": {
      fields["bgp.open.version"] = message.version;
      fields["bgp.open.myas"] = message.myAs;
      fields["bgp.open.holdtime"] = message.holdTime;
      fields["bgp.open.identifier"] = message.bgpId;
      const capabilities = capabilitiesOf(message);
      fields["bgp.cap.type"] = join(capabilities.map((capability) => capabilityCode(capability)));
      const fourOctet = capabilities.find((capability) => capability.kind === "4-octet-as");
      if (fourOctet?.kind === "4-octet-as") fields["bgp.cap.4as"] = fourOctet.asn;
      fields.capabilities = join(capabilities.map((capability) => CAPABILITY_NAMES[capabilityCode(capability)] ?? `capability-${capabilityCode(capability)}`));
      break;
    }
    case "update": {
      fields["bgp.update.withdrawn_routes.length"] = (bytes[19] << 8) | bytes[20];
      fields["bgp.update.path_attributes.length"] = (bytes[21 + fields["bgp.update.withdrawn_routes.length"]] << 8) | bytes[22 + fields["bgp.update.withdrawn_routes.length"]];
      prefixFields(fields, "bgp.withdrawn_prefix", message.withdrawn);
      if (message.attributes.length > 0) fields["bgp.update.path_attribute.type_code"] = join(message.attributes.map((attribute) => attribute.code));
      for (const attribute of message.attributes) {
        switch (attribute.kind) {
          case "origin":
            fields["bgp.update.path_attribute.origin"] = attribute.origin;
            break;
          case "as-path":
            fields["bgp.update.path_attribute.as_path"] = attribute.segments.map((segment) => segment.asns.join(" ")).join(" ");
            break;
          case "next-hop":
            fields["bgp.update.path_attribute.next_hop"] = attribute.nextHop;
            break;
          case "med":
            fields["bgp.update.path_attribute.multi_exit_disc"] = attribute.med;
            break;
          case "local-pref":
            fields["bgp.update.path_attribute.local_pref"] = attribute.localPref;
            break;
          case "communities":
            fields["bgp.update.path_attribute.community"] = join(attribute.communities.map(formatCommunity));
            break;
          case "originator-id":
            fields["bgp.update.path_attribute.originator_id"] = attribute.originatorId;
            break;
          case "cluster-list":
            fields["bgp.update.path_attribute.cluster_list"] = join(attribute.clusterIds);
            break;
          case "mp-reach":
            fields["bgp.update.path_attribute.mp_reach_nlri.afi"] = attribute.afi;
            fields["bgp.update.path_attribute.mp_reach_nlri.next_hop"] = join(attribute.nextHops);
            prefixFields(fields, attribute.afi === 2 ? "bgp.mp_reach_nlri_ipv6_prefix" : "bgp.mp_reach_nlri_ipv4_prefix", attribute.nlri);
            break;
          case "mp-unreach":
            fields["bgp.update.path_attribute.mp_unreach_nlri.afi"] = attribute.afi;
            prefixFields(fields, attribute.afi === 2 ? "bgp.mp_unreach_nlri_ipv6_prefix" : "bgp.mp_unreach_nlri_ipv4_prefix", attribute.withdrawn);
            break;
          default:
            break;
        }
      }
      prefixFields(fields, "bgp.nlri_prefix", message.nlri);
      if (message.problems.length > 0) fields.problems = message.problems.map((problem) => `${problem.reason} (${problem.action})`).join("; ");
      break;
    }
    case "notification":
      fields["bgp.notify.major_error"] = message.code;
      fields["bgp.notify.minor_error"] = message.subcode;
      fields.error = notificationName(message.code, message.subcode);
      if (message.data.length > 0) fields["bgp.notify.data"] = Buffer.from(message.data).toString("hex");
      break;
    case "route-refresh":
      fields["bgp.route_refresh.afi"] = message.afi;
      fields["bgp.route_refresh.subtype"] = message.subtype;
      fields["bgp.route_refresh.safi"] = message.safi;
      break;
    case "keepalive":
      break;
  }
  return fields;
}

/**
 * The BGP messages at the start of `payload`, one layer each, and how many bytes they took (a
 * message cut by the segment's end is left as payload). A malformed message ends the list with
 * an error naming the NOTIFICATION it would earn.
 */
export function bgpLayers(payload: Uint8Array): { layers: LayerObject[]; consumed: number; error?: { offset: number; reason: string } } {
  const layers: LayerObject[] = [];
  let at = 0;
  try {
    while (at < payload.length) {
      const length = messageLength(payload, at, { ...DEFAULT_CONTEXT, extendedMessage: true });
      if (length === 0 || at + length > payload.length) break;
      const bytes = payload.subarray(at, at + length);
      layers.push(messageFields(decodeCapturedMessage(bytes).message, bytes));
      at += length;
    }
  } catch (error) {
    if (!(error instanceof BgpMessageError)) throw error;
    return { layers, consumed: at, error: { offset: at + error.offset, reason: error.message } };
  }
  return { layers, consumed: at };
}
