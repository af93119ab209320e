// The Kernel over rtnetlink, in process (the default; `--kernel ip` or PODNET_KERNEL=ip runs
// iproute2 instead). Each change becomes one request built by the Wasm core; a call's changes go
// in as few datagrams as the kernel allows: a link that is created or deleted ends one, since the
// changes after it may name it by its new index, and each holds only as many as the kernel does
// in ~8 ms (it works through them inside the send, on this thread). Device names are looked up
// first, all of a datagram's in one exchange. Every refusal is worded as `ip` prints it and mapped
// to its change. Between datagrams the event loop gets a turn. Reads are dumps and lookups on the same sockets,
// given in iproute2's shapes (state.ts).

import { closeSync, openSync } from "node:fs";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  ADDRESS_RECORD_FIELDS, AddressField, IFF_UP, LINK_RECORD_FIELDS, LinkField, LinkKind, NEIGHBOUR_RECORD_FIELDS, NeighbourField, NeighbourState,
  NetlinkFamily, NetlinkType, NO_NAMESPACE_FD, NTF_SELF, RouteType,
} from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { core } from "../wasm/module";
import { ipv4ToNumber, macToWords } from "../shared/addresses";
import { commandLine, type KernelChange, type LinkChange } from "./changes";
import { iproute2Kernel, type Kernel, KernelError, type KernelFailure } from "./kernel";
import { linkLookup, type NetlinkLink, REQUESTS_PER_DATAGRAM, readRoute, requestFlags, type RequestBuilder, RouteNetlink, routeRequest, words, writeLinkName } from "./netlink";
import { fullPrefix, type LinkState, type RouteState, SCOPE_LINK } from "./state";

const MAIN_TABLE = 254;
/** rtm_scope values. */
const SCOPE_UNIVERSE = 0;
const SCOPE_HOST = 254;
/** A delete matches a route of any scope (as `ip route del`). */
const SCOPE_NOWHERE = 255;

/** ifi_flags bits and the names `ip` gives them. */
const FLAG_NAMES: Array<[number, string]> = [[0x1, "UP"], [0x2, "BROADCAST"], [0x8, "LOOPBACK"], [0x10, "POINTOPOINT"], [0x80, "NOARP"], [0x1000, "MULTICAST"], [0x10000, "LOWER_UP"]];
const KIND_NAMES: Partial<Record<LinkKind, string>> = { [LinkKind.Bridge]: "bridge", [LinkKind.Vxlan]: "vxlan", [LinkKind.Veth]: "veth", [LinkKind.Tun]: "tun" };

/** A link as iproute2's JSON shows it (the fields podnet reads). */
function linkState(link: NetlinkLink, master: string | undefined): LinkState {
  const state: LinkState = { ifname: link.name, address: link.mac ?? "", mtu: link.mtu, flags: FLAG_NAMES.filter(([bit]) => (link.flags & bit) !== 0).map(([, name]) => name) };
  if (master) state.master = master;
  const kind = KIND_NAMES[link.kind];
  if (kind) state.linkinfo = { info_kind: kind, ...(link.vxlan ? { info_data: link.vxlan } : {}) };
  return state;
}

/** A device a change names does not exist: `ip` says so before sending anything. */
class MissingDevice extends Error {
  constructor(readonly device: string) {
    super(`Cannot find device "${device}"`);
  }
}

