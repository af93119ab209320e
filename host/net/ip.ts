// The changes podnet makes to the kernel, spelled in this one place (a Kernel carries them out),
// and the reads built on a Kernel's. podnet's routes carry its own route protocol number, so
// podnet only ever changes routes it made.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type KernelChange, PODNET_ROUTE_PROTOCOL } from "./changes";
import { isAlreadyGone, KernelError, type Kernel } from "./kernel";
import { type RouteState, SCOPE_LINK } from "./state";

export { PODNET_ROUTE_PROTOCOL };

/**
 * Names podnet's route protocol for iproute2 (`proto podnet` in `ip route`, as Calico's routes
 * read `proto bird`): writes `<directory>/podnet.conf` unless it already says so. Returns the file.
 */
export function nameRouteProtocol(directory: string): string {
  const file = join(directory, "podnet.conf");
  const text = `# written by podnet: the protocol of the routes it programs\n${PODNET_ROUTE_PROTOCOL}\tpodnet\n`;
  if (existsSync(file) && readFileSync(file, "utf8") === text) return file;
  mkdirSync(directory, { recursive: true });
  writeFileSync(file, text, { mode: 0o644 });
  return file;
}

const PROTO = PODNET_ROUTE_PROTOCOL;

/** The changes podnet makes, each spelled as the `ip` command it stands for (for Kernel.apply). */
export const ipCommands = {
  routeReplace: (prefix: string, via: string, device: string, onlink = false): KernelChange =>
    ({ kind: "route", op: "replace", destination: prefix, via, device, onlink, protocol: PROTO }),
  /** A route straight into a point-to-point device (a TUN device), no gateway. */
  routeReplaceOnDevice: (prefix: string, device: string): KernelChange => ({ kind: "route", op: "replace", destination: prefix, device, protocol: PROTO }),
  routeDelete: (prefix: string): KernelChange => ({ kind: "route", op: "delete", destination: prefix, protocol: PROTO }),
  /** A local block (Calico mode): addresses of it that no pod holds go nowhere. */
  routeReplaceBlackhole: (prefix: string): KernelChange => ({ kind: "route", op: "replace", blackhole: true, destination: prefix, protocol: PROTO }),
  /** A pod's /32 (or any on-link destination) through a device, the kernel's own protocol. */
  routeReplaceLink: (destination: string, device: string): KernelChange => ({ kind: "route", op: "replace", destination, device, scope: "link" }),
  routeAddLink: (destination: string, device: string): KernelChange => ({ kind: "route", op: "add", destination, device, scope: "link" }),
  routeAddDefault: (via: string, device: string): KernelChange => ({ kind: "route", op: "add", destination: "default", via, device }),
  neighbourReplace: (address: string, mac: string, device: string): KernelChange => ({ kind: "neighbour", op: "replace", address, mac, device }),
  neighbourDelete: (address: string, device: string): KernelChange => ({ kind: "neighbour", op: "delete", address, device }),
  addressReplace: (address: string, device: string): KernelChange => ({ kind: "address", op: "replace", address, device }),
  addressAdd: (address: string, device: string): KernelChange => ({ kind: "address", op: "add", address, device }),
  linkDelete: (name: string): KernelChange => ({ kind: "link", op: "delete", name }),
  linkUp: (name: string): KernelChange => ({ kind: "link", op: "set", name, up: true }),
  linkMtuUp: (name: string, mtu: number): KernelChange => ({ kind: "link", op: "set", name, mtu, up: true }),
  linkMaster: (name: string, master: string): KernelChange => ({ kind: "link", op: "set", name, master }),
  hairpinOn: (name: string): KernelChange => ({ kind: "link", op: "set", name, hairpin: true }),
  bridgeAdd: (name: string, mac: string): KernelChange => ({ kind: "link", op: "add", type: "bridge", name, mac }),
  /** `mac`: the device's MAC (one it had before); the kernel draws one when absent. */
  vxlanAdd: (name: string, vni: number, local: string, device: string, port: number, mac?: string): KernelChange =>
    ({ kind: "link", op: "add", type: "vxlan", name, vni, local, device, port, mac }),
  /** A veth pair whose second end is created inside the namespace at path `netns`. */
  vethPair: (host: { name: string; mac: string }, pod: { name: string; mac: string; netns: string }, mtu: number): KernelChange =>
    ({ kind: "link", op: "add", type: "veth", name: host.name, mac: host.mac, mtu, peer: pod }),
};

/** `bridge` commands: VXLAN FDB entries. */
export const bridgeCommands = {
  fdbReplace: (mac: string, device: string, destination: string): KernelChange => ({ kind: "fdb", op: "replace", mac, device, destination }),
  fdbDelete: (mac: string, device: string, destination?: string): KernelChange => ({ kind: "fdb", op: "delete", mac, device, destination }),
};

/** Reads kernel state as JSON, blocking: only for start-up detection, before the event loop has work. */
export function ipJsonAtStartup<T>(args: string[]): T {
  let output: string;
  try {
    output = execFileSync("ip", ["-json", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    throw new KernelError([{ index: 0, command: `ip ${args.join(" ")}`, message: (error as { stderr?: string }).stderr?.trim() || (error as Error).message }]);
  }
  return (output === "" ? [] : JSON.parse(output)) as T;
}

/** Routes through `device` (in the namespace at path `netns`). */
export async function readDeviceRoutes(kernel: Kernel, device: string, netns?: string): Promise<RouteState[]> {
  return (await kernel.routes(netns)).filter((route) => route.dev === device);
}

/** The directly connected destinations (scope link routes): what this node reaches without a router. */
export async function readConnectedRoutes(kernel: Kernel): Promise<RouteState[]> {
  return (await kernel.routes()).filter((route) => route.scope === SCOPE_LINK);
}

/** podnet's routes (proto 107), optionally only those through `device`. */
export async function readPodnetRoutes(kernel: Kernel, device?: string): Promise<RouteState[]> {
  return (await kernel.routes()).filter((route) => route.protocol === PODNET_ROUTE_PROTOCOL && (device === undefined || route.dev === device));
}

/** Destinations of podnet's routes (proto 107), optionally only those through `device`. */
async function podnetRouteDestinations(kernel: Kernel, device?: string): Promise<string[]> {
  return (await readPodnetRoutes(kernel, device)).map((route) => route.dst);
}

/** Deletes podnet's routes to destinations not in `keep`, in one batch; returns the ones it deleted. */
export async function deleteRoutesExcept(kernel: Kernel, keep: Set<string>, device?: string): Promise<string[]> {
  const stale = (await podnetRouteDestinations(kernel, device)).filter((destination) => !keep.has(destination));
  const failures = (await kernel.apply(stale.map(ipCommands.routeDelete))).filter((failure) => !isAlreadyGone(failure));
  if (failures.length > 0) throw new KernelError(failures);
  return stale;
}
