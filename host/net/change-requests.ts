// podnet's kernel changes (changes.ts) as rtnetlink requests built by the Wasm core: routes,
// addresses, neighbours and FDB entries, links (bridge, VXLAN, veth with its peer in another
// namespace; master, hairpin, up, MTU), with the device names looked up first.

import {
  ADDRESS_RECORD_FIELDS, AddressField, IFF_UP, LINK_RECORD_FIELDS, LinkField, LinkKind, NEIGHBOUR_RECORD_FIELDS, NeighbourField, NeighbourState,
  NetlinkFamily, NetlinkType, NO_NAMESPACE_FD, NTF_SELF, RouteType,
} from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { core } from "../wasm/module";
import { ipv4ToNumber, macToWords } from "../shared/addresses";
import { type KernelChange, type LinkChange } from "./changes";
import { linkLookup, type RequestBuilder, RouteNetlink, words, writeLinkName } from "./netlink";
import { requestFlags, routeRequest } from "./netlink-requests";
import { fullPrefix, SCOPE_LINK } from "./state";

export const MAIN_TABLE = 254;
/** rtm_scope values. */
const SCOPE_UNIVERSE = 0;
const SCOPE_HOST = 254;
/** A delete matches a route of any scope (as `ip route del`). */
const SCOPE_NOWHERE = 255;

/** A device a change names does not exist: `ip` says so before sending anything. */
export class MissingDevice extends Error {
  constructor(readonly device: string) {
    super(`Cannot find device "${device}"`);
  }
}

/** The devices a change needs the index of (a link it creates has none yet). */
export function devicesNamed(change: KernelChange): string[] {
  switch (change.kind) {
    case "route":
      return change.device ? [change.device] : [];
    case "neighbour":
    case "address":
    case "fdb":
      return [change.device];
    case "link":
      if (change.op === "add") return change.type === "vxlan" ? [change.device] : [];
      return change.op === "set" && change.master ? [change.name, change.master] : [change.name];
  }
}

export const changesLinks = (change: KernelChange) => change.kind === "link" && (change.op === "add" || change.op === "delete");

export type Resolve = (name: string) => number;

function routeBuilder(change: Extract<KernelChange, { kind: "route" }>, index: Resolve): RequestBuilder {
  const remove = change.op === "delete";
  // `ip route` defaults: a new route is unicast, protocol boot, and scope link when it has no
  // gateway; a delete names only what it was given and matches any scope.
  const scope = remove ? SCOPE_NOWHERE : change.scope === "link" || (!change.via && !change.blackhole) ? SCOPE_LINK : SCOPE_UNIVERSE;
  return routeRequest(
    {
      destination: fullPrefix(change.destination),
      table: MAIN_TABLE,
      protocol: change.protocol ?? (remove ? 0 : 3),
      scope,
      type: remove ? (0 as RouteType) : change.blackhole ? RouteType.Blackhole : RouteType.Unicast,
      gateway: change.via,
      device: change.device ? index(change.device) : undefined,
      onlink: change.onlink ?? false,
    },
    change.op,
  );
}

function addressBuilder(change: Extract<KernelChange, { kind: "address" }>, index: Resolve): RequestBuilder {
  const [address, prefixLength] = change.address.split("/");
  const local = ipv4ToNumber(address);
  const length = Number(prefixLength);
  const device = index(change.device);
  return (at, capacity, sequence) => {
    const record = words(core().netlinkAddressRecord(), ADDRESS_RECORD_FIELDS);
    record.fill(0);
    record[AddressField.PrefixLength] = length;
    record[AddressField.Local] = local;
    record[AddressField.Index] = device;
    // As `ip address add`: 127/8 is host scope, anything else universe.
    record[AddressField.Scope] = local >>> 24 === 127 ? SCOPE_HOST : SCOPE_UNIVERSE;
    return core().netlinkAddressMessage(at, capacity, NetlinkType.NewAddress, requestFlags(change.op), sequence);
  };
}

function neighbourBuilder(change: Extract<KernelChange, { kind: "neighbour" | "fdb" }>, index: Resolve): RequestBuilder {
  const device = index(change.device);
  const destination = change.kind === "neighbour" ? change.address : change.destination;
  const mac = change.mac ? macToWords(change.mac) : undefined;
  const fdb = change.kind === "fdb";
  return (at, capacity, sequence) => {
    const record = words(core().netlinkNeighbourRecord(), NEIGHBOUR_RECORD_FIELDS);
    record.fill(0);
    // A neighbour as `ip neigh … nud permanent`; an FDB entry as `bridge fdb` (self, permanent).
    record[NeighbourField.Family] = fdb ? NetlinkFamily.Bridge : NetlinkFamily.Inet;
    record[NeighbourField.Index] = device;
    record[NeighbourField.State] = fdb ? NeighbourState.NoArp | NeighbourState.Permanent : NeighbourState.Permanent;
    record[NeighbourField.Flags] = fdb ? NTF_SELF : 0;
    if (destination) {
      record[NeighbourField.HasDestination] = 1;
      record[NeighbourField.Destination] = ipv4ToNumber(destination);
    }
    if (mac) {
      record[NeighbourField.HasMac] = 1;
      [record[NeighbourField.MacHigh], record[NeighbourField.MacLow]] = mac;
    }
    const type = change.op === "delete" ? NetlinkType.DeleteNeighbour : NetlinkType.NewNeighbour;
    return core().netlinkNeighbourMessage(at, capacity, type, requestFlags(change.op), sequence);
  };
}

