// Flannel's subnet file (/run/flannel/subnet.env), which CNI plugins read for the node's subnet
// and MTU:
//   FLANNEL_NETWORK=10.244.0.0/16
//   FLANNEL_SUBNET=10.244.1.1/24      (the node's subnet with its first address, the bridge's)
//   FLANNEL_MTU=1450
//   FLANNEL_IPMASQ=true

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ipv4ToNumber, networkOf, numberToIpv4 } from "../net/addresses";
import { parsePrefix } from "../wasm/route-table";

export interface SubnetFile {
  network: string;
  subnet: string;
  mtu: number;
  ipMasquerade: boolean;
}

/** The file's text for `values`. */
export function subnetFileText(values: SubnetFile): string {
  const { address, length } = parsePrefix(values.subnet);
  return [
    `FLANNEL_NETWORK=${values.network}`,
    `FLANNEL_SUBNET=${numberToIpv4(address + 1)}/${length}`,
    `FLANNEL_MTU=${values.mtu}`,
    `FLANNEL_IPMASQ=${values.ipMasquerade}`,
    "",
  ].join("\n");
}

/** Writes the file atomically (write, then rename), so a reader never sees half of it. */
export function writeSubnetFile(path: string, values: SubnetFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, subnetFileText(values));
  renameSync(partial, path);
}

/** What a subnet file says: the network, the node's subnet as a prefix, its first address, MTU. */
export interface SubnetFileValues extends SubnetFile {
  /** The subnet's first address (the bridge's, in Flannel's layout). */
  firstAddress: string;
}

/** Parses the file's text; undefined names the first line that is missing or malformed. */
export function parseSubnetFile(text: string): SubnetFileValues | { missing: string } {
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1]?.trim();
  const subnet = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(value("FLANNEL_SUBNET") ?? "");
  if (!subnet || Number(subnet[2]) < 1 || Number(subnet[2]) > 30) return { missing: "FLANNEL_SUBNET" };
  const network = value("FLANNEL_NETWORK");
  if (!network || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(network)) return { missing: "FLANNEL_NETWORK" };
  const mtu = Number(value("FLANNEL_MTU"));
  if (!Number.isInteger(mtu) || mtu < 576) return { missing: "FLANNEL_MTU" };
  const length = Number(subnet[2]);
  return {
    network,
    subnet: `${numberToIpv4(networkOf(ipv4ToNumber(subnet[1]), length))}/${length}`,
    firstAddress: subnet[1],
    mtu,
    ipMasquerade: value("FLANNEL_IPMASQ") === "true",
  };
}

/** The subnet a previous run wrote (as a network prefix), or undefined when there is no usable file. */
export function previousSubnet(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const match = /^FLANNEL_SUBNET=(\d+\.\d+\.\d+\.\d+)\/(\d+)$/m.exec(text);
  if (!match) return undefined;
  const length = Number(match[2]);
  if (length < 1 || length > 32) return undefined;
  return `${numberToIpv4(networkOf(ipv4ToNumber(match[1]), length))}/${length}`;
}
