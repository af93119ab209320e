// Calico-style block IPAM on podnet's store. A node claims a free block of an enabled pool (trying
// candidates in an order seeded by its name, so nodes starting together do not race for the same
// blocks), allocates addresses in its blocks by handle, claims another block when they are full
// (up to maxBlocksPerHost), and borrows single addresses from other nodes' blocks when the pools
// have no free block (unless strictAffinity). Every write is a compare-and-swap, retried on
// conflict: two nodes racing for one block never both own it, and no address is given twice.
//
// Keys, under the Calico prefix:
//   ipam/blocks/<a.b.c.d>-<len>               the block (block.ts)
//   ipam/affinities/<node>/<a.b.c.d>-<len>    {"state":"pending"|"confirmed"}: the node claims it
//   ipam/handles/<handle>                     {"block":"<cidr>"}: where the handle's address is

import type { KeyValue, KvStore } from "../store/kv";
import { ipv4ToNumber, numberToIpv4, parsePrefix, prefixContains } from "../shared/addresses";
import type { IPAMConfiguration, IPPool } from "../resources/kinds";
import type { ResourceStore } from "../resources/store";
import { addressAt, blockKeyPart, inUse, newBlock, offsetOf, parseBlock, type AllocationAttributes, type Block } from "./block";
import { handleEntryBlock, listHandles, type CorruptEntry } from "./handles";
import { inTurn, seededOrder } from "./order";

const CAS_ATTEMPTS = 20;

/** An assignment that cannot be made; `exhausted` when no pool has an address left for this node. */
export class IpamError extends Error {
  constructor(
    message: string,
    readonly exhausted = false,
  ) {
    super(message);
  }
}

interface Assignment {
  address: string;
  block: string;
  /** True when the address came from another node's block. */
  borrowed: boolean;
}

interface StoredBlock {
  block: Block;
  modRevision: number;
}

export type { CorruptEntry };

export class BlockIpam {
  private readonly blockQueues = new Map<string, Promise<unknown>>();
  private readonly claimQueues = new Map<string, Promise<unknown>>();
  /** Told after this instance assigned or released an address (the agent re-reads what it announces). */
  onChange?: () => void;
  /** A handle entry that does not parse was met (and searched around): for the log and the counter. */
  onCorrupt?: (entry: CorruptEntry) => void;

  constructor(
    private readonly kv: KvStore,
    readonly resources: ResourceStore,
    private readonly now: () => number = Date.now,
  ) {}

  private get prefix(): string {
    return `${this.resources.prefix}/ipam`;
  }

  blockKey(cidr: string): string {
    return `${this.prefix}/blocks/${blockKeyPart(cidr)}`;
  }

  private affinityKey(node: string, cidr: string): string {
    return `${this.prefix}/affinities/${node}/${blockKeyPart(cidr)}`;
  }

  private handleKey(handle: string): string {
    return `${this.prefix}/handles/${handle}`;
  }

  /** The IPAM settings (IPAMConfiguration default, or Calico's defaults). */
  async settings(): Promise<IPAMConfiguration["spec"]> {
    return (await this.resources.get<IPAMConfiguration>("IPAMConfiguration", "default"))?.spec ?? { strictAffinity: false, maxBlocksPerHost: 0 };
  }

  async enabledPools(): Promise<IPPool[]> {
    return (await this.resources.list<IPPool>("IPPool")).resources.filter((pool) => !pool.spec.disabled);
  }

  /** Whether `handle` has an entry, usable or not. */
  async hasHandle(handle: string): Promise<boolean> {
    return (await this.kv.get(this.handleKey(handle))) !== undefined;
  }

  /** Every handle entry, with its block, and those that do not parse. */
  handles(): Promise<{ handles: Array<{ handle: string; block: string }>; corrupt: CorruptEntry[] }> {
    return listHandles(this.kv, `${this.prefix}/handles/`);
  }

