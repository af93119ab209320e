// Blocks of nodes that are gone: a node whose Node entry expired (or was deleted) keeps its blocks
// until it has been gone for the leak grace period (Calico: 15 minutes), so a node that only
// restarts slowly loses nothing; then they are given back (releaseNodeBlocks).

import type { BlockIpam } from "./ipam";

export class LeakedBlocks {
  /** Nodes holding blocks with no Node entry, and since when (ms) they have been seen so. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly ipam: BlockIpam,
    private readonly graceSeconds: number,
  ) {}

  /** Releases the blocks of holders not in `present` once gone for the grace period; returns what it released, by node. */
  async release(present: Set<string>, now = Date.now()): Promise<Array<{ node: string; blocks: string[] }>> {
    const released: Array<{ node: string; blocks: string[] }> = [];
    const holders = await this.ipam.nodesWithBlocks();
    for (const node of [...this.missingSince.keys()]) if (present.has(node) || !holders.includes(node)) this.missingSince.delete(node);
    for (const node of holders) {
      if (present.has(node)) continue;
      const since = this.missingSince.get(node) ?? now;
      this.missingSince.set(node, since);
      if (now - since < this.graceSeconds * 1000) continue;
      released.push({ node, blocks: await this.ipam.releaseNodeBlocks(node) });
      this.missingSince.delete(node);
    }
    return released;
  }
}
