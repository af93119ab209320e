// One address block as the store keeps it (Calico's model): a CIDR carved from a pool (a /26 by
// default), the node it is affine to, and per address the handle that holds it (one handle per
// container ID and interface). Pure data and checks; the store work is in ipam.ts.

import { numberToIpv4, parsePrefix } from "../shared/addresses";

/** Who holds an address: the handle, and where the container is, for `ipam check`. */
export interface AllocationAttributes {
  node: string;
  containerId?: string;
  ifname?: string;
  netns?: string;
}

export interface Block {
  cidr: string;
  /** The node the block is affine to; null once released from a node that went away. */
  affinity: string | null;
  /** Per address offset, the handle holding it, or null. */
  allocations: Array<string | null>;
  attributes: Record<string, AllocationAttributes>;
  /** Unix ms when the block last became empty (for the empty-block grace period), or null. */
  emptySince: number | null;
}

export function newBlock(cidr: string, affinity: string | null): Block {
  const { length } = parsePrefix(cidr);
  return { cidr, affinity, allocations: new Array<string | null>(2 ** (32 - length)).fill(null), attributes: {}, emptySince: null };
}

/** A stored block checked for shape, or an error saying what is wrong with it. */
export function parseBlock(text: string, expectedCidr: string): Block {
  const value = JSON.parse(text) as Partial<Block>;
  if (value.cidr !== expectedCidr) throw new Error(`holds cidr ${JSON.stringify(value.cidr)}, not ${expectedCidr}`);
  const size = 2 ** (32 - parsePrefix(expectedCidr).length);
  if (!Array.isArray(value.allocations) || value.allocations.length !== size || value.allocations.some((handle) => handle !== null && typeof handle !== "string")) {
    throw new Error(`allocations is not a list of ${size} handles or nulls`);
  }
  if (value.affinity !== null && typeof value.affinity !== "string") throw new Error("affinity is not a node name or null");
  if (typeof value.attributes !== "object" || value.attributes === null) throw new Error("attributes missing");
  return { cidr: value.cidr, affinity: value.affinity, allocations: value.allocations, attributes: value.attributes as Record<string, AllocationAttributes>, emptySince: typeof value.emptySince === "number" ? value.emptySince : null };
}

export function addressAt(block: Block, offset: number): string {
  return numberToIpv4((parsePrefix(block.cidr).address + offset) >>> 0);
}

export function offsetOf(block: Block, address: number): number {
  return address - parsePrefix(block.cidr).address;
}

export function inUse(block: Block): number {
  return block.allocations.reduce((count, handle) => count + (handle === null ? 0 : 1), 0);
}

/** Block key part: 10.244.1.0/26 → 10.244.1.0-26 (as Flannel's subnet keys). */
export function blockKeyPart(cidr: string): string {
  return cidr.replace("/", "-");
}