  /** Every stored block that parses, and those that do not (logged by the caller, never fatal). */
  async blocks(): Promise<{ blocks: StoredBlock[]; corrupt: CorruptEntry[] }> {
    const { items } = await this.kv.range(`${this.prefix}/blocks/`);
    const blocks: StoredBlock[] = [];
    const corrupt: CorruptEntry[] = [];
    for (const item of items) {
      const cidr = item.key.slice(`${this.prefix}/blocks/`.length).replace("-", "/");
      try {
        blocks.push({ block: parseBlock(item.value, cidr), modRevision: item.modRevision });
      } catch (error) {
        corrupt.push({ key: item.key, reason: (error as Error).message });
      }
    }
    return { blocks, corrupt };
  }

  /** The blocks affine to `node` (confirmed claims), in claim order. */
  async affineBlocks(node: string): Promise<string[]> {
    const { items } = await this.kv.range(`${this.prefix}/affinities/${node}/`);
    return items
      .filter((item) => item.value.includes('"confirmed"'))
      .sort((a, b) => a.createRevision - b.createRevision)
      .map((item) => item.key.slice(`${this.prefix}/affinities/${node}/`.length).replace("-", "/"));
  }

  /**
   * Changes a block with compare-and-swap; `change` returns undefined to leave it as it is. Changes
   * from this process to one block go one at a time (a hundred parallel ADDs would otherwise mostly
   * fail their swaps against each other); the swap guards against other nodes.
   */
  private mutate<T>(cidr: string, change: (block: Block) => T | undefined): Promise<T | undefined> {
    return inTurn(this.blockQueues, cidr, () => this.swap(cidr, change));
  }

