// The netlink Kernel against the iproute2 one, on a real kernel: the same changes — every kind
// podnet makes (bridge, VXLAN and veth links with the far end in another namespace, addresses,
// link settings, routes with gateway, onlink, blackhole, scope link and default, neighbours, FDB
// entries) — applied in two namespaces, one by each, leave the same state as `ip -json` and
// `bridge -json` read it; the same refused changes get the same failures, word for word, as `ip`
// prints them; both read the same links and routes back; and a property test: random routes, addresses and neighbours applied through
// netlink read back the same through the netlink dumps and through `ip -json`, before and after
// random deletes. Root only; all in namespaces made here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace } from "./namespaces";
import type { KernelChange } from "../../host/net/changes";
import { ipCommands, bridgeCommands } from "../../host/net/ip";
import { iproute2Kernel, type Kernel } from "../../host/net/kernel";
import type { LinkState, RouteState } from "../../host/net/state";
import { NetlinkKernel } from "../../host/net/netlink-kernel";
import { RouteNetlink } from "../../host/net/netlink";
import { NetlinkFamily, NeighbourState, RouteType } from "../../assembly/shared/netlink";
import { numberToIpv4 } from "../../host/shared/addresses";
import { seededRandom } from "../helpers/random";

test.after(cleanupNamespaces);

const netlinkKernel = new NetlinkKernel();
const VTEP_MAC = "aa:bb:cc:00:00:02";
/** The node's links whose MAC podnet sets. */
const NODE_MACS = ["cni0", "veth0abc"];

/** A node namespace with an underlay (eth0, 198.18.0.1/24) and a pod namespace beside it. */
function makeNode(tag: string): { node: string; pod: string } {
  const node = createNamespace(`nlk-${tag}`);
  const pod = createNamespace(`nlk-${tag}-pod`);
  execFileSync("ip", ["-n", node, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]);
  execFileSync("ip", ["-n", node, "addr", "add", "198.18.0.1/24", "dev", "eth0"]);
  for (const link of ["eth0", "peer0", "lo"]) execFileSync("ip", ["-n", node, "link", "set", link, "up"]);
  return { node: `/var/run/netns/${node}`, pod: `/var/run/netns/${pod}` };
}

/** The node's changes (applied in the node's namespace) and the pod's (in the pod's), as the CNI plugin and the backends make them. */
function changesFor(pod: string): { node: KernelChange[][]; pod: KernelChange[] } {
  return {
    node: [
      [ipCommands.bridgeAdd("cni0", "02:11:22:33:44:55")],
      [
        ipCommands.vethPair({ name: "veth0abc", mac: "02:aa:00:00:00:01" }, { name: "eth0", mac: "0a:58:0a:f4:01:0a", netns: pod }, 1450),
        ipCommands.addressReplace("10.244.1.1/24", "cni0"),
        ipCommands.linkUp("cni0"),
        ipCommands.linkMaster("veth0abc", "cni0"),
        ipCommands.hairpinOn("veth0abc"),
        ipCommands.linkUp("veth0abc"),
      ],
      [ipCommands.vxlanAdd("flannel.1", 1, "198.18.0.1", "eth0", 8472), ipCommands.linkMtuUp("flannel.1", 1450), ipCommands.addressReplace("10.244.1.0/32", "flannel.1")],
      [
        ipCommands.neighbourReplace("10.244.2.0", VTEP_MAC, "flannel.1"),
        bridgeCommands.fdbReplace(VTEP_MAC, "flannel.1", "198.18.0.2"),
        ipCommands.routeReplace("10.244.2.0/24", "10.244.2.0", "flannel.1", true),
        ipCommands.routeReplace("10.244.3.0/24", "198.18.0.3", "eth0"),
        ipCommands.routeReplaceBlackhole("10.244.4.0/26"),
        ipCommands.routeReplaceLink("10.244.4.5/32", "veth0abc"),
        ipCommands.routeReplaceOnDevice("10.244.5.0/24", "cni0"),
        ipCommands.routeReplace("10.244.3.0/24", "198.18.0.4", "eth0"),
      ],
    ],
    pod: [
      ipCommands.linkUp("lo"),
      ipCommands.addressAdd("10.244.1.10/24", "eth0"),
      ipCommands.linkUp("eth0"),
      ipCommands.routeAddLink("169.254.1.1", "eth0"),
      ipCommands.routeAddDefault("10.244.1.1", "eth0"),
      ipCommands.neighbourReplace("169.254.1.1", "ee:ee:ee:ee:ee:ee", "eth0"),
    ],
  };
}