/** `ip link set DEV master M` words a missing M its own way. */
function masterIndex(master: string, index: Resolve): number {
  try {
    return index(master);
  } catch {
    throw new Error(`Error: argument "${master}" is wrong: Device does not exist`);
  }
}

/** A veth's other end goes to a namespace given as a path: the request carries an fd of it, open until sent. */
function linkBuilder(change: LinkChange, index: Resolve, openNamespace: (path: string) => number): RequestBuilder {
  // Looked up now, so a missing device fails this change alone.
  const device = change.op === "add" ? 0 : index(change.name);
  const master = change.op === "set" && change.master ? masterIndex(change.master, index) : 0;
  const underlay = change.op === "add" && change.type === "vxlan" ? index(change.device) : 0;
  const namespace = change.op === "add" && change.type === "veth" ? openNamespace(change.peer.netns) : NO_NAMESPACE_FD;
  const fill = (record: Uint32Array) => {
    record.fill(0);
    record[LinkField.Index] = device;
    record[LinkField.PeerNamespaceFd] = namespace;
    if (change.op === "delete") return;
    if (change.op === "set") {
      if (change.up !== undefined) {
        record[LinkField.Flags] = change.up ? IFF_UP : 0;
        record[LinkField.Change] = IFF_UP;
      }
      if (change.mtu) record[LinkField.Mtu] = change.mtu;
      record[LinkField.Master] = master;
      if (change.hairpin !== undefined) record[LinkField.Hairpin] = change.hairpin ? 2 : 1;
      return;
    }
    writeLinkName(record, change.name);
    if (change.type === "vxlan") {
      record[LinkField.Kind] = LinkKind.Vxlan;
      record[LinkField.VxlanId] = change.vni;
      record[LinkField.VxlanLocal] = ipv4ToNumber(change.local);
      record[LinkField.VxlanLink] = underlay;
      record[LinkField.VxlanPort] = change.port;
      if (change.mac) {
        record[LinkField.HasMac] = 1;
        [record[LinkField.MacHigh], record[LinkField.MacLow]] = macToWords(change.mac);
      }
      return;
    }
    record[LinkField.HasMac] = 1;
    [record[LinkField.MacHigh], record[LinkField.MacLow]] = macToWords(change.mac);
    if (change.type === "bridge") {
      record[LinkField.Kind] = LinkKind.Bridge;
      return;
    }
    record[LinkField.Kind] = LinkKind.Veth;
    record[LinkField.Mtu] = change.mtu;
    writeLinkName(record, change.peer.name, LinkField.PeerNameOffset);
    record[LinkField.PeerHasMac] = 1;
    [record[LinkField.PeerMacHigh], record[LinkField.PeerMacLow]] = macToWords(change.peer.mac);
    record[LinkField.PeerMtu] = change.mtu;
  };
  return (at, capacity, sequence) => {
    fill(words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS));
    const type = change.op === "delete" ? NetlinkType.DeleteLink : NetlinkType.NewLink;
    return core().netlinkLinkMessage(at, capacity, type, requestFlags(change.op === "add" ? "add" : "set"), sequence);
  };
}

export function requestFor(change: KernelChange, index: Resolve, openNamespace: (path: string) => number): RequestBuilder {
  switch (change.kind) {
    case "route":
      return routeBuilder(change, index);
    case "address":
      return addressBuilder(change, index);
    case "neighbour":
    case "fdb":
      return neighbourBuilder(change, index);
    case "link":
      return linkBuilder(change, index, openNamespace);
  }
}

/** The indexes of `names` in the socket's namespace (one RTM_GETLINK each, one exchange); absent names are left out. */
export function lookUpDevices(socket: RouteNetlink, names: string[], into: Map<string, number>): void {
  socket.exchange(names.map((name) => linkLookup({ name })), (position, reply) => {
    if (reply.type !== NetlinkType.NewLink || core().netlinkParseLink(reply.at, reply.length) !== Status.Ok) return;
    into.set(names[position], words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS)[LinkField.Index]);
  });
}

/**
 * How long one exchange may hold the event loop: the kernel carries out a datagram's requests
 * inside the send, in this thread, so a datagram of 1,000 routes each with its own next hop is
 * ~120 ms of loop time. The datagram size follows what the last ones cost.
 */
