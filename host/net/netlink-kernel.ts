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
import { LinkKind, NeighbourState, NetlinkFamily, NetlinkType, RouteType } from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { core } from "../wasm/module";
import { commandLine, type KernelChange } from "./changes";
import { iproute2Kernel, type Kernel, KernelError, type KernelFailure } from "./kernel";
import { type NetlinkLink, REQUESTS_PER_DATAGRAM, readRoute, type RequestBuilder, RouteNetlink } from "./netlink";
import { routeRequest } from "./netlink-requests";
import type { LinkState, RouteState } from "./state";
import { changesLinks, devicesNamed, lookUpDevices, MAIN_TABLE, MissingDevice, requestFor, type Resolve } from "./change-requests";

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
