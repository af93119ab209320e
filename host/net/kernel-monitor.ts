// Hears the kernel delete routes and links (RTNLGRP_IPV4_ROUTE, RTNLGRP_LINK) on a NETLINK_ROUTE
// socket of its own and reports each of podnet's routes (protocol 107, main table) and every
// link that goes, so the agent restores them at once instead of at the next reconcile. Runs on
// the event loop: the addon says when the socket is readable and everything queued is read then.
// Works whichever Kernel makes the changes.

import { NetlinkGroup, NetlinkType, RouteType } from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { addon, type WatchHandle } from "../native/addon";
import { core } from "../wasm/module";
import { PODNET_ROUTE_PROTOCOL } from "./changes";
import { readLinkRecord, readRoute, RouteNetlink } from "./netlink";

const MAIN_TABLE = 254;

export interface KernelEvents {
  /** One of podnet's routes is gone from the kernel. */
  routeDeleted(prefix: string): void;
  /** A link is gone (deleted, or its namespace went). */
  linkDeleted(name: string): void;
  /** Notifications could not be read (ENOBUFS: some were lost); they go on. */
  lost(error: Error): void;
}

export class KernelMonitor {
  private readonly socket = new RouteNetlink(undefined, NetlinkGroup.Ipv4Route | NetlinkGroup.Link);
  private readonly watch: WatchHandle;

  constructor(events: KernelEvents) {
    this.watch = addon().watchReadable(this.socket.descriptor, () => {
      try {
        for (let messages = this.socket.receive(0); messages.length > 0; messages = this.socket.receive(0)) {
          for (const message of messages) {
            if (message.type === NetlinkType.DeleteRoute && core().netlinkParseRoute(message.at, message.length) === Status.Ok) {
              const route = readRoute();
              if (route.protocol === PODNET_ROUTE_PROTOCOL && route.table === MAIN_TABLE && route.type !== RouteType.Local) events.routeDeleted(route.destination);
            } else if (message.type === NetlinkType.DeleteLink && core().netlinkParseLink(message.at, message.length) === Status.Ok) {
              events.linkDeleted(readLinkRecord().name);
            }
          }
        }
      } catch (error) {
        events.lost(error as Error);
      }
    });
  }

  stop(): void {
    addon().stopWatch(this.watch);
    this.socket.close();
  }
}
