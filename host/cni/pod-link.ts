// The kernel side of a pod attachment, one veth pair per pod:
//   bridge (Flannel):  host end enslaved to the bridge (cni0, holding the subnet's .1), hairpin on;
//                      pod gets <address>/<subnet length>, default route via .1.
//   routed (Calico):   no bridge; host end cali<hash> with MAC ee:ee:ee:ee:ee:ee and proxy ARP,
//                      a /32 route to the pod through it; pod gets <address>/32, default route via
//                      169.254.1.1 (plus a permanent neighbour for it, so a host without a default
//                      route — where proxy ARP stays silent — still works).
// The host end's name is derived from the attachment, so DEL and GC find it without the netns.

import { createHash } from "node:crypto";
import type { KernelChange } from "../net/changes";
import { ipCommands, readDeviceRoutes } from "../net/ip";
import { applyOrThrow, isAlreadyGone, type Kernel } from "../net/kernel";
import type { NetworkConfig } from "./config";
import { CniError, CniErrorCode } from "./errors";
import type { CniResult } from "./versions";

interface Attachment {
  containerId: string;
  ifName: string;
  netns: string;
}

export interface PodAddressing {
  address: string;
  prefixLength: number;
  /** bridge mode: the bridge's address (the subnet's .1) */
  gateway: string;
  mtu: number;
}

/** The gateway every routed pod uses; link-local, answered by proxy ARP on the host end. */
const ROUTED_GATEWAY = "169.254.1.1";
const ROUTED_HOST_MAC = "ee:ee:ee:ee:ee:ee";

function attachmentHash(attachment: Pick<Attachment, "containerId" | "ifName">): string {
  return createHash("sha1").update(`${attachment.containerId}/${attachment.ifName}`).digest("hex");
}

/** The host end's name: the prefix and as much of the attachment's hash as fits in 15 characters. */
export function hostVethName(prefix: string, attachment: Pick<Attachment, "containerId" | "ifName">): string {
  return prefix + attachmentHash(attachment).slice(0, 15 - prefix.length);
}

