// rtnetlink in process against a real kernel, in a namespace of the test's own: routes added,
// replaced and deleted through RouteNetlink (Wasm-built messages, the addon's socket) read back the
// same through `ip -json` and through the netlink dump; the kernel's refusals come back one per
// request, naming it; 300 random routes go in one datagram and out in another. Root only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace, ipJson } from "./namespaces";
import { RouteNetlink, type NetlinkRoute } from "../../host/net/netlink";
import { applyRouteChanges } from "../helpers/route-changes";
import { RouteType } from "../../assembly/shared/netlink";
import { seededRandom } from "../helpers/random";

const ipv4Base = ((10 << 24) | (244 << 16)) >>> 0;
let namespace: string;
let netlink: RouteNetlink;
let device: number;

test.before(() => {
  namespace = createNamespace("netlink");
  execFileSync("ip", ["-n", namespace, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]);
  execFileSync("ip", ["-n", namespace, "addr", "add", "198.18.0.1/24", "dev", "eth0"]);
  execFileSync("ip", ["-n", namespace, "link", "set", "eth0", "up"]);
  execFileSync("ip", ["-n", namespace, "link", "set", "peer0", "up"]);
  device = (ipJson(namespace, ["link", "show", "eth0"]) as Array<{ ifindex: number }>)[0].ifindex;
  netlink = new RouteNetlink(`/var/run/netns/${namespace}`);
});
test.after(() => {
  netlink?.close();
  cleanupNamespaces();
});

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  type?: string;
  table?: string;
  protocol?: string;
  metric?: number;
  flags: string[];
}

/** What `ip -json route show table all proto 107` says, in one line per route. */
function ipView(): string[] {
  return (ipJson(namespace, ["route", "show", "table", "all", "proto", "107"]) as IpRoute[])
    .map((route) => `${route.type ?? "unicast"} ${route.dst.includes("/") ? route.dst : `${route.dst}/32`} via ${route.gateway ?? "-"} dev ${route.dev ?? "-"} table ${route.table ?? "main"} metric ${route.metric ?? 0}${route.flags.includes("onlink") ? " onlink" : ""}`)
    .sort();
}

/** The netlink dump's routes of protocol 107, in the same words. */
function dumpView(): string[] {
  const tableName = (table: number) => (table === 254 ? "main" : String(table));
  return netlink.dumpRoutes().filter((route) => route.protocol === 107)
    .map((route) => `${route.type === RouteType.Blackhole ? "blackhole" : "unicast"} ${route.destination} via ${route.gateway ?? "-"} dev ${route.device === device ? "eth0" : route.device === undefined ? "-" : route.device} table ${tableName(route.table)} metric ${route.priority ?? 0}${route.onlink ? " onlink" : ""}`)
    .sort();
}

const unicast = (destination: string, gateway: string, extra: Partial<NetlinkRoute> = {}): NetlinkRoute => ({ destination, gateway, device, table: 254, protocol: 107, scope: 0, type: RouteType.Unicast, onlink: false, ...extra });

test("routes added through netlink: ip and the netlink dump both see exactly them", () => {
  const results = applyRouteChanges(netlink, [
    { op: "add", route: unicast("10.244.1.0/24", "198.18.0.2") },
    { op: "add", route: { destination: "10.244.2.0/26", table: 254, protocol: 107, scope: 0, type: RouteType.Blackhole, onlink: false } },
    { op: "add", route: unicast("10.244.3.0/24", "198.18.9.9", { onlink: true }) },
    { op: "add", route: unicast("10.244.4.0/24", "198.18.0.3", { priority: 50 }) },
    { op: "add", route: unicast("10.244.5.0/24", "198.18.0.4", { table: 1000 }) },
  ]);
  assert.equal(results, [undefined, undefined, undefined, undefined, undefined]);
  const expected = [
    "blackhole 10.244.2.0/26 via - dev - table main metric 0",
    "unicast 10.244.1.0/24 via 198.18.0.2 dev eth0 table main metric 0",
    "unicast 10.244.3.0/24 via 198.18.9.9 dev eth0 table main metric 0 onlink",
    "unicast 10.244.4.0/24 via 198.18.0.3 dev eth0 table main metric 50",
    "unicast 10.244.5.0/24 via 198.18.0.4 dev eth0 table 1000 metric 0",
  ];
  assert.equal(ipView(), expected);
  assert.equal(dumpView(), expected);
});