/** What iproute2 reads of a namespace, without what differs between two identical ones (indexes, counters, timers). */
function state(namespace: string, podnetSetsMac: string[]): Record<string, unknown> {
  const name = namespace.split("/").pop()!;
  const read = (tool: string, args: string[]) => JSON.parse(execFileSync(tool, ["-n", name, "-json", ...args], { encoding: "utf8" }) || "[]");
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === "object") {
      // Carrier follows the ports asynchronously (a bridge whose last port went): not the change's doing.
      const entries = Object.entries(value).map(([key, entry]) => [key, key === "flags" && Array.isArray(entry) ? entry.filter((flag) => !["NO-CARRIER", "LOWER_UP", "linkdown"].includes(flag)) : entry]);
      return Object.fromEntries(entries.filter(([key]) => !/^(ifindex|link_index|link_netnsid|stats64?|used|confirmed|updated|probes|valid_life_time|preferred_life_time|inet6_addr_gen_mode|addr_gen_mode|num_.*|gso_.*|gro_.*|tso_.*|operstate|linkmode|.*_timer|hello_.*|tcn_.*|topology_change.*|bridge_id|root_id|designated_.*|port_(no|id)|no|id|group_addr|.*_seq|mcast_.*|txqlen|parentbus|parentdev|ifalias|event|promiscuity|allmulti|min_mtu|max_mtu|address|broadcast|nh_id|perm_address)$/.test(key)).map(([key, entry]) => [key, strip(entry)]));
    }
    return value;
  };
  return {
    links: strip(read("ip", ["-details", "link", "show"])),
    addresses: strip(read("ip", ["-4", "address", "show"]).map((link: { ifname: string; addr_info: unknown }) => ({ ifname: link.ifname, addr_info: link.addr_info }))),
    routes: strip(read("ip", ["route", "show", "table", "all"])),
    neighbours: strip(read("ip", ["neigh", "show", "nud", "permanent"])),
    fdb: strip(read("bridge", ["fdb", "show"]).filter((entry: { ifname: string }) => entry.ifname === "flannel.1")),
    // The MACs podnet sets (the others the kernel draws at random).
    macs: read("ip", ["link", "show"]).filter((link: { ifname: string }) => podnetSetsMac.includes(link.ifname)).map((link: { ifname: string; address: string }) => `${link.ifname} ${link.address}`),
  };
}

/** The fields of a link podnet reads, the flags limited to those the netlink kernel names. */
function linkFields(link: LinkState | undefined): unknown {
  if (!link) return undefined;
  // LOWER_UP (carrier) follows the ports asynchronously: left out.
  const named = ["UP", "BROADCAST", "LOOPBACK", "POINTOPOINT", "NOARP", "MULTICAST"];
  const data = link.linkinfo?.info_data;
  return {
    ifname: link.ifname, address: link.address, mtu: link.mtu, master: link.master, flags: link.flags.filter((flag) => named.includes(flag)).sort(),
    kind: link.linkinfo?.info_kind, data: data && link.linkinfo?.info_kind === "vxlan" ? { id: data.id, port: data.port, local: data.local } : undefined,
    addresses: (link.addr_info ?? []).filter((entry) => entry.family === "inet").map((entry) => `${entry.local}/${entry.prefixlen}`).sort(),
  };
}

async function applyAll(kernel: Kernel, node: { node: string; pod: string }): Promise<void> {
  const { node: nodeBatches, pod } = changesFor(node.pod);
  for (const batch of nodeBatches) assert.equal(await kernel.apply(batch, node.node), [], "no change refused");
  assert.equal(await kernel.apply(pod, node.pod), [], "no pod change refused");
}

