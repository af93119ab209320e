// The address source for a network config: Calico's blocks when its IPAM says podnet-blocks, else
// the node's subnet lease. Kept apart from the AddressSource interface, which both sources import.

import { BLOCK_IPAM, type NetworkConfig } from "./config";
import type { AddressSource } from "./address-source";
import { BlockAddressSource, type NodeIpam } from "./block-source";
import { SubnetLeaseSource } from "./lease-source";

/** The address source for a network config; `served`: the agent's block IPAM, when it runs the plugin. */
export function addressSourceFor(config: NetworkConfig, served?: NodeIpam): AddressSource {
  return config.ipam.type === BLOCK_IPAM ? new BlockAddressSource(config, served) : new SubnetLeaseSource(config);
}
