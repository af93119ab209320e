// rtnetlink in process: the Wasm core builds and parses the messages (assembly/netlink/), the
// addon owns the NETLINK_ROUTE socket (one per network namespace). Routes first: a dump of the
// IPv4 routes of every table, and batches of route changes sent as one datagram whose
// acknowledgements come back in one read, each error mapped to the request that caused it.

import { MESSAGE_RECORD_FIELDS, MessageField, NetlinkFlag, NetlinkType, ROUTE_RECORD_FIELDS, RouteField, RouteType, RTNH_F_ONLINK } from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { addon } from "../native/addon";
import { core, WasmLoadError } from "../wasm/module";
import { ipv4ToNumber, numberToIpv4 } from "./addresses";
import { getSystemErrorMap } from "node:util";

/** An errno as the kernel's answer: "RTNETLINK answers: EEXIST (file already exists)". */
function osErrorName(errno: number): string {
  const [name, message] = getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, "unknown error"];
  return `RTNETLINK answers: ${name} (${message})`;
}

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

export type RouteChange = { op: "add" | "replace" | "delete"; route: NetlinkRoute };

/** A change the kernel refused: what was asked, and the errno as `ip` would name it. */
export class NetlinkError extends Error {
  constructor(
    readonly change: RouteChange,
    readonly errno: number,
  ) {
    super(`${change.op} route ${change.route.destination}${change.route.gateway ? ` via ${change.route.gateway}` : ""} table ${change.route.table}: ${osErrorName(errno)}`);
  }
}

const BUFFER_BYTES = 256 * 1024;
const REPLY_TIMEOUT_MILLISECONDS = 5000;
/** Changes per datagram: their acknowledgements must fit the socket's receive buffer (4 MiB). */
const CHANGES_PER_DATAGRAM = 1000;

let buffer = 0;
/** The core's buffer for building requests and receiving replies (one, reused). */
function netlinkBuffer(): number {
  if (buffer === 0) {
    buffer = core().allocate(BUFFER_BYTES);
    if (buffer === 0) throw new WasmLoadError(`podnet.wasm refused a ${BUFFER_BYTES}-byte buffer (Status ${Status[Status.OutOfMemory]})`);
  }
  return buffer;
}

const words = (address: number, count: number) => new Uint32Array(core().memory.buffer, address, count);

function writeRoute(route: NetlinkRoute): void {
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

function readRoute(): NetlinkRoute {
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

/** A NETLINK_ROUTE socket in one network namespace. */
export class RouteNetlink {
  private readonly fd: number;
  private sequence = 1;

  /** `namespacePath`: /var/run/netns/NAME or /proc/PID/ns/net; this process's own when absent. */
  constructor(namespacePath?: string) {
    this.fd = addon().netlinkOpen(namespacePath);
  }

  close(): void {
    addon().closeFd(this.fd);
  }

  /** Each message of the replies to `sequence` until `done` says the exchange is over. */
  private *replies(done: (type: number, flags: number) => boolean): Generator<{ type: number; flags: number; sequence: number; errno: number; errorSequence: number; at: number; length: number }> {
    const at = netlinkBuffer();
    for (;;) {
      const received = addon().netlinkReceive(this.fd, core().memory.buffer, at, BUFFER_BYTES, REPLY_TIMEOUT_MILLISECONDS);
      if (received === 0) throw new Error(`netlink: no reply from the kernel within ${REPLY_TIMEOUT_MILLISECONDS} ms`);
      let offset = 0;
      while (offset < received) {
        const length = core().netlinkReadMessage(at + offset, received - offset);
        if (length < 0) throw new Error(`netlink: a malformed reply (${Status[-length]} at byte ${offset} of ${received})`);
        const message = words(core().netlinkMessageRecord(), MESSAGE_RECORD_FIELDS);
        const reply = {
          type: message[MessageField.Type], flags: message[MessageField.Flags], sequence: message[MessageField.Sequence],
          errno: message[MessageField.Errno], errorSequence: message[MessageField.ErrorSequence], at: at + offset, length,
        };
        yield reply;
        offset += length;
        if (done(reply.type, reply.flags)) return;
      }
    }
  }

  /** Every IPv4 route of every table. */
  dumpRoutes(): NetlinkRoute[] {
    const at = netlinkBuffer();
    const sequence = this.sequence++;
    const length = core().netlinkRouteDump(at, BUFFER_BYTES, NetlinkType.GetRoute, NetlinkFlag.Request | NetlinkFlag.Dump, sequence);
    if (length < 0) throw new Error(`netlink: could not build the dump request (${Status[-length]})`);
    addon().netlinkSend(this.fd, core().memory.buffer, at, length);
    const routes: NetlinkRoute[] = [];
    for (const reply of this.replies((type) => type === NetlinkType.Done || type === NetlinkType.Error)) {
      if (reply.sequence !== sequence) continue;
      if (reply.type === NetlinkType.Error && reply.errno !== 0) throw new Error(`netlink: route dump refused: ${osErrorName(reply.errno)}`);
      if (reply.type !== NetlinkType.NewRoute) continue;
      const status = core().netlinkParseRoute(reply.at, reply.length);
      if (status === Status.Unsupported) continue;
      if (status !== Status.Ok) throw new Error(`netlink: a route in the dump does not parse (${Status[status]})`);
      routes.push(readRoute());
    }
    return routes;
  }

  /**
   * Sends every change in one datagram and reads their acknowledgements; returns, per change,
   * undefined when it was done or the NetlinkError naming it. Changes are applied in order; one
   * failing does not stop the others (as `ip -batch -force`).
   */
  apply(changes: RouteChange[]): Array<NetlinkError | undefined> {
    const results: Array<NetlinkError | undefined> = [];
    for (let from = 0; from < changes.length; from += CHANGES_PER_DATAGRAM) results.push(...this.applyOnce(changes.slice(from, from + CHANGES_PER_DATAGRAM)));
    return results;
  }

  private applyOnce(changes: RouteChange[]): Array<NetlinkError | undefined> {
    const at = netlinkBuffer();
    const first = this.sequence;
    let length = 0;
    for (const change of changes) {
      writeRoute(change.route);
      const type = change.op === "delete" ? NetlinkType.DeleteRoute : NetlinkType.NewRoute;
      const flags = NetlinkFlag.Request | NetlinkFlag.Ack | (change.op === "add" ? NetlinkFlag.Create | NetlinkFlag.Exclusive : change.op === "replace" ? NetlinkFlag.Create | NetlinkFlag.Replace : 0);
      const written = core().netlinkRouteMessage(at + length, BUFFER_BYTES - length, type, flags, this.sequence++);
      if (written < 0) throw new Error(`netlink: ${changes.length} route changes do not fit one ${BUFFER_BYTES}-byte request (${Status[-written]})`);
      length += written;
    }
    const results: Array<NetlinkError | undefined> = new Array(changes.length).fill(undefined);
    if (changes.length === 0) return results;
    addon().netlinkSend(this.fd, core().memory.buffer, at, length);
    let answered = 0;
    for (const reply of this.replies(() => answered === changes.length)) {
      if (reply.type !== NetlinkType.Error) continue;
      const index = reply.errorSequence - first;
      if (index < 0 || index >= changes.length) continue;
      answered++;
      if (reply.errno !== 0) results[index] = new NetlinkError(changes[index], reply.errno);
    }
    return results;
  }
}

