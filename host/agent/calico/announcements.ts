// What a Calico node announces: its affine blocks and the /32 of each address it borrowed from
// another node's block (Calico's BIRD exports exactly these), read from the IPAM.

import { addressAt } from "../../ipam/block";
import type { CorruptEntry } from "../../ipam/handles";
import type { BlockIpam } from "../../ipam/ipam";

/** This node's affine blocks and borrowed /32s; a block entry that does not parse is handed to `reportCorrupt`. */
export async function wantedAnnouncements(ipam: BlockIpam, nodeName: string, reportCorrupt: (entry: CorruptEntry) => void): Promise<{ blocks: string[]; borrowed: string[] }> {
  const blocks = await ipam.affineBlocks(nodeName);
  const borrowed: string[] = [];
  const { blocks: stored, corrupt } = await ipam.blocks();
  for (const entry of corrupt) reportCorrupt(entry);
  for (const { block } of stored) {
    if (block.affinity === nodeName) continue;
    block.allocations.forEach((handle, offset) => {
      if (handle !== null && block.attributes[handle]?.node === nodeName) borrowed.push(`${addressAt(block, offset)}/32`);
    });
  }
  return { blocks, borrowed };
}