/** The devices a change needs the index of (a link it creates has none yet). */
function devicesNamed(change: KernelChange): string[] {
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

const changesLinks = (change: KernelChange) => change.kind === "link" && (change.op === "add" || change.op === "delete");

type Resolve = (name: string) => number;

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

function requestFor(change: KernelChange, index: Resolve, openNamespace: (path: string) => number): RequestBuilder {
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
function lookUpDevices(socket: RouteNetlink, names: string[], into: Map<string, number>): void {
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
const EXCHANGE_BUDGET_MILLISECONDS = 8;
const MIN_REQUESTS_PER_DATAGRAM = 16;

/** rtnetlink sockets: this process's namespace's kept open, others opened for one call. */
export class NetlinkKernel implements Kernel {
  private own: RouteNetlink | undefined;
  /** Requests in the next datagram, learned from the time the last full ones took (learnPace). */
  private requestsPerDatagram = 256;

  /** Sizes the next datagram so its exchange takes about EXCHANGE_BUDGET_MILLISECONDS. */
  private learnPace(requests: number, milliseconds: number): void {
    // Only a datagram as large as the pace allowed says what a full one costs.
    if (requests < this.requestsPerDatagram && milliseconds < EXCHANGE_BUDGET_MILLISECONDS) return;
    const fitting = Math.floor((requests * EXCHANGE_BUDGET_MILLISECONDS) / Math.max(milliseconds, 0.1));
    this.requestsPerDatagram = Math.min(REQUESTS_PER_DATAGRAM, Math.max(MIN_REQUESTS_PER_DATAGRAM, fitting));
  }

  async apply(changes: KernelChange[], netns?: string): Promise<KernelFailure[]> {
    if (changes.length === 0) return [];
    let socket: RouteNetlink;
    try {
      socket = netns ? new RouteNetlink(netns) : (this.own ??= new RouteNetlink());
    } catch (error) {
      // As `ip -n`: nothing is tried in a namespace that cannot be entered.
      const message = `Cannot open network namespace "${netns}": ${(error as Error).message}`;
      return changes.map((change, index) => ({ index, command: commandLine(change), message }));
    }
    try {
      return await this.applyIn(socket, changes);
    } finally {
      if (netns) socket.close();
    }
  }

  private async applyIn(socket: RouteNetlink, changes: KernelChange[]): Promise<KernelFailure[]> {
    const failures: KernelFailure[] = [];
    const fail = (index: number, message: string) => failures.push({ index, command: commandLine(changes[index]), message });
    const devices = new Map<string, number>();
    for (let from = 0; from < changes.length; ) {
      let to = from;
      while (to < changes.length && to - from < this.requestsPerDatagram && !changesLinks(changes[to++]));
      const unknown = [...new Set(changes.slice(from, to).flatMap(devicesNamed))].filter((name) => !devices.has(name));
      if (unknown.length > 0) lookUpDevices(socket, unknown, devices);
      const index: Resolve = (name) => {
        const found = devices.get(name);
        if (found === undefined) throw new MissingDevice(name);
        return found;
      };
      const namespaceFds: number[] = [];
      const openNamespace = (path: string) => {
        try {
          namespaceFds.push(openSync(path, "r"));
        } catch {
          throw new Error(`Error: argument "${path}" is wrong: Invalid "netns" value`);
        }
        return namespaceFds[namespaceFds.length - 1];
      };
      const requests: RequestBuilder[] = [];
      const positions: number[] = [];
      for (let position = from; position < to; position++) {
        try {
          requests.push(requestFor(changes[position], index, openNamespace));
          positions.push(position);
        } catch (error) {
          fail(position, (error as Error).message);
        }
      }
      try {
        const started = performance.now();
        const refusals = socket.exchange(requests);
        this.learnPace(requests.length, performance.now() - started);
        refusals.forEach((refusal, k) => refusal && fail(positions[k], refusal.text));
      } finally {
        for (const fd of namespaceFds) closeSync(fd);
      }
      // A link made or removed: indexes looked up before may be stale, new names now exist.
      if (changesLinks(changes[to - 1])) devices.clear();
      from = to;
      if (from < changes.length) await yieldToLoop();
    }
    return failures.sort((a, b) => a.index - b.index);
  }

  async link(name: string, netns?: string): Promise<LinkState | undefined> {
    return this.withSocket(netns, (socket) => {
      const link = socket.findLink({ name });
      if (!link) return undefined;
      const master = link.master === undefined ? undefined : socket.findLink({ index: link.master })?.name;
      const addresses = socket.dumpAddresses().filter((entry) => entry.index === link.index);
      return {
        ...linkState(link, master),
        addr_info: addresses.map((entry) => ({ family: "inet", local: entry.address.split("/")[0], prefixlen: Number(entry.address.split("/")[1]) })),
      };
    });
  }

  async links(kind?: string): Promise<LinkState[]> {
    return this.withSocket(undefined, (socket) => {
      const links = socket.dumpLinks();
      const names = new Map(links.map((link) => [link.index, link.name]));
      return links.map((link) => linkState(link, link.master === undefined ? undefined : names.get(link.master))).filter((link) => kind === undefined || link.linkinfo?.info_kind === kind);
    });
  }

  async routes(netns?: string): Promise<RouteState[]> {
    return this.withSocket(netns, (socket) => {
      const names = new Map(socket.dumpLinks().map((link) => [link.index, link.name]));
      return socket.dumpRoutes().filter((route) => route.table === MAIN_TABLE).map((route) => ({
        dst: route.destination, gateway: route.gateway, dev: route.device === undefined ? undefined : names.get(route.device), scope: route.scope, protocol: route.protocol, type: route.type,
      }));
    });
  }

  async routeTo(address: string): Promise<{ gateway?: string; dev?: string } | undefined> {
    return this.withSocket(undefined, (socket) => {
      let answer: { gateway?: string; device?: number } | undefined;
      const ask = routeRequest({ destination: `${address}/32`, table: 0, protocol: 0, scope: 0, type: 0 as RouteType, onlink: false }, "get");
      socket.exchange([ask], (_, reply) => {
        if (reply.type !== NetlinkType.NewRoute || core().netlinkParseRoute(reply.at, reply.length) !== Status.Ok) return;
        const route = readRoute();
        answer = { gateway: route.gateway, device: route.device };
      });
      if (!answer) return undefined;
      return { gateway: answer.gateway, dev: answer.device === undefined ? undefined : socket.findLink({ index: answer.device })?.name };
    });
  }

  async permanentNeighbours(device: string): Promise<Array<{ dst: string }>> {
    return this.withSocket(undefined, (socket) => {
      const link = socket.findLink({ name: device });
      if (!link) throw new KernelError([{ index: 0, command: `neigh show dev ${device}`, message: `Cannot find device "${device}"` }]);
      return socket.dumpNeighbours(NetlinkFamily.Inet)
        .filter((entry) => entry.index === link.index && (entry.state & NeighbourState.Permanent) !== 0 && entry.destination)
        .map((entry) => ({ dst: entry.destination! }));
    });
  }

  async fdb(device: string): Promise<Array<{ mac: string; dst?: string }>> {
    return this.withSocket(undefined, (socket) => {
      const link = socket.findLink({ name: device });
      if (!link) throw new KernelError([{ index: 0, command: `fdb show dev ${device}`, message: `Cannot find device "${device}"` }]);
      return socket.dumpNeighbours(NetlinkFamily.Bridge)
        .filter((entry) => entry.index === link.index && entry.mac)
        .map((entry) => (entry.destination ? { mac: entry.mac!, dst: entry.destination } : { mac: entry.mac! }));
    });
  }

  /** Runs `work` on this namespace's socket, or on one opened in `netns` for the call. */
  private withSocket<T>(netns: string | undefined, work: (socket: RouteNetlink) => T): T {
    const socket = netns ? new RouteNetlink(netns) : (this.own ??= new RouteNetlink());
    try {
      return work(socket);
    } finally {
      if (netns) socket.close();
    }
  }

  writeSysctl = iproute2Kernel.writeSysctl;
  linkExists = iproute2Kernel.linkExists;
}
