// rtnetlink in process: the Wasm core builds and parses the messages (assembly/netlink/), the addon
// owns the NETLINK_ROUTE socket (one per network namespace). A batch of requests goes as one
// datagram, their acknowledgements come back in one read, each error mapped to its request; dumps
// read every part of a multipart answer. Here: the socket, exchanges, dumps, link lookups;
// netlink-requests.ts builds route requests, netlink-kernel.ts turns podnet's changes into them.

import {
  ADDRESS_RECORD_FIELDS, AddressField, LINK_RECORD_FIELDS, LinkField, LinkKind, MESSAGE_RECORD_FIELDS, MessageField, NEIGHBOUR_RECORD_FIELDS, NeighbourField, NetlinkFamily,
  NetlinkFlag, NetlinkType, NO_NAMESPACE_FD, ROUTE_RECORD_FIELDS, RouteField, RouteType, RTNH_F_ONLINK,
} from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { addon } from "../native/addon";
import { core, WasmLoadError } from "../wasm/module";
import { ipv4ToNumber, numberToIpv4, wordsToMac } from "../shared/addresses";
import { refusalText } from "./errno-text";

/** A route as the kernel holds it (IPv4). */
export interface NetlinkRoute {
  /** "a.b.c.d/len". */
  destination: string;
  table: number;
  protocol: number;
  scope: number;
  type: RouteType;
  gateway?: string;
  /** Output interface index. */
  device?: number;
  priority?: number;
  onlink: boolean;
  preferredSource?: string;
}


/** A link as a RTM_GETLINK dump gives it (the fields podnet reads). */
export interface NetlinkLink {
  index: number;
  name: string;
  /** ifi_flags (IFF_UP = 1, …). */
  flags: number;
  mtu: number;
  /** The master's index (a bridge port's bridge). */
  master?: number;
  mac?: string;
  kind: LinkKind;
  /** A VXLAN device's VNI, local address and UDP port. */
  vxlan?: { id: number; local: string; port: number };
}

/** An IPv4 address as a RTM_GETADDR dump gives it. */
interface NetlinkAddress {
  index: number;
  /** "a.b.c.d/len". */
  address: string;
  scope: number;
}

/** A neighbour (family Inet) or FDB entry (family Bridge) as a RTM_GETNEIGH dump gives it. */
interface NetlinkNeighbour {
  family: NetlinkFamily;
  index: number;
  destination?: string;
  mac?: string;
  state: number;
  flags: number;
}

const ENODEV = 19;
let nameArea = 0;
/** Writes `name` into the core's memory and points the link record's name fields at it. */
export function writeLinkName(record: Uint32Array, name: string, field: LinkField.NameOffset | LinkField.PeerNameOffset = LinkField.NameOffset): void {
  if (nameArea === 0) {
    nameArea = core().allocate(64);
    if (nameArea === 0) throw new WasmLoadError(`podnet.wasm refused a 64-byte buffer (Status ${Status[Status.OutOfMemory]})`);
  }
  const bytes = new TextEncoder().encode(name).subarray(0, 31);
  const at = nameArea + (field === LinkField.NameOffset ? 0 : 32);
  new Uint8Array(core().memory.buffer, at, 32).set(bytes);
  record[field] = at;
  record[field + 1] = bytes.length;
}

/** The link the core's link record holds (after a parse). */
export function readLinkRecord(): NetlinkLink {
  const record = words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS);
  const name = textDecoder.decode(new Uint8Array(core().memory.buffer, record[LinkField.NameOffset], record[LinkField.NameLength]));
  const link: NetlinkLink = { index: record[LinkField.Index], name, flags: record[LinkField.Flags], mtu: record[LinkField.Mtu], kind: record[LinkField.Kind] as LinkKind };
  if (record[LinkField.Master]) link.master = record[LinkField.Master];
  if (record[LinkField.HasMac]) link.mac = wordsToMac(record[LinkField.MacHigh], record[LinkField.MacLow]);
  if (link.kind === LinkKind.Vxlan) link.vxlan = { id: record[LinkField.VxlanId], local: numberToIpv4(record[LinkField.VxlanLocal]), port: record[LinkField.VxlanPort] };
  return link;
}


/** The kernel's answer to one request of a batch that it refused. */
interface Refusal {
  errno: number;
  /** As `ip` prints it: "RTNETLINK answers: File exists", or "Error: <the kernel's extended ACK>.". */
  text: string;
}

