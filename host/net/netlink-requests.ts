// Requests built for the rtnetlink socket: a route change or lookup, and the flags of a change (add fails on an existing entry, replace creates or replaces).

import { NetlinkFlag, NetlinkType } from "../../assembly/shared/netlink";
import { core } from "../wasm/module";
import { type NetlinkRoute, type RequestBuilder, writeRoute } from "./netlink";

/** The request that makes `op` of `route`; "get" asks where the kernel sends `route`'s destination (answered with a route, no ACK). */
export function routeRequest(route: NetlinkRoute, op: "add" | "replace" | "delete" | "get"): RequestBuilder {
  return (at, capacity, sequence) => {
    writeRoute(route);
    if (op === "get") return core().netlinkRouteMessage(at, capacity, NetlinkType.GetRoute, NetlinkFlag.Request, sequence);
    const type = op === "delete" ? NetlinkType.DeleteRoute : NetlinkType.NewRoute;
    return core().netlinkRouteMessage(at, capacity, type, requestFlags(op), sequence);
  };
}

/** nlmsg_flags of a change: add fails on an existing entry (as `ip … add`), replace creates or replaces. */
export function requestFlags(op: "add" | "replace" | "delete" | "set"): number {
  const create = op === "add" ? NetlinkFlag.Create | NetlinkFlag.Exclusive : op === "replace" ? NetlinkFlag.Create | NetlinkFlag.Replace : 0;
  return NetlinkFlag.Request | NetlinkFlag.Ack | create;
}
