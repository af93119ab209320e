// What a speaker and each of its peers are configured with: the inputs of `podnet bgp serve` and of
// the agent's Calico mode. Defaults follow BIRD's (hold 240 s, keepalive a third of it) and
// Calico's template (connect retry 5 s, error wait 5 s doubling to 30 s, graceful restart 120 s).

const DEFAULT_HOLD_TIME = 240;
const DEFAULT_CONNECT_RETRY = 5;
export const ERROR_WAIT_MAXIMUM = 30;
/** RFC 4271 §8: the large hold time used while waiting for the peer's OPEN. */
export const OPEN_HOLD_TIME = 240;

/** RFC 8212: what to import from / export to a peer; eBGP peers get "none" unless told otherwise. */
export type PolicyChoice = "all" | "none";

export interface PeerConfig {
  address: string;
  port: number;
  remoteAs: number;
  /** Never dial; wait for the peer. */
  passive: boolean;
  /** RFC 2385 TCP MD5 key. */
  password?: string;
  /** RFC 4456: this peer is a client of ours (we reflect to and from it). */
  routeReflectorClient: boolean;
  /** Proposed hold time in seconds: 0, or 3 and more. */
  holdTime: number;
  /** eBGP over more than one hop (TTL 255 instead of 1). */
  multihop: boolean;
  /** RFC 5082 GTSM: send with TTL 255, accept only TTL ≥ 254. */
  ttlSecurity: boolean;
  connectRetry: number;
  /** Explicit policy; undefined: "all" for iBGP, "none" for eBGP (RFC 8212). */
  importPolicy?: PolicyChoice;
  exportPolicy?: PolicyChoice;
  /** Source address for the outgoing connection. */
  localAddress?: string;
  /** RFC 4724 restart time announced to this peer, instead of the speaker's (Calico's BGPPeer maxRestartTime). */
  gracefulRestartTime?: number;
}

export interface SpeakerConfig {
  localAs: number;
  routerId: string;
  /** Where to accept connections; undefined: do not listen. */
  listen?: { address: string; port: number };
  /** RFC 4456 cluster ID; defaults to the router ID when there are route-reflector clients. */
  clusterId?: string;
  /** RFC 4724 restart time we announce; undefined: no graceful restart capability. */
  gracefulRestartTime?: number;
  /** Set the Restart State bit: this speaker restarted and kept its forwarding state. */
  restarting?: boolean;
}

/** A peer config with every default filled in. */
export function peerDefaults(address: string, remoteAs: number, overrides: Partial<PeerConfig> = {}): PeerConfig {
  return {
    address,
    port: 179,
    remoteAs,
    passive: false,
    routeReflectorClient: false,
    holdTime: DEFAULT_HOLD_TIME,
    multihop: false,
    ttlSecurity: false,
    connectRetry: DEFAULT_CONNECT_RETRY,
    ...overrides,
  };
}
