// Pod addresses: podnet's own allocator inside the node's subnet (host-local's on-disk format,
// host-local's lock), or the IPAM plugin the config names, delegated to as libcni would.

import { join } from "node:path";
import { ipv4ToNumber, networkOf, numberToIpv4 } from "../shared/addresses";
import { parsePrefix } from "../shared/addresses";
import { AddressStore, type AddressRange, attachmentKey, heldBy } from "./address-store";
import type { NetworkConfig } from "./config";
import { execPlugin, findPlugin } from "./delegate";
import type { Environment } from "./environment";
import { CniError, CniErrorCode } from "./errors";
import { withFileLock } from "./file-lock";
import { compareVersions } from "./versions";

/** The node's subnet as the subnet file gives it. */
export interface NodeSubnet {
  /** e.g. 10.244.1.0/24 */
  subnet: string;
  /** The subnet's .1: the bridge's address in bridge mode, never handed to a pod. */
  gateway: string;
  mtu: number;
  network: string;
}

export interface Allocation {
  address: string;
  prefixLength: number;
}

const BUILT_IN = "podnet";

export function addressStore(config: NetworkConfig): AddressStore {
  return new AddressStore(join(config.ipam.dataDir, config.name));
}

/** The addresses podnet may hand out: the subnet less network, gateway (.1) and broadcast, narrowed by rangeStart/rangeEnd. */
export function allocationRange(config: NetworkConfig, node: NodeSubnet): AddressRange {
  const { address: network, length } = parsePrefix(node.subnet);
  const broadcast = network + 2 ** (32 - length) - 1;
  const inside = (text: string | undefined, key: string, fallback: number) => {
    if (text === undefined) return fallback;
    const value = ipv4ToNumber(text);
    if (networkOf(value, length) !== network || value < network + 2 || value >= broadcast) {
      throw new CniError(CniErrorCode.InvalidNetworkConfig, `ipam.${key} ${text} is not a usable address of the node's subnet ${node.subnet} (${numberToIpv4(network + 2)}–${numberToIpv4(broadcast - 1)})`);
    }
    return value;
  };
  const first = inside(config.ipam.rangeStart, "rangeStart", network + 2);
  const last = inside(config.ipam.rangeEnd, "rangeEnd", broadcast - 1);
  if (first > last) throw new CniError(CniErrorCode.InvalidNetworkConfig, `ipam.rangeStart ${numberToIpv4(first)} is after ipam.rangeEnd ${numberToIpv4(last)}`);
  return { first, last };
}

/** The config handed to a delegated IPAM plugin: ours, with the node's subnet as its range unless the config gives one. */
function delegatedConfig(config: NetworkConfig, node: NodeSubnet | undefined): Record<string, unknown> {
  const ipam = { ...config.ipam.raw };
  if (node && ipam.ranges === undefined && ipam.subnet === undefined) ipam.ranges = [[{ subnet: node.subnet, gateway: node.gateway }]];
  // IPAM results are the same in 1.0.0 and 1.1.0, and host-local as packaged today stops at 1.0.0.
  const cniVersion = compareVersions(config.cniVersion, "1.0.0") > 0 ? "1.0.0" : config.cniVersion;
  const { prevResult: _previous, ...rest } = config.raw;
  return { ...rest, cniVersion, ipam };
}

/** Reserves an address for the attachment. */
export async function allocateAddress(config: NetworkConfig, environment: Environment, node: NodeSubnet): Promise<Allocation> {
  if (config.ipam.type !== BUILT_IN) {
    const plugin = findPlugin(config.ipam.type, environment.path, "ipam.type");
    const result = await execPlugin(plugin, "ADD", environment.variables, delegatedConfig(config, node));
    const ips = (result?.ips ?? []) as Array<{ address?: string }>;
    const ipv4 = ips.map((ip) => ip.address ?? "").find((address) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(address));
    if (!ipv4) throw new CniError(CniErrorCode.DecodingFailure, `ipam plugin ${config.ipam.type} returned no IPv4 address`, JSON.stringify(result));
    const [address, length] = ipv4.split("/");
    return { address, prefixLength: Number(length) };
  }
  const store = addressStore(config);
  const range = allocationRange(config, node);
  return withFileLock(store.lockPath, () => {
    const existing = store.find(environment.containerId, environment.ifName);
    if (existing) {
      throw new CniError(CniErrorCode.InvalidEnvironment, `CNI_CONTAINERID ${environment.containerId} CNI_IFNAME ${environment.ifName} already has ${existing.address}: ADD again without DEL`);
    }
    const address = store.reserve(environment.containerId, environment.ifName, range);
    if (!address) {
      throw new CniError(CniErrorCode.TryAgainLater, `no free address in ${node.subnet}: all ${range.last - range.first + 1} of ${numberToIpv4(range.first)}–${numberToIpv4(range.last)} are in use`);
    }
    return { address, prefixLength: parsePrefix(node.subnet).length };
  });
}

/**
 * Releases the attachment's address; nothing to release is fine (DEL is idempotent). A delegated
 * plugin gets the node's subnet as on ADD (host-local refuses a config without ranges); without a
 * subnet file, a host-local reservation is released on disk directly, the format being the same.
 */
export async function releaseAddress(config: NetworkConfig, environment: Environment, node: NodeSubnet | undefined): Promise<void> {
  if (config.ipam.type !== BUILT_IN && (node || config.ipam.type !== "host-local")) {
    const plugin = findPlugin(config.ipam.type, environment.path, "ipam.type");
    await execPlugin(plugin, "DEL", environment.variables, delegatedConfig(config, node));
    return;
  }
  const store = addressStore(config);
  await withFileLock(store.lockPath, () => store.release(environment.containerId, environment.ifName));
}

/** Whether the attachment still holds `address`. */
export function holdsAddress(config: NetworkConfig, environment: Environment, address: string): boolean {
  const entry = addressStore(config).reservations().find((reservation) => reservation.address === address);
  return entry !== undefined && heldBy(entry, environment.containerId, environment.ifName);
}

/**
 * GC: frees every reservation whose attachment is not in the valid list. The on-disk format is
 * host-local's, so this covers a delegated host-local too (which as packaged has no GC itself).
 */
export async function collectAddresses(config: NetworkConfig, keep: Set<string>): Promise<string[]> {
  const store = addressStore(config);
  return withFileLock(store.lockPath, () => store.keepOnly(keep));
}

export { attachmentKey };
