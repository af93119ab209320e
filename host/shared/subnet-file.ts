// Flannel's subnet file (/run/flannel/subnet.env), which CNI plugins read for the node's subnet
// and MTU:
//   FLANNEL_NETWORK=10.244.0.0/16
//   FLANNEL_SUBNET=10.244.1.1/24      (the node's subnet with its first address, the bridge's)
//   FLANNEL_MTU=1450
//   FLANNEL_IPMASQ=true

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ipv4ToNumber, networkOf, numberToIpv4 } from "./addresses";
import { parsePrefix } from "./addresses";

interface SubnetFile {
  network: string;
  subnet: string;
  mtu: number;
  ipMasquerade: boolean;
}

/** The file's text for `values`. */
function subnetFileText(values: SubnetFile): string {
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
interface SubnetFileValues extends SubnetFile {
  /** The subnet's first address (the bridge's, in Flannel's layout). */
  firstAddress: string;
}

/** The value of line `NAME=…`, if the text has one. */
function lineValue(text: string, name: string): string | undefined {
  return new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1]?.trim();
}

/** FLANNEL_SUBNET's first address and prefix length, if the line is an address/length at all. */
function subnetLine(text: string): { firstAddress: string; length: number } | undefined {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(lineValue(text, "FLANNEL_SUBNET") ?? "");
  return match ? { firstAddress: match[1], length: Number(match[2]) } : undefined;
}

/** Parses the file's text; `missing` names the first line that is missing or malformed. */
export function parseSubnetFile(text: string): SubnetFileValues | { missing: string } {
  const value = (name: string) => lineValue(text, name);
  const subnet = subnetLine(text);
  // Pods need addresses besides the network, .1 and broadcast: at most a /30.
  if (!subnet || subnet.length < 1 || subnet.length > 30) return { missing: "FLANNEL_SUBNET" };
  const network = value("FLANNEL_NETWORK");
  if (!network || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(network)) return { missing: "FLANNEL_NETWORK" };
  const mtu = Number(value("FLANNEL_MTU"));
  if (!Number.isInteger(mtu) || mtu < 576) return { missing: "FLANNEL_MTU" };
  const { firstAddress, length } = subnet;
  return {
    network,
    subnet: `${numberToIpv4(networkOf(ipv4ToNumber(firstAddress), length))}/${length}`,
    firstAddress,
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
  const subnet = subnetLine(text);
  if (!subnet || subnet.length < 1 || subnet.length > 32) return undefined;
  return `${numberToIpv4(networkOf(ipv4ToNumber(subnet.firstAddress), subnet.length))}/${subnet.length}`;
}
