// Hears the kernel delete routes (RTNLGRP_IPV4_ROUTE) on a NETLINK_ROUTE socket of its own and
// reports each of podnet's (protocol 107, main table), so the agent restores it at once instead of
// at the next reconcile. Runs on the event loop: the addon says when the socket is readable and
// everything queued is read then. Works whichever Kernel makes the changes.

import { NetlinkGroup, NetlinkType, RouteType } from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { addon, type WatchHandle } from "../native/addon";
import { core } from "../wasm/module";
import { PODNET_ROUTE_PROTOCOL } from "./changes";
import { readRoute, RouteNetlink } from "./netlink";

const MAIN_TABLE = 254;

export class RouteMonitor {
  private readonly socket = new RouteNetlink(undefined, NetlinkGroup.Ipv4Route);
  private readonly watch: WatchHandle;

  /** `onDeleted(prefix)` for every podnet route the kernel removes; `onError` when a notification cannot be read (they go on). */
  constructor(onDeleted: (prefix: string) => void, onError: (error: Error) => void) {
    this.watch = addon().watchReadable(this.socket.descriptor, () => {
      try {
        for (let messages = this.socket.receive(0); messages.length > 0; messages = this.socket.receive(0)) {
          for (const message of messages) {
            if (message.type !== NetlinkType.DeleteRoute || core().netlinkParseRoute(message.at, message.length) !== Status.Ok) continue;
            const route = readRoute();
            if (route.protocol === PODNET_ROUTE_PROTOCOL && route.table === MAIN_TABLE && route.type !== RouteType.Local) onDeleted(route.destination);
          }
        }
      } catch (error) {
        // ENOBUFS: notifications were lost (the socket's buffer overflowed); the reconcile covers them.
        onError(error as Error);
      }
    });
  }

  stop(): void {
    addon().stopWatch(this.watch);
    this.socket.close();
  }
}