test("netlink and ip leave the same links, addresses, routes, neighbours and FDB entries", async () => {
  const byIp = makeNode("ip");
  const byNetlink = makeNode("nl");
  await applyAll(iproute2Kernel, byIp);
  await applyAll(netlinkKernel, byNetlink);
  const expectedNode = state(byIp.node, NODE_MACS);
  const actualNode = state(byNetlink.node, NODE_MACS);
  for (const key of Object.keys(expectedNode)) assert.equal(actualNode[key], expectedNode[key], `node ${key}`);
  const expectedPod = state(byIp.pod, ["eth0"]);
  const actualPod = state(byNetlink.pod, ["eth0"]);
  for (const key of Object.keys(expectedPod)) assert.equal(actualPod[key], expectedPod[key], `pod ${key}`);
  // Reads: both kernels read the same links (the fields podnet uses) and routes of one namespace.
  for (const [name, where] of [["cni0", "node"], ["veth0abc", "node"], ["flannel.1", "node"], ["eth0", "pod"], ["nosuch", "node"]] as const) {
    assert.equal(linkFields(await netlinkKernel.link(name, byNetlink[where])), linkFields(await iproute2Kernel.link(name, byNetlink[where])), `link ${name}`);
  }
  for (const where of ["node", "pod"] as const) {
    const sorted = (routes: RouteState[]) => routes.map((route) => JSON.stringify([route.dst, route.gateway, route.dev, route.scope, route.protocol, route.type])).sort();
    const routes = sorted(await netlinkKernel.routes(byNetlink[where]));
    assert.equal(routes, sorted(await iproute2Kernel.routes(byNetlink[where])), `${where} routes`);
    assert.ok(routes.length >= 3, `${where}: ${routes.length} routes read`);
  }
  // Removal the same way: the FDB entry, the neighbour, routes, a link.
  const removal: KernelChange[] = [
    bridgeCommands.fdbDelete(VTEP_MAC, "flannel.1", "198.18.0.2"),
    ipCommands.neighbourDelete("10.244.2.0", "flannel.1"),
    ipCommands.routeDelete("10.244.2.0/24"),
    ipCommands.routeDelete("10.244.4.0/26"),
    ipCommands.linkDelete("veth0abc"),
  ];
  assert.equal(await iproute2Kernel.apply(removal, byIp.node), []);
  assert.equal(await netlinkKernel.apply(removal, byNetlink.node), []);
  const afterIp = state(byIp.node, NODE_MACS);
  const afterNetlink = state(byNetlink.node, NODE_MACS);
  for (const key of Object.keys(afterIp)) assert.equal(afterNetlink[key], afterIp[key], `node ${key} after removal`);
});