/** Pods' MAC: 0a:58 and the IPv4 address, Kubernetes' convention, so a capture tells the pod. */
function podMac(address: string): string {
  return ["0a", "58", ...address.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0"))].join(":");
}

/** A stable locally administered unicast MAC from a hash. */
function hashedMac(seed: string): string {
  const bytes = createHash("sha1").update(seed).digest().subarray(0, 6);
  bytes[0] = (bytes[0] & 0xfe) | 0x02;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(":");
}

/** The MAC of each bridge this process has seen, so an ADD does not read it again. */
const bridgeMacs = new Map<string, string>();
const bridgesInFlight = new Map<string, Promise<string>>();

async function bridgeMac(kernel: Kernel, name: string): Promise<string> {
  if (!(await kernel.linkExists(name))) {
    const mac = hashedMac(`bridge/${name}`);
    const [failure] = await kernel.apply([ipCommands.bridgeAdd(name, mac)]);
    if (!failure) {
      bridgeMacs.set(name, mac);
      return mac;
    }
    if (!/File exists/.test(failure.message)) throw new CniError(CniErrorCode.KernelRefused, `cannot create bridge ${name}`, failure.message);
  }
  const known = bridgeMacs.get(name);
  if (known) return known;
  const bridge = await kernel.link(name);
  if (!bridge) throw new CniError(CniErrorCode.KernelRefused, `bridge ${name} vanished while it was being set up`);
  bridgeMacs.set(name, bridge.address);
  return bridge.address;
}

/**
 * Makes sure the bridge exists and returns its MAC; concurrent callers share one check. Its
 * address and up state are not read back: the ADD's own batch re-applies them (idempotent).
 */
function ensureBridge(kernel: Kernel, name: string): Promise<string> {
  const running = bridgesInFlight.get(name);
  if (running) return running;
  const check = bridgeMac(kernel, name).finally(() => bridgesInFlight.delete(name));
  bridgesInFlight.set(name, check);
  return check;
}

async function deleteLink(kernel: Kernel, name: string): Promise<void> {
  const [failure] = await kernel.apply([ipCommands.linkDelete(name)]);
  if (failure && !isAlreadyGone(failure)) throw new CniError(CniErrorCode.KernelRefused, `cannot delete ${name}`, failure.message);
}

/** Creates the veth pair and configures both ends; on failure removes what it made and rethrows. */
async function createVethPair(
  kernel: Kernel,
  hostName: string,
  hostMac: string,
  attachment: Attachment,
  addressing: PodAddressing,
  hostCommands: KernelChange[],
  podCommands: KernelChange[],
): Promise<void> {
  const pod = podMac(addressing.address);
  const { ifName, netns } = attachment;
  try {
    await applyOrThrow(kernel, [ipCommands.vethPair({ name: hostName, mac: hostMac }, { name: ifName, mac: pod, netns }, addressing.mtu), ...hostCommands]);
    await applyOrThrow(kernel, [ipCommands.linkUp("lo"), ...podCommands], netns);
  } catch (error) {
    await deleteLink(kernel, hostName).catch(() => undefined);
    throw new CniError(CniErrorCode.KernelRefused, `cannot attach ${ifName} in ${netns}`, (error as Error).message);
  }
}

/** Bridge mode ADD: the attachment's interfaces, addresses and routes as the result lists them. */
export async function attachBridgePod(kernel: Kernel, config: NetworkConfig, attachment: Attachment, addressing: PodAddressing): Promise<CniResult> {
  const bridgeMac = await ensureBridge(kernel, config.bridge);
  const hostName = hostVethName(config.hostVethPrefix, attachment);
  const hostMac = hashedMac(`veth/${hostName}`);
  const { ifName } = attachment;
  await createVethPair(
    kernel,
    hostName,
    hostMac,
    attachment,
    addressing,
    [
      ipCommands.addressReplace(`${addressing.gateway}/${addressing.prefixLength}`, config.bridge),
      ipCommands.linkUp(config.bridge),
      ipCommands.linkMaster(hostName, config.bridge),
      ...(config.hairpinMode ? [ipCommands.hairpinOn(hostName)] : []),
      ipCommands.linkUp(hostName),
    ],
    [ipCommands.addressAdd(`${addressing.address}/${addressing.prefixLength}`, ifName), ipCommands.linkUp(ifName), ipCommands.routeAddDefault(addressing.gateway, ifName)],
  );
  return {
    interfaces: [
      { name: config.bridge, mac: bridgeMac },
      { name: hostName, mac: hostMac },
      { name: ifName, mac: podMac(addressing.address), sandbox: attachment.netns, mtu: addressing.mtu },
    ],
    ips: [{ address: `${addressing.address}/${addressing.prefixLength}`, gateway: addressing.gateway, interface: 2 }],
    routes: [{ dst: "0.0.0.0/0", gw: addressing.gateway }],
    dns: {},
  };
}

/** Routed mode ADD. */
export async function attachRoutedPod(kernel: Kernel, config: NetworkConfig, attachment: Attachment, addressing: PodAddressing): Promise<CniResult> {
  const hostName = hostVethName(config.hostVethPrefix, attachment);
  const { ifName } = attachment;
  await createVethPair(
    kernel,
    hostName,
    ROUTED_HOST_MAC,
    attachment,
    addressing,
    [ipCommands.linkUp(hostName), ipCommands.routeReplaceLink(`${addressing.address}/32`, hostName)],
    [
      ipCommands.addressAdd(`${addressing.address}/32`, ifName),
      ipCommands.linkUp(ifName),
      ipCommands.routeAddLink(ROUTED_GATEWAY, ifName),
      ipCommands.routeAddDefault(ROUTED_GATEWAY, ifName),
      ipCommands.neighbourReplace(ROUTED_GATEWAY, ROUTED_HOST_MAC, ifName),
    ],
  );
  try {
    // /proc/sys/net is this process's network namespace: no exec needed.
    await kernel.writeSysctl(`net/ipv4/conf/${hostName}/proxy_arp`, "1");
    await kernel.writeSysctl(`net/ipv4/neigh/${hostName}/proxy_delay`, "0");
  } catch (error) {
    await deleteLink(kernel, hostName).catch(() => undefined);
    throw new CniError(CniErrorCode.KernelRefused, `cannot turn on proxy ARP on ${hostName}`, (error as Error).message);
  }
  return {
    interfaces: [
      { name: hostName, mac: ROUTED_HOST_MAC },
      { name: ifName, mac: podMac(addressing.address), sandbox: attachment.netns, mtu: addressing.mtu },
    ],
    ips: [{ address: `${addressing.address}/32`, interface: 1 }],
    routes: [{ dst: "0.0.0.0/0", gw: ROUTED_GATEWAY }],
    dns: {},
  };
}

/** DEL: removes the host end (the pod end and the /32 route go with it); already gone is fine. */
export async function detachPod(kernel: Kernel, config: NetworkConfig, attachment: Pick<Attachment, "containerId" | "ifName">): Promise<void> {
  await deleteLink(kernel, hostVethName(config.hostVethPrefix, attachment));
}

/** GC: deletes podnet's host ends (prefix + hash) that belong to no attachment in `keep` (host end names); returns them. */
export async function collectLinks(kernel: Kernel, config: NetworkConfig, keep: Set<string>): Promise<string[]> {
  const links = await kernel.links("veth");
  const ours = new RegExp(`^${config.hostVethPrefix}[0-9a-f]{${15 - config.hostVethPrefix.length}}$`);
  const stale = links.map((link) => link.ifname.split("@")[0]).filter((name) => ours.test(name) && !keep.has(name));
  for (const name of stale) await deleteLink(kernel, name);
  return stale;
}

function mismatch(message: string): CniError {
  return new CniError(CniErrorCode.CheckFailed, message);
}

/** CHECK: the pod's interface, addresses and routes and the host end are as `previous` says. */
export async function checkPod(kernel: Kernel, config: NetworkConfig, attachment: Attachment, previous: CniResult): Promise<void> {
  const { ifName, netns } = attachment;
  const index = previous.interfaces.findIndex((entry) => entry.name === ifName && entry.sandbox !== undefined);
  if (index < 0) throw mismatch(`prevResult lists no interface ${ifName} with a sandbox`);
  const pod = await kernel.link(ifName, netns).catch(() => undefined);
  if (!pod) throw mismatch(`${ifName} is missing from ${netns}`);
  if (pod.address.toLowerCase() !== previous.interfaces[index].mac.toLowerCase()) throw mismatch(`${ifName} has MAC ${pod.address}, prevResult says ${previous.interfaces[index].mac}`);
  for (const ip of previous.ips.filter((entry) => entry.interface === undefined || entry.interface === index)) {
    const [local, length] = ip.address.split("/");
    if (!pod.addr_info?.some((entry) => entry.local === local && entry.prefixlen === Number(length))) throw mismatch(`${ifName} in ${netns} lacks ${ip.address}`);
  }
  const routes = await readDeviceRoutes(kernel, ifName, netns);
  for (const route of previous.routes) {
    if (!routes.some((entry) => entry.dst === route.dst && (route.gw === undefined || entry.gateway === route.gw))) {
      throw mismatch(`${netns} has no route to ${route.dst}${route.gw ? ` via ${route.gw}` : ""} on ${ifName}`);
    }
  }
  const hostName = hostVethName(config.hostVethPrefix, attachment);
  const host = await kernel.link(hostName).catch(() => undefined);
  if (!host) throw mismatch(`host end ${hostName} is missing`);
  if (!host.flags.includes("UP")) throw mismatch(`host end ${hostName} is down`);
  if (config.mode === "bridge" && host.master !== config.bridge) throw mismatch(`host end ${hostName} is not on bridge ${config.bridge}`);
  if (config.mode === "routed") {
    const hostRoutes = await readDeviceRoutes(kernel, hostName);
    for (const ip of previous.ips) {
      const local = ip.address.split("/")[0];
      if (!hostRoutes.some((entry) => entry.dst === `${local}/32`)) throw mismatch(`no host route to ${local} through ${hostName}`);
    }
  }
}
