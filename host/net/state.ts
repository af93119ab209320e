// Kernel state as podnet reads it, the same whichever Kernel reads it (rtnetlink dumps or
// `ip -json`): links in iproute2's JSON shape (the fields podnet uses), routes with numbers
// where `ip` prints names, and every destination as a prefix with its length.

/** A link as `ip -details -json address show` gives it (the fields podnet reads). */
export interface LinkState {
  ifname: string;
  address: string;
  mtu: number;
  /** "UP", "LOWER_UP", "BROADCAST", … */
  flags: string[];
  /** The master's name (a bridge port's bridge). */
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string } };
  /** IPv4 addresses (with link reads only). */
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

/** A route of the main table. */
export interface RouteState {
  /** "a.b.c.d/len", "0.0.0.0/0" for the default route. */
  dst: string;
  gateway?: string;
  dev?: string;
  /** rtm_scope: 0 universe, 253 link, 254 host. */
  scope: number;
  /** rtm_protocol: 2 kernel, 3 boot, 4 static, 107 podnet. */
  protocol: number;
  /** rtm_type: 1 unicast, 6 blackhole, … */
  type: number;
}

export const SCOPE_LINK = 253;

/** A prefix as `ip` prints a destination ("default", or a host without /32) written in full. */
export const fullPrefix = (destination: string) => (destination === "default" ? "0.0.0.0/0" : destination.includes("/") ? destination : `${destination}/32`);