/** Builds one request at `at` (capacity bytes) with `sequence`; returns its length or -Status. */
export type RequestBuilder = (at: number, capacity: number, sequence: number) => number;

const BUFFER_BYTES = 256 * 1024;
const REPLY_TIMEOUT_MILLISECONDS = 5000;
/** Requests per datagram: their acknowledgements must fit the socket's receive buffer (4 MiB). */
export const REQUESTS_PER_DATAGRAM = 1000;

let buffer = 0;
/** The core's buffer for building requests and receiving replies (one, reused). */
function netlinkBuffer(): number {
  if (buffer === 0) {
    buffer = core().allocate(BUFFER_BYTES);
    if (buffer === 0) throw new WasmLoadError(`podnet.wasm refused a ${BUFFER_BYTES}-byte buffer (Status ${Status[Status.OutOfMemory]})`);
  }
  return buffer;
}

export const words = (address: number, count: number) => new Uint32Array(core().memory.buffer, address, count);

export function writeRoute(route: NetlinkRoute): void {
  const [address, length] = route.destination.split("/");
  const record = words(core().netlinkRouteRecord(), ROUTE_RECORD_FIELDS);
  record.fill(0);
  record[RouteField.Family] = 2;
  record[RouteField.DestinationLength] = Number(length);
  record[RouteField.Destination] = ipv4ToNumber(address);
  record[RouteField.Table] = route.table;
  record[RouteField.Protocol] = route.protocol;
  record[RouteField.Scope] = route.scope;
  record[RouteField.Type] = route.type;
  record[RouteField.Flags] = route.onlink ? RTNH_F_ONLINK : 0;
  if (route.gateway !== undefined) {
    record[RouteField.HasGateway] = 1;
    record[RouteField.Gateway] = ipv4ToNumber(route.gateway);
  }
  record[RouteField.OutputInterface] = route.device ?? 0;
  if (route.priority !== undefined) {
    record[RouteField.HasPriority] = 1;
    record[RouteField.Priority] = route.priority;
  }
  record[RouteField.PreferredSource] = route.preferredSource ? ipv4ToNumber(route.preferredSource) : 0;
}

export function readRoute(): NetlinkRoute {
  const record = words(core().netlinkRouteRecord(), ROUTE_RECORD_FIELDS);
  const route: NetlinkRoute = {
    destination: `${numberToIpv4(record[RouteField.Destination])}/${record[RouteField.DestinationLength]}`,
    table: record[RouteField.Table], protocol: record[RouteField.Protocol], scope: record[RouteField.Scope],
    type: record[RouteField.Type] as RouteType, onlink: (record[RouteField.Flags] & RTNH_F_ONLINK) !== 0,
  };
  if (record[RouteField.HasGateway]) route.gateway = numberToIpv4(record[RouteField.Gateway]);
  if (record[RouteField.OutputInterface]) route.device = record[RouteField.OutputInterface];
  if (record[RouteField.HasPriority]) route.priority = record[RouteField.Priority];
  if (record[RouteField.PreferredSource]) route.preferredSource = numberToIpv4(record[RouteField.PreferredSource]);
  return route;
}

/** One message of a reply, as readMessage left it. */
interface Reply {
  type: number;
  flags: number;
  sequence: number;
  errno: number;
  errorSequence: number;
  /** The kernel's extended ACK text ("" when none). */
  errorText: string;
  /** Where the message is in the core's memory, and its length. */
  at: number;
  length: number;
}

const textDecoder = new TextDecoder();

/** A NETLINK_ROUTE socket in one network namespace. */
export class RouteNetlink {
  private readonly fd: number;
  private sequence = 1;

  /**
   * `namespacePath`: /var/run/netns/NAME or /proc/PID/ns/net; this process's own when absent.
   * `groups`: multicast groups (NetlinkGroup bits) to hear, for a monitoring socket.
   */
  constructor(namespacePath?: string, groups = 0) {
    this.fd = addon().netlinkOpen(namespacePath, groups);
  }

  get descriptor(): number {
    return this.fd;
  }

  close(): void {
    addon().closeFd(this.fd);
  }

