// Flannel mode's address source: the node's subnet lease, read from the agent's subnet file, with
// podnet's host-local-format allocator (or a delegated IPAM plugin) inside it.

import { readFileSync } from "node:fs";
import { parseSubnetFile } from "../shared/subnet-file";
import type { NetworkConfig } from "./config";
import type { AddressSource } from "./address-source";
import type { Environment } from "./environment";
import { CniError, CniErrorCode } from "./errors";
import { addressStore, allocateAddress, allocationRange, collectAddresses, holdsAddress, type NodeSubnet, releaseAddress } from "./ipam";
import type { PodAddressing } from "./pod-link";

/** The node's subnet from the agent's subnet file; code 11 while there is none (no lease yet). */
function readNodeSubnet(path: string): NodeSubnet {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CniError(CniErrorCode.TryAgainLater, `no subnet lease yet: cannot read ${path} (is the podnet agent running?)`, (error as Error).message);
  }
  const values = parseSubnetFile(text);
  if ("missing" in values) throw new CniError(CniErrorCode.TryAgainLater, `${path} has no valid ${values.missing} line`);
  return { subnet: values.subnet, gateway: values.firstAddress, mtu: values.mtu, network: values.network };
}

/** Addresses inside the node's subnet lease (Flannel mode). */
export class SubnetLeaseSource implements AddressSource {
  constructor(private readonly config: NetworkConfig) {}

  async allocate(environment: Environment): Promise<PodAddressing> {
    const node = readNodeSubnet(this.config.subnetFile);
    const allocation = await allocateAddress(this.config, environment, node);
    return { ...allocation, gateway: node.gateway, mtu: this.config.mtu ?? node.mtu };
  }

  async release(environment: Environment): Promise<void> {
    let node: NodeSubnet | undefined;
    try {
      node = readNodeSubnet(this.config.subnetFile);
    } catch {
      node = undefined; // DEL must work without a lease too
    }
    await releaseAddress(this.config, environment, node);
  }

  async holds(environment: Environment, address: string): Promise<boolean> {
    return holdsAddress(this.config, environment, address);
  }

  async checkAvailable(): Promise<void> {
    let node: NodeSubnet;
    try {
      node = readNodeSubnet(this.config.subnetFile);
    } catch (error) {
      throw new CniError(CniErrorCode.PluginNotAvailable, (error as CniError).message);
    }
    if (this.config.ipam.type === "podnet" && addressStore(this.config).freeCount(allocationRange(this.config, node)) === 0) {
      throw new CniError(CniErrorCode.PluginNotAvailable, `no free address left in ${node.subnet}`);
    }
  }

  async collect(keep: Set<string>): Promise<void> {
    await collectAddresses(this.config, keep);
  }
}
