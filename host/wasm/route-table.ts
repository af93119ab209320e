// The Wasm core's longest-prefix-match table with a plain API:
// table.add("10.244.1.0/24", 3); table.lookup("10.244.1.7") → { prefix: "10.244.1.0/24", nextHop: 3 }.

import { Status } from "../../assembly/shared/status";
import { MAX_NEXT_HOP, NO_ROUTE } from "../../assembly/shared/route";
import { formatPrefix, ipv4ToNumber, networkOf, parsePrefix } from "../shared/addresses";
import { core, type CoreExports } from "./module";


/** Thrown for a next hop or table operation the core refuses; the message names it. */
export class RouteError extends Error {
  readonly code = "ROUTE";
}

function checkNextHop(nextHop: number): void {
  if (!Number.isInteger(nextHop) || nextHop < 0 || nextHop > MAX_NEXT_HOP) {
    throw new RouteError(`next hop ${nextHop} is outside 0…${MAX_NEXT_HOP}`);
  }
}

/** One lookup's answer; null when no prefix matches. */
export interface RouteMatch {
  prefix: string;
  nextHop: number;
}

/** The route table inside one instance of the Wasm core (the process-wide one by default). */
export class RouteTable {
  private scratch = 0;
  private scratchBytes = 0;

  constructor(private readonly wasm: CoreExports = core()) {}

  /** Adds prefix → nextHop, replacing the next hop if the prefix is already there. */
  add(prefix: string, nextHop: number): void {
    const { address, length } = parsePrefix(prefix);
    checkNextHop(nextHop);
    const status = this.wasm.routeInsert(address, length, nextHop) as Status;
    if (status !== Status.Ok) throw new RouteError(`cannot add ${prefix}: ${Status[status]}`);
  }

  /** Removes a prefix; false when it was not in the table. */
  remove(prefix: string): boolean {
    const { address, length } = parsePrefix(prefix);
    const status = this.wasm.routeDelete(address, length) as Status;
    if (status === Status.NoRoute) return false;
    if (status !== Status.Ok) throw new RouteError(`cannot remove ${prefix}: ${Status[status]}`);
    return true;
  }

  /** The longest prefix matching `address` and its next hop, or null. */
  lookup(address: string): RouteMatch | null {
    const value = ipv4ToNumber(address);
    const nextHop = this.wasm.routeLookup(value) >>> 0;
    if (nextHop === NO_ROUTE) return null;
    const length = this.wasm.routeMatchLength(value);
    return { prefix: formatPrefix({ address: networkOf(value, length), length }), nextHop };
  }

  /** Next hops for many addresses (host-order u32) in one call; 0xffffffff where nothing matches. */
  lookupMany(addresses: Uint32Array): Uint32Array {
    const bytes = addresses.length * 4;
    const pointer = this.buffer(bytes * 2);
    new Uint32Array(this.wasm.memory.buffer, pointer, addresses.length).set(addresses);
    const status = this.wasm.routeLookupBatch(pointer, addresses.length, pointer + bytes) as Status;
    if (status !== Status.Ok) throw new RouteError(`batch lookup failed: ${Status[status]}`);
    return new Uint32Array(this.wasm.memory.buffer.slice(pointer + bytes, pointer + bytes * 2));
  }

  /** Replaces the whole table with `routes`, built to the side and swapped in; all or nothing. */
  load(routes: Iterable<[prefix: string, nextHop: number]>): void {
    const rows: number[] = [];
    for (const [prefix, nextHop] of routes) {
      const { address, length } = parsePrefix(prefix);
      checkNextHop(nextHop);
      rows.push(address, length, nextHop);
    }
    const pointer = this.buffer(rows.length * 4);
    new Uint32Array(this.wasm.memory.buffer, pointer, rows.length).set(rows);
    const result = this.wasm.routeBulkLoad(pointer, rows.length / 3);
    if (result < 0) throw new RouteError(`cannot load the table: ${Status[-result]}`);
  }

  /** Removes every route. */
  clear(): void {
    this.wasm.routeClear();
  }

  /** Rebuilds the lookup structure from the master copy (reclaims chunks left by deletes). */
  rebuild(): void {
    const status = this.wasm.routeRebuild() as Status;
    if (status !== Status.Ok) throw new RouteError(`rebuild failed: ${Status[status]}`);
  }

  /** Number of prefixes in the table. */
  get size(): number {
    return this.wasm.routeCount();
  }

  /** Bytes the table occupies in linear memory (trie and master copy). */
  get memoryBytes(): number {
    return this.wasm.routeMemoryBytes();
  }

  private buffer(bytes: number): number {
    if (bytes > this.scratchBytes) {
      const size = Math.max(4096, Math.ceil(bytes / 4096) * 4096);
      this.scratch = this.wasm.allocate(size);
      if (this.scratch === 0) throw new RouteError(`podnet.wasm refused a ${size}-byte buffer`);
      this.scratchBytes = size;
    }
    return this.scratch;
  }
}
