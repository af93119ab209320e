// The cluster's network configuration in Flannel's format, as stored at <prefix>/config:
// {"Network":"10.244.0.0/16","SubnetLen":24,"SubnetMin":"10.244.1.0","SubnetMax":"10.244.255.0",
//  "Backend":{"Type":"vxlan"}}. SubnetMin and SubnetMax default as Flannel's do: the second
// subnet of the network and the last one.

import { parsePrefix, type Prefix } from "../shared/addresses";
import { ipv4ToNumber, numberToIpv4 } from "../shared/addresses";

export interface NetworkConfig {
  network: Prefix;
  subnetLength: number;
  subnetMin: number;
  subnetMax: number;
  backendType: string;
  /** The whole Backend object, for backend-specific settings (VNI, Port…). */
  backend: Record<string, unknown>;
}

/** A configuration that cannot be used; the message names the field. */
export class ConfigError extends Error {
  readonly code = "CONFIG";
}

/** Parses and checks the stored JSON text. */
export function parseFlannelNetworkConfig(text: string): NetworkConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`network config is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null) throw new ConfigError("network config must be a JSON object");
  if (typeof raw.Network !== "string") throw new ConfigError('network config needs "Network", e.g. "10.244.0.0/16"');
  let network: Prefix;
  try {
    network = parsePrefix(raw.Network);
  } catch (error) {
    throw new ConfigError(`network config "Network": ${(error as Error).message}`);
  }
  const subnetLength = raw.SubnetLen ?? 24;
  if (!Number.isInteger(subnetLength) || (subnetLength as number) <= network.length || (subnetLength as number) > 30) {
    throw new ConfigError(`network config "SubnetLen" ${JSON.stringify(subnetLength)} must be a whole number from ${network.length + 1} to 30`);
  }
  const size = 2 ** (32 - (subnetLength as number));
  const first = network.address;
  const last = network.address + 2 ** (32 - network.length) - size;
  const bound = (name: string, fallback: number): number => {
    if (raw[name] === undefined) return fallback;
    let value: number;
    try {
      value = ipv4ToNumber(String(raw[name]));
    } catch (error) {
      throw new ConfigError(`network config "${name}": ${(error as Error).message}`);
    }
    if (value < first || value > last || (value - first) % size !== 0) {
      throw new ConfigError(`network config "${name}" ${raw[name]} is not a /${subnetLength} subnet of ${raw.Network}`);
    }
    return value;
  };
  const subnetMin = bound("SubnetMin", first + size);
  const subnetMax = bound("SubnetMax", last);
  if (subnetMin > subnetMax) throw new ConfigError(`network config "SubnetMin" ${numberToIpv4(subnetMin)} is above "SubnetMax" ${numberToIpv4(subnetMax)}`);
  const backend = (typeof raw.Backend === "object" && raw.Backend !== null ? raw.Backend : {}) as Record<string, unknown>;
  const backendType = typeof backend.Type === "string" ? backend.Type : "udp"; // Flannel's default backend
  return { network, subnetLength: subnetLength as number, subnetMin, subnetMax, backendType, backend };
}

/** Every subnet the configuration lets nodes lease, lowest first, as network addresses. */
export function leasableSubnets(config: NetworkConfig): number[] {
  const size = 2 ** (32 - config.subnetLength);
  const subnets: number[] = [];
  for (let address = config.subnetMin; address <= config.subnetMax; address += size) subnets.push(address);
  return subnets;
}
