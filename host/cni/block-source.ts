// Calico mode's address source: a /32 per attachment from the node's blocks (host/ipam/), by
// handle "podnet.<container id>.<ifname>". Inside the agent the plugin uses the agent's IPAM on
// its open store; run in-process (agent down) it opens the store the conflist names, as Calico's
// plugin reaches the datastore itself.

import type { NetworkConfig } from "./config";
import type { Environment } from "./environment";
import { CniError, CniErrorCode } from "./errors";
import type { PodAddressing } from "./pod-link";
import type { AddressSource } from "./address-source";
import { attachmentKey } from "./ipam";
import { BlockIpam, IpamError } from "../ipam/ipam";
import { openStore } from "../store/open";
import { ResourceStore } from "../resources/store";
import { DEFAULT_UNDERLAY_MTU } from "./config";
import { detectInterface } from "../net/detect";
import { IPIP_OVERHEAD } from "../../assembly/shared/slots";

/** The agent's IPAM and this node's name, handed to the plugin it serves. */
export interface NodeIpam {
  ipam: BlockIpam;
  node: string;
  /** The pods' MTU now: the underlay's, less IPIP's 20 bytes when a pool uses it. */
  podMtu?: () => number;
}

/**
 * The pods' MTU with the agent down: the default route's interface's (1500 without one), less
 * IPIP's 20 bytes when an enabled pool uses it — what the agent would have said.
 */
async function standaloneMtu(ipam: BlockIpam): Promise<number> {
  let underlay = DEFAULT_UNDERLAY_MTU;
  try {
    underlay = detectInterface(undefined, false).mtu;
  } catch {
    // No default route (a lab, an isolated node): the common Ethernet MTU.
  }
  return underlay - ((await ipam.enabledPools()).some((pool) => pool.spec.ipipMode !== "Never") ? IPIP_OVERHEAD : 0);
}

const handleOf = (environment: Pick<Environment, "containerId" | "ifName">) => `podnet.${environment.containerId}.${environment.ifName}`;

export class BlockAddressSource implements AddressSource {
  constructor(
    private readonly config: NetworkConfig,
    private readonly served?: NodeIpam,
  ) {}

  /** Runs `work` with the agent's IPAM, or with one on the store the conflist names (closed after). */
  private async withIpam<T>(work: (ipam: BlockIpam, node: string) => Promise<T>): Promise<T> {
    if (this.served) return work(this.served.ipam, this.served.node);
    const blocks = this.config.ipam.blocks!;
    let kv;
    try {
      kv = await openStore({ store: blocks.store, storePath: blocks.storePath, etcdEndpoints: blocks.etcdEndpoints });
    } catch (error) {
      throw new CniError(CniErrorCode.TryAgainLater, `cannot open the ${blocks.store} store for block IPAM`, (error as Error).message);
    }
    try {
      return await work(new BlockIpam(kv, new ResourceStore(kv, blocks.prefix)), blocks.nodeName);
    } finally {
      await kv.close();
    }
  }

  async allocate(environment: Environment): Promise<PodAddressing> {
    const { assignment, mtu } = await this.withIpam(async (ipam, node) => {
      const assignment = await ipam.assign(node, handleOf(environment), { containerId: environment.containerId, ifname: environment.ifName, netns: environment.netns }).catch((error: Error) => {
        if (error instanceof IpamError) throw new CniError(CniErrorCode.TryAgainLater, error.message);
        throw new CniError(CniErrorCode.TryAgainLater, "block IPAM failed", error.message);
      });
      // The conflist's mtu when it says one, else the agent's (which knows whether pools use IPIP), else the same rule here.
      return { assignment, mtu: this.config.mtu ?? this.served?.podMtu?.() ?? (await standaloneMtu(ipam)) };
    });
    return { address: assignment.address, prefixLength: 32, gateway: "", mtu };
  }

  async release(environment: Environment): Promise<void> {
    await this.withIpam((ipam) => ipam.release(handleOf(environment)));
  }

  async holds(environment: Environment, address: string): Promise<boolean> {
    return (await this.withIpam((ipam) => ipam.addressOf(handleOf(environment))))?.address === address;
  }

  async checkAvailable(): Promise<void> {
    const pools = await this.withIpam((ipam) => ipam.enabledPools());
    if (pools.length === 0) throw new CniError(CniErrorCode.PluginNotAvailable, "no enabled IPPool in the store: apply one (podnet apply -f pool.yaml)");
  }

  /** Releases this node's allocations whose attachment is not in `keep`. */
  async collect(keep: Set<string>): Promise<void> {
    await this.withIpam(async (ipam, node) => {
      for (const { block } of (await ipam.blocks()).blocks) {
        for (const handle of block.allocations) {
          const attributes = handle === null ? undefined : block.attributes[handle];
          if (!attributes || attributes.node !== node || attributes.containerId === undefined || attributes.ifname === undefined) continue;
          if (!keep.has(attachmentKey(attributes.containerId, attributes.ifname))) await ipam.release(handle!);
        }
      }
    });
  }
}
