// The OPEN we send, and what the peer's OPEN leaves agreed (RFC 4271 §6.2, RFC 5492, RFC 6793,
// RFC 7911, RFC 8654, RFC 4724). A peer OPEN we cannot accept throws the NOTIFICATION to send.

import { Afi, AS_TRANS, Safi } from "./constants";
import { BgpMessageError } from "./codec/error";
import { capabilitiesOf, type Capability, type OpenMessage } from "./codec/open";
import type { PeerConfig, SpeakerConfig } from "./config";

const OFFERED_FAMILIES = [
  { afi: Afi.ipv4, safi: Safi.unicast },
  { afi: Afi.ipv6, safi: Safi.unicast },
];
/** ADD-PATH: we receive several paths per prefix, and send one (our best). */
const ADD_PATH_RECEIVE = 1;
const ADD_PATH_SEND = 2;
/** Graceful restart flag bits: Restart State (R) in the header, Forwarding State (F) per family. */
const RESTART_STATE = 0x8;
const FORWARDING_STATE = 0x80;

export interface Negotiated {
  peerAs: number;
  peerId: string;
  holdTime: number;
  keepaliveTime: number;
  fourOctetAs: boolean;
  extendedMessage: boolean;
  routeRefresh: boolean;
  /** "afi/safi" both sides carry. */
  families: Set<string>;
  addPathReceive: Set<number>;
  addPathSend: Set<number>;
  /** The peer's graceful restart capability, if it sent one. */
  gracefulRestart?: { restarting: boolean; restartTime: number; forwarding: Set<string> };
  /** Capability names both sides offered, for display. */
  capabilities: string[];
}

export function familyKey(afi: number, safi: number): string {
  return `${afi}/${safi}`;
}

/** The OPEN this speaker sends to `peer`. */
export function ourOpen(speaker: SpeakerConfig, peer: PeerConfig): OpenMessage {
  const capabilities: Capability[] = [
    ...OFFERED_FAMILIES.map((family) => ({ kind: "multiprotocol" as const, ...family })),
    { kind: "route-refresh" },
    { kind: "extended-message" },
    { kind: "4-octet-as", asn: speaker.localAs },
    { kind: "add-path", families: OFFERED_FAMILIES.map((family) => ({ ...family, sendReceive: ADD_PATH_RECEIVE })) },
  ];
  const restartTime = peer.gracefulRestartTime ?? speaker.gracefulRestartTime;
  if (restartTime !== undefined) {
    capabilities.push({
      kind: "graceful-restart",
      flags: speaker.restarting ? RESTART_STATE : 0,
      restartTime: Math.min(restartTime, 4095),
      // The forwarding state we keep across a restart is the IPv4 routes the agent programmed.
      families: [{ afi: Afi.ipv4, safi: Safi.unicast, flags: speaker.restarting ? FORWARDING_STATE : 0 }],
    });
  }
  return {
    type: "open",
    version: 4,
    myAs: speaker.localAs > 0xffff ? AS_TRANS : speaker.localAs,
    holdTime: peer.holdTime,
    bgpId: speaker.routerId,
    parameters: [{ type: 2, capabilities }],
    extendedParameters: false,
  };
}

/** Checks the peer's OPEN against ours and the config; returns what both agreed on. */
export function negotiate(ours: OpenMessage, theirs: OpenMessage, speaker: SpeakerConfig, peer: PeerConfig): Negotiated {
  if (theirs.version !== 4) throw new BgpMessageError(2, 1, `version ${theirs.version}`, 19, Uint8Array.of(0, 4));
  if (theirs.holdTime === 1 || theirs.holdTime === 2) throw new BgpMessageError(2, 6, `hold time ${theirs.holdTime}`, 22);
  const theirCapabilities = capabilitiesOf(theirs);
  const fourOctet = theirCapabilities.find((capability) => capability.kind === "4-octet-as");
  const peerAs = fourOctet?.kind === "4-octet-as" ? fourOctet.asn : theirs.myAs;
  if (peerAs !== peer.remoteAs) {
    throw new BgpMessageError(2, 2, `peer AS ${peerAs}, expected ${peer.remoteAs}`, 20, Uint8Array.of(theirs.myAs >> 8, theirs.myAs & 0xff));
  }
  const internal = peerAs === speaker.localAs;
  // RFC 6286: any non-zero identifier, unique within the AS.
  if (theirs.bgpId === "0.0.0.0" || (internal && theirs.bgpId === speaker.routerId)) {
    throw new BgpMessageError(2, 3, `BGP identifier ${theirs.bgpId}`, 24);
  }
  const ourCapabilities = capabilitiesOf(ours);
  const familiesOf = (capabilities: Capability[]) => {
    const multiprotocol = capabilities.flatMap((capability) => (capability.kind === "multiprotocol" ? [familyKey(capability.afi, capability.safi)] : []));
    // RFC 4760 §8: a peer without the capability carries IPv4 unicast only.
    return new Set(multiprotocol.length > 0 ? multiprotocol : [familyKey(Afi.ipv4, Safi.unicast)]);
  };
  const ourFamilies = familiesOf(ourCapabilities);
  const families = new Set([...familiesOf(theirCapabilities)].filter((family) => ourFamilies.has(family)));
  if (families.size === 0) {
    const data = new Uint8Array([1, 4, 0, Afi.ipv4, 0, Safi.unicast]);
    throw new BgpMessageError(2, 7, "no address family in common", 29, data);
  }
  const has = (list: Capability[], kind: Capability["kind"]) => list.some((capability) => capability.kind === kind);
  const addPathOf = (list: Capability[]) => list.flatMap((capability) => (capability.kind === "add-path" ? capability.families : []));
  const ourAddPath = addPathOf(ourCapabilities);
  const theirAddPath = addPathOf(theirCapabilities);
  const addPath = (ourBit: number, theirBit: number) =>
    new Set(
      ourAddPath
        .filter((mine) => mine.sendReceive & ourBit)
        .filter((mine) => theirAddPath.some((their) => their.afi === mine.afi && their.safi === mine.safi && their.sendReceive & theirBit))
        .map((mine) => mine.afi),
    );
  const holdTime = Math.min(ours.holdTime, theirs.holdTime);
  const gracefulRestart = theirCapabilities.find((capability) => capability.kind === "graceful-restart");
  const shared = theirCapabilities
    .filter((capability) => capability.kind !== "unknown" && has(ourCapabilities, capability.kind))
    .map((capability) => capability.kind);
  return {
    peerAs,
    peerId: theirs.bgpId,
    holdTime,
    keepaliveTime: Math.floor(holdTime / 3),
    fourOctetAs: has(ourCapabilities, "4-octet-as") && fourOctet !== undefined,
    extendedMessage: has(ourCapabilities, "extended-message") && has(theirCapabilities, "extended-message"),
    routeRefresh: has(theirCapabilities, "route-refresh"),
    families,
    addPathReceive: addPath(ADD_PATH_RECEIVE, ADD_PATH_SEND),
    addPathSend: addPath(ADD_PATH_SEND, ADD_PATH_RECEIVE),
    gracefulRestart:
      gracefulRestart?.kind === "graceful-restart"
        ? {
            restarting: (gracefulRestart.flags & RESTART_STATE) !== 0,
            restartTime: gracefulRestart.restartTime,
            forwarding: new Set(gracefulRestart.families.filter((family) => family.flags & FORWARDING_STATE).map((family) => familyKey(family.afi, family.safi))),
          }
        : undefined,
    capabilities: [...new Set(shared)],
  };
}