  /** The messages of one datagram already queued (none when `timeoutMs` passes first). */
  receive(timeoutMs: number): Reply[] {
    const at = netlinkBuffer();
    const received = addon().netlinkReceive(this.fd, core().memory.buffer, at, BUFFER_BYTES, timeoutMs);
    const messages: Reply[] = [];
    let offset = 0;
    while (offset < received) {
      const length = core().netlinkReadMessage(at + offset, received - offset);
      if (length < 0) throw new Error(`netlink: a malformed reply (${Status[-length]} at byte ${offset} of ${received})`);
      const message = words(core().netlinkMessageRecord(), MESSAGE_RECORD_FIELDS);
      const textLength = message[MessageField.ErrorTextLength];
      messages.push({
        type: message[MessageField.Type], flags: message[MessageField.Flags], sequence: message[MessageField.Sequence],
        errno: message[MessageField.Errno], errorSequence: message[MessageField.ErrorSequence],
        errorText: textLength ? textDecoder.decode(new Uint8Array(core().memory.buffer, message[MessageField.ErrorText], textLength)) : "",
        at: at + offset, length,
      });
      offset += length;
    }
    return messages;
  }

  /** Each message of the replies until `done` says the exchange is over. */
  private *replies(done: (reply: Reply) => boolean): Generator<Reply> {
    for (;;) {
      const messages = this.receive(REPLY_TIMEOUT_MILLISECONDS);
      if (messages.length === 0) throw new Error(`netlink: no reply from the kernel within ${REPLY_TIMEOUT_MILLISECONDS} ms`);
      for (const reply of messages) {
        yield reply;
        if (done(reply)) return;
      }
    }
  }

  /**
   * Sends the requests (at most REQUESTS_PER_DATAGRAM) in one datagram and reads one answer to
   * each: its NLMSG_ERROR (an ACK or a refusal) or, for a request that gets a message back, that
   * message, passed to `onMessage`. Returns per request undefined or its Refusal.
   */
  exchange(requests: RequestBuilder[], onMessage?: (index: number, reply: Reply) => void): Array<Refusal | undefined> {
    const results: Array<Refusal | undefined> = new Array(requests.length).fill(undefined);
    if (requests.length === 0) return results;
    const at = netlinkBuffer();
    const first = this.sequence;
    let length = 0;
    for (const build of requests) {
      const written = build(at + length, BUFFER_BYTES - length, this.sequence++);
      if (written < 0) throw new Error(`netlink: ${requests.length} requests do not fit one ${BUFFER_BYTES}-byte datagram (${Status[-written]})`);
      length += written;
    }
    addon().netlinkSend(this.fd, core().memory.buffer, at, length);
    const answered = new Set<number>();
    for (const reply of this.replies(() => answered.size === requests.length)) {
      const index = (reply.type === NetlinkType.Error ? reply.errorSequence : reply.sequence) - first;
      if (index < 0 || index >= requests.length || answered.has(index)) continue;
      answered.add(index);
      if (reply.type === NetlinkType.Error) {
        if (reply.errno !== 0) results[index] = { errno: reply.errno, text: refusalText(reply.errno, reply.errorText) };
      } else onMessage?.(index, reply);
    }
    return results;
  }

  /** Sends a dump request built by `build` and passes each message of the answer to `onMessage`. */
  dump(what: string, build: RequestBuilder, onMessage: (reply: Reply) => void): void {
    const at = netlinkBuffer();
    const sequence = this.sequence++;
    const length = build(at, BUFFER_BYTES, sequence);
    if (length < 0) throw new Error(`netlink: could not build the ${what} dump request (${Status[-length]})`);
    addon().netlinkSend(this.fd, core().memory.buffer, at, length);
    for (const reply of this.replies((message) => message.sequence === sequence && (message.type === NetlinkType.Done || message.type === NetlinkType.Error))) {
      if (reply.sequence !== sequence) continue;
      if (reply.type === NetlinkType.Error && reply.errno !== 0) throw new Error(`netlink: ${what} dump refused: ${refusalText(reply.errno, reply.errorText)}`);
      if (reply.type !== NetlinkType.Done && reply.type !== NetlinkType.Error) onMessage(reply);
    }
  }

  /** Every link of the namespace. */
  dumpLinks(): NetlinkLink[] {
    const links: NetlinkLink[] = [];
    this.dump("link", (at, capacity, sequence) => core().netlinkDump(at, capacity, NetlinkType.GetLink, NetlinkFlag.Request | NetlinkFlag.Dump, sequence, 16, NetlinkFamily.Unspecified), (reply) => {
      if (reply.type !== NetlinkType.NewLink) return;
      const status = core().netlinkParseLink(reply.at, reply.length);
      if (status !== Status.Ok) throw new Error(`netlink: a link in the dump does not parse (${Status[status]})`);
      links.push(readLinkRecord());
    });
    return links;
  }