test("the kernel's refusals come back one per request, each naming it; the others in the batch are done", () => {
  const results = applyRouteChanges(netlink, [
    { op: "add", route: unicast("10.244.1.0/24", "198.18.0.2") }, // exists
    { op: "replace", route: unicast("10.244.1.0/24", "198.18.0.7") }, // replaces it
    { op: "add", route: unicast("10.244.6.0/24", "203.0.113.1") }, // gateway not on any link
    { op: "delete", route: unicast("10.244.99.0/24", "198.18.0.2") }, // no such route
    { op: "delete", route: { destination: "10.244.2.0/26", table: 254, protocol: 107, scope: 0, type: RouteType.Blackhole, onlink: false } },
  ]);
  assert.equal(results.map((result) => result?.message), [
    "add route 10.244.1.0/24 via 198.18.0.2 table 254: RTNETLINK answers: File exists",
    undefined,
    "add route 10.244.6.0/24 via 203.0.113.1 table 254: Error: Nexthop has invalid gateway.",
    "delete route 10.244.99.0/24 via 198.18.0.2 table 254: RTNETLINK answers: No such process",
    undefined,
  ]);
  assert.equal(results.map((result) => result?.errno), [17, undefined, 101, 3, undefined]);
  assert.ok(ipView().includes("unicast 10.244.1.0/24 via 198.18.0.7 dev eth0 table main metric 0"));
  assert.not.ok(ipView().some((line) => line.includes("10.244.2.0/26")));
});

test("300 random routes in one datagram: ip and the dump agree with what was asked; deleted in one more, none left", () => {
  applyRouteChanges(netlink, netlink.dumpRoutes().filter((route) => route.protocol === 107).map((route) => ({ op: "delete" as const, route })));
  assert.equal(ipView(), []);
  const next = seededRandom(4242);
  const random = () => next() / 2 ** 32;
  const wanted = new Map<string, NetlinkRoute>();
  while (wanted.size < 300) {
    const length = 20 + Math.floor(random() * 13);
    const address = (ipv4Base + Math.floor(random() * 65536) * 1) >>> 0;
    const network = length === 32 ? address : (address & ~((1 << (32 - length)) - 1)) >>> 0;
    const destination = `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join(".")}/${length}`;
    const kind = random();
    const route: NetlinkRoute = kind < 0.2
      ? { destination, table: 254, protocol: 107, scope: 0, type: RouteType.Blackhole, onlink: false }
      : unicast(destination, `198.18.0.${2 + Math.floor(random() * 250)}`, { priority: kind < 0.5 ? Math.floor(random() * 1000) : undefined, onlink: kind > 0.9 });
    wanted.set(`${destination} ${route.priority ?? 0}`, route);
  }
  const routes = [...wanted.values()];
  assert.equal(applyRouteChanges(netlink, routes.map((route) => ({ op: "add", route }))).filter(Boolean), []);
  const expected = routes.map((route) => `${route.type === RouteType.Blackhole ? "blackhole" : "unicast"} ${route.destination} via ${route.gateway ?? "-"} dev ${route.gateway ? "eth0" : "-"} table main metric ${route.priority ?? 0}${route.onlink ? " onlink" : ""}`).sort();
  assert.equal(ipView(), expected);
  assert.equal(dumpView(), expected);
  assert.equal(applyRouteChanges(netlink, routes.map((route) => ({ op: "delete", route }))).filter(Boolean), []);
  assert.equal(ipView(), []);
});

test.run();
