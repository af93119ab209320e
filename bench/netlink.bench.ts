// Route changes over rtnetlink in process (the Wasm core builds the messages, one datagram carries
// up to 1,000 of them) against `ip -batch` applying the same 10,000 routes, in a namespace of the
// bench's own, in the same run: add all, dump all, delete all; and, through the agent's netlink
// Kernel (which gives the event loop a turn between datagrams), 10,000 route replaces timed with
// the loop's longest stall meanwhile (a 1 ms timer's largest gap).
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace, ipJson } from "../test/netns/namespaces";
import { RouteNetlink, type NetlinkRoute } from "../host/net/netlink";
import { applyRouteChanges } from "../test/helpers/route-changes";
import { RouteType } from "../assembly/shared/netlink";
import { report, sized } from "./measure";
import { ipCommands } from "../host/net/ip";
import { NetlinkKernel } from "../host/net/netlink-kernel";

const ROUTES = sized(10_000, 200);
const ROUNDS = sized(5, 1);
const namespace = createNamespace("bench-netlink");

function median(samples: number[]): { value: number; range: [number, number] } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { value: sorted[Math.floor(sorted.length / 2)], range: [sorted[0], sorted[sorted.length - 1]] };
}

/** Applies the changes through the netlink Kernel; returns its time and the loop's longest stall meanwhile. */
async function kernelApply(routes: NetlinkRoute[]): Promise<{ milliseconds: number; stall: number }> {
  const kernel = new NetlinkKernel();
  const changes = routes.map((route) => ipCommands.routeReplace(route.destination, route.gateway!, "eth0"));
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const failures = await kernel.apply(changes, `/var/run/netns/${namespace}`);
  const milliseconds = performance.now() - started;
  stall = Math.max(stall, performance.now() - last);
  clearInterval(timer);
  if (failures.length > 0) throw new Error(`netlink kernel: ${failures.length} refused, first: ${failures[0].message}`);
  execFileSync("ip", ["-n", namespace, "route", "flush", "proto", "107"]);
  return { milliseconds, stall };
}

try {
  execFileSync("ip", ["-n", namespace, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]);
  execFileSync("ip", ["-n", namespace, "addr", "add", "198.18.0.1/24", "dev", "eth0"]);
  execFileSync("ip", ["-n", namespace, "link", "set", "eth0", "up"]);
  const device = (ipJson(namespace, ["link", "show", "eth0"]) as Array<{ ifindex: number }>)[0].ifindex;
  const routes: NetlinkRoute[] = Array.from({ length: ROUTES }, (_, i) => ({
    destination: `10.${244 + (i >> 12)}.${(i >> 4) & 255}.${(i & 15) << 4}/28`, gateway: `198.18.0.${2 + (i % 200)}`, device, table: 254, protocol: 107, scope: 0, type: RouteType.Unicast, onlink: false,
  }));
  const batch = `${routes.map((route) => `route add ${route.destination} via ${route.gateway} dev eth0 proto 107`).join("\n")}\n`;
  const netlink = new RouteNetlink(`/var/run/netns/${namespace}`);
  const adds: number[] = [];
  const deletes: number[] = [];
  const dumps: number[] = [];
  const ipAdds: number[] = [];
  const ipDumps: number[] = [];
  const ipFlushes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const failed = applyRouteChanges(netlink, routes.map((route) => ({ op: "add" as const, route }))).filter(Boolean);
    adds.push(performance.now() - started);
    if (failed.length > 0) throw new Error(`netlink: ${failed.length} adds refused, first: ${failed[0]!.message}`);
    started = performance.now();
    const dumped = netlink.dumpRoutes().filter((route) => route.protocol === 107).length;
    dumps.push(performance.now() - started);
    if (dumped !== ROUTES) throw new Error(`netlink dump: ${dumped} routes, expected ${ROUTES}`);
    started = performance.now();
    applyRouteChanges(netlink, routes.map((route) => ({ op: "delete" as const, route })));
    deletes.push(performance.now() - started);

    started = performance.now();
    execFileSync("ip", ["-n", namespace, "-batch", "-"], { input: batch });
    ipAdds.push(performance.now() - started);
    started = performance.now();
    const listed = (JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show", "proto", "107"], { encoding: "utf8", maxBuffer: 64 << 20 })) as unknown[]).length;
    ipDumps.push(performance.now() - started);
    if (listed !== ROUTES) throw new Error(`ip -batch: ${listed} routes, expected ${ROUTES}`);
    started = performance.now();
    execFileSync("ip", ["-n", namespace, "route", "flush", "proto", "107"]);
    ipFlushes.push(performance.now() - started);
  }
  netlink.close();
  const kernelRuns: Array<{ milliseconds: number; stall: number }> = [];
  for (let round = 0; round < ROUNDS; round++) kernelRuns.push(await kernelApply(routes));
  const kernelAdd = median(kernelRuns.map((run) => run.milliseconds));
  const stall = median(kernelRuns.map((run) => run.stall));
  const add = median(adds);
  const ipAdd = median(ipAdds);
  const dump = median(dumps);
  const ipDump = median(ipDumps);
  const remove = median(deletes);
  const ipFlush = median(ipFlushes);
  report("netlink", [
    { metric: `netlink: add ${ROUTES} routes`, unit: "ms", podnet: add.value, podnetRange: add.range, baseline: ipAdd.value, baselineRange: ipAdd.range, baselineName: "ip -batch of the same routes", lowerIsBetter: true },
    { metric: `netlink: read back ${ROUTES} routes`, unit: "ms", podnet: dump.value, podnetRange: dump.range, baseline: ipDump.value, baselineRange: ipDump.range, baselineName: "ip -json route show", lowerIsBetter: true },
    { metric: `netlink: delete ${ROUTES} routes`, unit: "ms", podnet: remove.value, podnetRange: remove.range, baseline: ipFlush.value, baselineRange: ipFlush.range, baselineName: "ip route flush proto 107", lowerIsBetter: true },
    { metric: `netlink Kernel: replace ${ROUTES} routes (names looked up, a turn of the loop between datagrams)`, unit: "ms", podnet: kernelAdd.value, podnetRange: kernelAdd.range, baseline: ipAdd.value, baselineRange: ipAdd.range, baselineName: "ip -batch of the same routes", lowerIsBetter: true },
    { metric: `netlink Kernel: event loop's longest stall while ${ROUTES} routes are replaced`, unit: "ms", podnet: stall.value, podnetRange: stall.range, baseline: 20, baselineName: "target (no stall over 20 ms)", lowerIsBetter: true },
  ]);
} finally {
  cleanupNamespaces();
}