test("refusals: the same changes fail, each named, worded as ip prints them; the others are done", async () => {
  const byIp = makeNode("ip-err");
  const byNetlink = makeNode("nl-err");
  const batch: KernelChange[] = [
    ipCommands.routeReplace("10.244.7.0/24", "198.18.0.7", "eth0"),
    { kind: "route", op: "add", destination: "10.244.7.0/24", via: "198.18.0.7", device: "eth0", protocol: 107 },
    ipCommands.routeReplace("10.244.8.0/24", "203.0.113.1", "eth0"),
    ipCommands.routeReplace("10.244.9.0/24", "198.18.0.9", "nosuch0"),
    ipCommands.routeDelete("10.244.99.0/24"),
    ipCommands.neighbourDelete("10.244.2.0", "eth0"),
    ipCommands.linkDelete("nosuch1"),
    ipCommands.addressAdd("198.18.0.1/24", "eth0"),
    ipCommands.linkMaster("eth0", "nosuch2"),
    bridgeCommands.fdbDelete(VTEP_MAC, "eth0"),
    ipCommands.routeReplace("10.244.10.0/24", "198.18.0.10", "eth0"),
  ];
  // The whole batch through each kernel (iproute2's exits at a failed `neigh` command: that kernel
  // ends a batch at each, so the rest still runs).
  const expected = await iproute2Kernel.apply(batch, byIp.node);
  const actual = await netlinkKernel.apply(batch, byNetlink.node);
  console.log(`  refusals as ip words them:\n${expected.map((failure) => `    ${failure.command}: ${failure.message}`).join("\n")}`);
  assert.equal(actual, expected);
  assert.equal(expected.map((failure) => failure.index), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(state(byNetlink.node, NODE_MACS).routes, state(byIp.node, NODE_MACS).routes, "the changes that were not refused were made");
  // A namespace that is not there: every change fails, naming it.
  const [gone] = await netlinkKernel.apply([ipCommands.linkUp("lo")], "/var/run/netns/podnet-no-such-namespace");
  assert.equal(gone.index, 0);
  assert.match(gone.message, 'Cannot open network namespace "/var/run/netns/podnet-no-such-namespace"');
});

/** Random changes of three kinds, each destination, address and neighbour distinct; what each should leave, in the words of view(). */
function randomChanges(seed: number, count: number): { changes: KernelChange[]; expected: Map<string, string> } {
  const next = seededRandom(seed);
  const changes: KernelChange[] = [];
  const expected = new Map<string, string>();
  const devices = ["eth0", "eth1"];
  const mac = () => ["02", ...Array.from({ length: 5 }, () => (next() & 255).toString(16).padStart(2, "0"))].join(":");
  while (changes.length < count) {
    const device = devices[next() % 2];
    const kind = next() % 3;
    if (kind === 0) {
      const length = 16 + (next() % 17);
      const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
      const destination = `${numberToIpv4((((10 << 24) | (244 << 16) | (next() & 0xffff)) & mask) >>> 0)}/${length}`;
      if (expected.has(`route ${destination}`)) continue;
      const style = next() % 4;
      const via = device === "eth0" ? `198.18.0.${2 + (next() % 200)}` : `198.19.0.${2 + (next() % 200)}`;
      const change: KernelChange =
        style === 0 ? { kind: "route", op: "replace", destination, via, device, protocol: 107 }
        : style === 1 ? { kind: "route", op: "replace", destination, via: `198.18.${next() & 255}.${1 + (next() % 254)}`, device, onlink: true, protocol: 107 }
        : style === 2 ? { kind: "route", op: "replace", destination, blackhole: true, protocol: 107 }
        : { kind: "route", op: "replace", destination, device, scope: "link", protocol: 107 };
      changes.push(change);
      expected.set(`route ${destination}`, routeWords(change as Extract<KernelChange, { kind: "route" }>));
    } else if (kind === 1) {
      const address = `10.${200 + (next() % 40)}.${next() & 255}.${1 + (next() % 254)}`;
      const length = 8 + (next() % 25);
      if (expected.has(`address ${address}`)) continue;
      changes.push({ kind: "address", op: "add", address: `${address}/${length}`, device });
      expected.set(`address ${address}`, `address ${address}/${length} dev ${device}`);
    } else {
      const address = `198.${18 + (next() % 2)}.${next() & 255}.${1 + (next() % 254)}`;
      if (expected.has(`neighbour ${address} ${device}`)) continue;
      const lladdr = mac();
      changes.push({ kind: "neighbour", op: "replace", address, mac: lladdr, device });
      expected.set(`neighbour ${address} ${device}`, `neighbour ${address} lladdr ${lladdr} dev ${device}`);
    }
  }
  return { changes, expected };
}

function routeWords(route: { destination: string; via?: string; device?: string; onlink?: boolean; blackhole?: boolean }): string {
  return `route ${route.blackhole ? "blackhole " : ""}${route.destination}${route.via ? ` via ${route.via}` : ""}${route.device ? ` dev ${route.device}` : ""}${route.onlink ? " onlink" : ""}`;
}

/** The namespace's podnet routes, addresses on eth0/eth1 but the base ones, permanent neighbours: through the netlink dumps. */
function netlinkView(namespace: string): string[] {
  const socket = new RouteNetlink(namespace);
  try {
    const names = new Map(socket.dumpLinks().map((link) => [link.index, link.name]));
    const routes = socket.dumpRoutes().filter((route) => route.protocol === 107 && route.table === 254)
      .map((route) => routeWords({ destination: route.destination, via: route.gateway, device: route.device ? names.get(route.device) : undefined, onlink: route.onlink, blackhole: route.type === RouteType.Blackhole }));
    const addresses = socket.dumpAddresses().filter((entry) => entry.address.startsWith("10.")).map((entry) => `address ${entry.address} dev ${names.get(entry.index)}`);
    const neighbours = socket.dumpNeighbours(NetlinkFamily.Inet).filter((entry) => entry.state === NeighbourState.Permanent)
      .map((entry) => `neighbour ${entry.destination} lladdr ${entry.mac} dev ${names.get(entry.index)}`);
    return [...routes, ...addresses, ...neighbours].sort();
  } finally {
    socket.close();
  }
}

/** The same through `ip -json`. */
function ipView(namespace: string): string[] {
  const name = namespace.split("/").pop()!;
  const ip = (args: string[]) => JSON.parse(execFileSync("ip", ["-n", name, "-json", ...args], { encoding: "utf8" }) || "[]");
  const routes = (ip(["route", "show", "proto", "107"]) as Array<{ dst: string; gateway?: string; dev?: string; type?: string; flags: string[] }>)
    .map((route) => routeWords({ destination: route.dst.includes("/") ? route.dst : `${route.dst}/32`, via: route.gateway, device: route.dev, onlink: route.flags.includes("onlink"), blackhole: route.type === "blackhole" }));
  const addresses = (ip(["-4", "address", "show"]) as Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>)
    .flatMap((link) => link.addr_info.filter((entry) => entry.local.startsWith("10.")).map((entry) => `address ${entry.local}/${entry.prefixlen} dev ${link.ifname}`));
  const neighbours = (ip(["neigh", "show", "nud", "permanent"]) as Array<{ dst: string; lladdr: string; dev: string }>).map((entry) => `neighbour ${entry.dst} lladdr ${entry.lladdr} dev ${entry.dev}`);
  return [...routes, ...addresses, ...neighbours].sort();
}

test("property: 300 random routes, addresses and neighbours through netlink read back the same through the netlink dumps and ip -json, before and after random deletes", async () => {
  const { node } = makeNode("prop");
  const name = node.split("/").pop()!;
  execFileSync("ip", ["-n", name, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1"]);
  execFileSync("ip", ["-n", name, "addr", "add", "198.19.0.1/24", "dev", "eth1"]);
  for (const link of ["eth1", "peer1"]) execFileSync("ip", ["-n", name, "link", "set", link, "up"]);
  for (const seed of [20261204, 7, 99]) {
    const { changes, expected } = randomChanges(seed, 300);
    assert.equal(await netlinkKernel.apply(changes, node), [], `seed ${seed}: nothing refused`);
    const want = [...expected.values()].sort();
    assert.equal(netlinkView(node), want, `seed ${seed}: the netlink dumps`);
    assert.equal(ipView(node), want, `seed ${seed}: ip -json`);
    // Delete every other route and neighbour (addresses stay: podnet never deletes one), then compare again.
    const next = seededRandom(seed + 1);
    const deletes: KernelChange[] = [];
    for (const change of changes) {
      if (next() % 2 === 0) continue;
      if (change.kind === "route") {
        deletes.push({ kind: "route", op: "delete", destination: change.destination, protocol: 107 });
        expected.delete(`route ${change.destination}`);
      } else if (change.kind === "neighbour") {
        deletes.push({ kind: "neighbour", op: "delete", address: change.address, device: change.device });
        expected.delete(`neighbour ${change.address} ${change.device}`);
      }
    }
    assert.equal(await netlinkKernel.apply(deletes, node), [], `seed ${seed}: no delete refused`);
    const left = [...expected.values()].sort();
    assert.equal(netlinkView(node), left, `seed ${seed}: the netlink dumps after deletes`);
    assert.equal(ipView(node), left, `seed ${seed}: ip -json after deletes`);
    // Clean the slate for the next seed: the rest of the routes and neighbours, and the addresses (by ip).
    await netlinkKernel.apply(changes.filter((change) => change.kind !== "address").map((change) =>
      change.kind === "route" ? { kind: "route", op: "delete", destination: change.destination, protocol: 107 } as KernelChange : { ...change, op: "delete" } as KernelChange), node);
    for (const device of ["eth0", "eth1"]) execFileSync("ip", ["-n", name, "addr", "flush", "dev", device, "to", "10.0.0.0/8"]);
  }
});

test.run();