  private async swap<T>(cidr: string, change: (block: Block) => T | undefined): Promise<T | undefined> {
    const key = this.blockKey(cidr);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const stored = await this.kv.get(key);
      if (!stored) return undefined;
      const block = parseBlock(stored.value, cidr);
      const result = change(block);
      if (result === undefined) return undefined;
      if (await this.kv.update(key, JSON.stringify(block), stored.modRevision, 0)) return result;
      // Another node wrote it: wait a little, a random amount, so the two do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1)));
    }
    throw new Error(`block ${cidr} kept changing under ${CAS_ATTEMPTS} attempts to update it`);
  }

  /** Takes the first free address of `cidr` for `handle`; undefined when the block is full. */
  private allocateIn(cidr: string, handle: string, attributes: AllocationAttributes): Promise<string | undefined> {
    return this.mutate(cidr, (block) => {
      const offset = block.allocations.indexOf(null);
      if (offset < 0) return undefined;
      block.allocations[offset] = handle;
      block.attributes[handle] = attributes;
      block.emptySince = null;
      return addressAt(block, offset);
    });
  }

  /** Claims a free block of one of `pools` for `node`: pending affinity, the block, confirmed. */
  private async claimBlock(node: string, pools: IPPool[]): Promise<string | undefined> {
    for (const pool of pools) {
      const { address, length } = parsePrefix(pool.spec.cidr);
      const count = 2 ** (pool.spec.blockSize - length);
      const blockAddresses = 2 ** (32 - pool.spec.blockSize);
      const existing = new Set((await this.kv.range(`${this.prefix}/blocks/`)).items.map((item) => item.key));
      for (const index of seededOrder(node, count)) {
        const cidr = `${numberToIpv4((address + index * blockAddresses) >>> 0)}/${pool.spec.blockSize}`;
        if (existing.has(this.blockKey(cidr))) continue;
        const affinity = this.affinityKey(node, cidr);
        if (!(await this.kv.create(affinity, JSON.stringify({ state: "pending" }), 0))) continue;
        if (!(await this.kv.create(this.blockKey(cidr), JSON.stringify(newBlock(cidr, node)), 0))) {
          // Another node created it between our list and now: not ours.
          await this.kv.delete(affinity);
          continue;
        }
        const pending = await this.kv.get(affinity);
        if (pending) await this.kv.update(affinity, JSON.stringify({ state: "confirmed" }), pending.modRevision, 0);
        return cidr;
      }
    }
    return undefined;
  }

  /** The address `handle` holds already, if any (a repeated ADD gets the same address). */
  async addressOf(handle: string): Promise<Assignment | undefined> {
    const stored = await this.kv.get(this.handleKey(handle));
    if (!stored) return undefined;
    for (const cidr of await this.blocksOf(handle, stored)) {
      const block = (await this.kv.get(this.blockKey(cidr)))?.value;
      if (!block) continue;
      const parsed = parseBlock(block, cidr);
      const offset = parsed.allocations.indexOf(handle);
      if (offset >= 0) return { address: addressAt(parsed, offset), block: cidr, borrowed: parsed.affinity !== parsed.attributes[handle]?.node };
    }
    return undefined;
  }

  /** The blocks to look in for `handle`: its entry's, or every block holding it when there is no usable entry. */
  private async blocksOf(handle: string, stored: KeyValue | undefined): Promise<string[]> {
    if (stored) {
      try {
        return [handleEntryBlock(stored.value)];
      } catch (error) {
        this.onCorrupt?.({ key: stored.key, reason: (error as Error).message });
      }
    }
    return (await this.blocks()).blocks.filter(({ block }) => block.allocations.includes(handle)).map(({ block }) => block.cidr);
  }

  /** Assigns one address to `handle` on `node`. */
  async assign(node: string, handle: string, attributes: Omit<AllocationAttributes, "node"> = {}): Promise<Assignment> {
    const held = await this.addressOf(handle);
    if (held) return held;
    const pools = await this.enabledPools();
    if (pools.length === 0) throw new IpamError("no enabled IPPool: apply one (podnet apply -f pool.yaml)", true);
    const inPools = (cidr: string) => pools.some((pool) => prefixContains(pool.spec.cidr, cidr));
    const settings = await this.settings();
    const full = { ...attributes, node };
    const record = async (cidr: string, address: string, borrowed: boolean): Promise<Assignment> => {
      const key = this.handleKey(handle);
      const value = JSON.stringify({ block: cidr });
      // A damaged entry of this handle (addressOf searched around it) is replaced, not kept.
      if (!(await this.kv.create(key, value, 0))) {
        const existing = await this.kv.get(key);
        if (existing) await this.kv.update(key, value, existing.modRevision, 0);
      }
      this.onChange?.();
      return { address, block: cidr, borrowed };
    };

    const fromAffine = async (): Promise<Assignment | undefined> => {
      for (const cidr of (await this.affineBlocks(node)).filter(inPools)) {
        const address = await this.allocateIn(cidr, handle, full);
        if (address) return record(cidr, address, false);
      }
      return undefined;
    };
    const mine = await fromAffine();
    if (mine) return mine;
    // One claim at a time per node: ADDs that all found the blocks full would otherwise each claim
    // a block; after waiting its turn an ADD first looks again in the blocks claimed meanwhile.
    const claimedIn = await inTurn(this.claimQueues, node, async () => {
      const meanwhile = await fromAffine();
      if (meanwhile) return meanwhile;
      const affine = await this.affineBlocks(node);
      if (settings.maxBlocksPerHost !== 0 && affine.length >= settings.maxBlocksPerHost) return undefined;
      const claimed = await this.claimBlock(node, pools);
      const address = claimed ? await this.allocateIn(claimed, handle, full) : undefined;
      return claimed && address ? record(claimed, address, false) : undefined;
    });
    if (claimedIn) return claimedIn;
    const names = pools.map((pool) => `${pool.metadata.name} (${pool.spec.cidr})`).join(", ");
    if (settings.strictAffinity) throw new IpamError(`IP pool ${names} has no free block for node ${node}, and strictAffinity forbids borrowing`, true);
    for (const { block } of (await this.blocks()).blocks) {
      if (!inPools(block.cidr) || block.affinity === node || !block.allocations.includes(null)) continue;
      const address = await this.allocateIn(block.cidr, handle, full);
      if (address) return record(block.cidr, address, true);
    }
    throw new IpamError(`IP pool ${names} is exhausted: no free address for node ${node}`, true);
  }

  /** Frees what `handle` holds; returns the address, or undefined if it held none. */
  async release(handle: string): Promise<string | undefined> {
    const stored = await this.kv.get(this.handleKey(handle));
    let released: string | undefined;
    for (const cidr of await this.blocksOf(handle, stored)) {
      released =
        (await this.mutate(cidr, (block) => {
          const offset = block.allocations.indexOf(handle);
          if (offset < 0) return undefined;
          block.allocations[offset] = null;
          delete block.attributes[handle];
          if (inUse(block) === 0) block.emptySince = this.now();
          return addressAt(block, offset);
        })) ?? released;
    }
    if (stored) await this.kv.delete(this.handleKey(handle));
    if (released !== undefined) this.onChange?.();
    return released;
  }

  /** Frees one address, whoever holds it; returns the handle that held it. */
  async releaseAddress(address: string): Promise<string | undefined> {
    const value = ipv4ToNumber(address);
    for (const { block } of (await this.blocks()).blocks) {
      const { address: start, length } = parsePrefix(block.cidr);
      if (value < start || value >= start + 2 ** (32 - length)) continue;
      const handle = block.allocations[offsetOf(block, value)];
      if (handle === null) return undefined;
      return (await this.release(handle)) === undefined ? undefined : handle;
    }
    return undefined;
  }

  /** Nodes that hold block claims (affinities), whether or not their Node entry still exists. */
  async nodesWithBlocks(): Promise<string[]> {
    const { items } = await this.kv.range(`${this.prefix}/affinities/`);
    return [...new Set(items.map((item) => item.key.slice(`${this.prefix}/affinities/`.length).split("/")[0]))].sort();
  }

  /**
   * Gives back every block of a node that is gone: an empty block is deleted, one still holding
   * addresses loses its affinity (the addresses stay until released); the claims are deleted.
   */
  async releaseNodeBlocks(node: string): Promise<string[]> {
    const { items } = await this.kv.range(`${this.prefix}/affinities/${node}/`);
    const released: string[] = [];
    for (const item of items) {
      const cidr = item.key.slice(`${this.prefix}/affinities/${node}/`.length).replace("-", "/");
      const key = this.blockKey(cidr);
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const stored = await this.kv.get(key);
        if (!stored) break;
        const block = parseBlock(stored.value, cidr);
        if (block.affinity !== node) break;
        const done = inUse(block) === 0 ? await this.kv.delete(key, stored.modRevision) : await this.kv.update(key, JSON.stringify({ ...block, affinity: null }), stored.modRevision, 0);
        if (done) break;
      }
      await this.kv.delete(item.key);
      released.push(cidr);
    }
    return released;
  }

  /** Releases `node`'s blocks that have been empty for `graceMs`: block and affinity gone. */
  async releaseEmptyBlocks(node: string, graceMs: number): Promise<string[]> {
    const released: string[] = [];
    for (const cidr of await this.affineBlocks(node)) {
      const key = this.blockKey(cidr);
      const stored = await this.kv.get(key);
      if (!stored) continue;
      const block = parseBlock(stored.value, cidr);
      if (inUse(block) > 0 || block.emptySince === null || this.now() - block.emptySince < graceMs) continue;
      // Deleted only if nobody allocated in it since we read it; then the claim goes.
      if (!(await this.kv.delete(key, stored.modRevision))) continue;
      await this.kv.delete(this.affinityKey(node, cidr));
      released.push(cidr);
    }
    return released;
  }
}