  /** The link called `name`, or with index `index`; undefined when there is none. */
  findLink(which: { name: string } | { index: number }): NetlinkLink | undefined {
    let found: NetlinkLink | undefined;
    const refusals = this.exchange([linkLookup(which)], (_, reply) => {
      if (reply.type === NetlinkType.NewLink && core().netlinkParseLink(reply.at, reply.length) === Status.Ok) found = readLinkRecord();
    });
    const [refusal] = refusals;
    if (refusal && refusal.errno !== ENODEV) throw new Error(`netlink: looking up link ${JSON.stringify(which)}: ${refusal.text}`);
    return found;
  }

  /** Every IPv4 address of the namespace. */
  dumpAddresses(): NetlinkAddress[] {
    const addresses: NetlinkAddress[] = [];
    this.dump("address", (at, capacity, sequence) => core().netlinkDump(at, capacity, NetlinkType.GetAddress, NetlinkFlag.Request | NetlinkFlag.Dump, sequence, 8, NetlinkFamily.Inet), (reply) => {
      if (reply.type !== NetlinkType.NewAddress) return;
      const status = core().netlinkParseAddress(reply.at, reply.length);
      if (status === Status.Unsupported) return;
      if (status !== Status.Ok) throw new Error(`netlink: an address in the dump does not parse (${Status[status]})`);
      const record = words(core().netlinkAddressRecord(), ADDRESS_RECORD_FIELDS);
      addresses.push({ index: record[AddressField.Index], address: `${numberToIpv4(record[AddressField.Local])}/${record[AddressField.PrefixLength]}`, scope: record[AddressField.Scope] });
    });
    return addresses;
  }

  /** Every neighbour (Inet) or FDB entry (Bridge) of the namespace. */
  dumpNeighbours(family: NetlinkFamily.Inet | NetlinkFamily.Bridge): NetlinkNeighbour[] {
    const neighbours: NetlinkNeighbour[] = [];
    this.dump("neighbour", (at, capacity, sequence) => core().netlinkDump(at, capacity, NetlinkType.GetNeighbour, NetlinkFlag.Request | NetlinkFlag.Dump, sequence, 12, family), (reply) => {
      if (reply.type !== NetlinkType.NewNeighbour) return;
      const status = core().netlinkParseNeighbour(reply.at, reply.length);
      if (status !== Status.Ok) throw new Error(`netlink: a neighbour in the dump does not parse (${Status[status]})`);
      const record = words(core().netlinkNeighbourRecord(), NEIGHBOUR_RECORD_FIELDS);
      const entry: NetlinkNeighbour = { family: record[NeighbourField.Family], index: record[NeighbourField.Index], state: record[NeighbourField.State], flags: record[NeighbourField.Flags] };
      if (record[NeighbourField.HasDestination]) entry.destination = numberToIpv4(record[NeighbourField.Destination]);
      if (record[NeighbourField.HasMac]) entry.mac = wordsToMac(record[NeighbourField.MacHigh], record[NeighbourField.MacLow]);
      neighbours.push(entry);
    });
    return neighbours;
  }

  /** Every IPv4 route of every table. */
  dumpRoutes(): NetlinkRoute[] {
    const routes: NetlinkRoute[] = [];
    this.dump("route", (at, capacity, sequence) => core().netlinkRouteDump(at, capacity, NetlinkType.GetRoute, NetlinkFlag.Request | NetlinkFlag.Dump, sequence), (reply) => {
      if (reply.type !== NetlinkType.NewRoute) return;
      const status = core().netlinkParseRoute(reply.at, reply.length);
      if (status === Status.Unsupported) return;
      if (status !== Status.Ok) throw new Error(`netlink: a route in the dump does not parse (${Status[status]})`);
      routes.push(readRoute());
    });
    return routes;
  }
}

/** A RTM_GETLINK of one link, by name or index: answered with the link (no ACK asked) or an error. */
export function linkLookup(which: { name: string } | { index: number }): RequestBuilder {
  return (at, capacity, sequence) => {
    const record = words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS);
    record.fill(0);
    record[LinkField.PeerNamespaceFd] = NO_NAMESPACE_FD;
    if ("index" in which) record[LinkField.Index] = which.index;
    else writeLinkName(record, which.name);
    return core().netlinkLinkMessage(at, capacity, NetlinkType.GetLink, NetlinkFlag.Request, sequence);
  };
}
