// BGP-4 numbers from the RFCs and the IANA registries: message types (RFC 4271 §4.1, RFC 2918),
// path attribute type codes, capability codes, address families, NOTIFICATION codes and their
// subcodes (RFC 4271 §4.5, RFC 4486, RFC 6608, RFC 7313), and the well-known communities (RFC 1997).

export const BGP_PORT = 179;
export const HEADER_LENGTH = 19;
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: UPDATE, NOTIFICATION and ROUTE-REFRESH may be this long once both sides said so. */
export const EXTENDED_MAX_MESSAGE_LENGTH = 65535;
export const AS_TRANS = 23456;

export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;

export const MESSAGE_TYPE_NAMES: Record<number, string> = {
  1: "OPEN",
  2: "UPDATE",
  3: "NOTIFICATION",
  4: "KEEPALIVE",
  5: "ROUTE-REFRESH",
};

export const AttributeFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

export const AttributeCode = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  med: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  originatorId: 9,
  clusterList: 10,
  mpReach: 14,
  mpUnreach: 15,
  as4Path: 17,
  as4Aggregator: 18,
} as const;

export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  extendedMessage: 6,
  gracefulRestart: 64,
  fourOctetAs: 65,
  addPath: 69,
  enhancedRouteRefresh: 70,
} as const;

export const CAPABILITY_NAMES: Record<number, string> = {
  1: "multiprotocol",
  2: "route-refresh",
  5: "extended-nexthop",
  6: "extended-message",
  64: "graceful-restart",
  65: "4-octet-as",
  69: "add-path",
  70: "enhanced-route-refresh",
  71: "long-lived-graceful-restart",
  73: "hostname",
  128: "route-refresh-old",
};

export const Afi = { ipv4: 1, ipv6: 2 } as const;
export const Safi = { unicast: 1 } as const;

export const ORIGIN_NAMES = ["IGP", "EGP", "INCOMPLETE"] as const;

export const AsPathSegmentType = { set: 1, sequence: 2, confedSequence: 3, confedSet: 4 } as const;

export const WellKnownCommunity = {
  noExport: 0xffffff01,
  noAdvertise: 0xffffff02,
  noExportSubconfed: 0xffffff03,
} as const;

export const ERROR_CODE_NAMES: Record<number, string> = {
  1: "Message Header Error",
  2: "OPEN Message Error",
  3: "UPDATE Message Error",
  4: "Hold Timer Expired",
  5: "Finite State Machine Error",
  6: "Cease",
  7: "ROUTE-REFRESH Message Error",
};

export const ERROR_SUBCODE_NAMES: Record<number, Record<number, string>> = {
  1: { 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" },
  2: {
    1: "Unsupported Version Number",
    2: "Bad Peer AS",
    3: "Bad BGP Identifier",
    4: "Unsupported Optional Parameter",
    6: "Unacceptable Hold Time",
    7: "Unsupported Capability",
    11: "Role Mismatch",
  },
  3: {
    1: "Malformed Attribute List",
    2: "Unrecognized Well-known Attribute",
    3: "Missing Well-known Attribute",
    4: "Attribute Flags Error",
    5: "Attribute Length Error",
    6: "Invalid ORIGIN Attribute",
    8: "Invalid NEXT_HOP Attribute",
    9: "Optional Attribute Error",
    10: "Invalid Network Field",
    11: "Malformed AS_PATH",
  },
  5: {
    1: "Receive Unexpected Message in OpenSent State",
    2: "Receive Unexpected Message in OpenConfirm State",
    3: "Receive Unexpected Message in Established State",
  },
  6: {
    1: "Maximum Number of Prefixes Reached",
    2: "Administrative Shutdown",
    3: "Peer De-configured",
    4: "Administrative Reset",
    5: "Connection Rejected",
    6: "Other Configuration Change",
    7: "Connection Collision Resolution",
    8: "Out of Resources",
    9: "Hard Reset",
  },
  7: { 1: "Invalid Message Length" },
};

/** "Hold Timer Expired", "UPDATE Message Error / Malformed AS_PATH", or the numbers when unnamed. */
export function notificationName(code: number, subcode: number): string {
  const codeName = ERROR_CODE_NAMES[code] ?? `code ${code}`;
  if (subcode === 0) return codeName;
  const subcodeName = ERROR_SUBCODE_NAMES[code]?.[subcode] ?? `subcode ${subcode}`;
  return `${codeName} / ${subcodeName}`;
}
