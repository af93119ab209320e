// A hash table from IPv4 prefix to value, kept in typed arrays: open addressing with linear
// probing, keys as (address, length) numbers. A Map of a million prefix strings costs a string and
// a table entry per route on the JS heap, and every young string is copied by the scavenger before
// it settles: measured, 1.2 s of a 2 s table load, and 150 ms in one go each time the Map doubled.
// Here a route costs ~10-20 octets of typed arrays and nothing the GC has to trace or copy.
//
// Values are usually shared (every prefix of one UPDATE points at the same Path), so a slot holds
// the id of a value in a pool, counted by reference. Not a JS array of values: V8 takes 50-70 ms to
// allocate a two-million-slot array (measured), a stall at every doubling; a typed array takes 8.

import { numberToIpv4 } from "../shared/addresses";

const EMPTY = 0xff;
const INITIAL_CAPACITY = 64;

/** address * 64 + length for "a.b.c.d/len" text, or -1 when it is not that. */
export function ipv4PrefixKey(text: string): number {
  let address = 0;
  let octet = -1;
  let dots = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      octet = octet < 0 ? code - 48 : octet * 10 + code - 48;
      if (octet > 255) return -1;
    } else if (code === 46 && octet >= 0 && dots < 3) {
      address = address * 256 + octet;
      octet = -1;
      dots++;
    } else break;
  }
  if (dots !== 3 || octet < 0 || text.charCodeAt(i) !== 47) return -1;
  address = address * 256 + octet;
  let length = -1;
  for (i++; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
    length = length < 0 ? code - 48 : length * 10 + code - 48;
  }
  return length < 0 || length > 32 ? -1 : address * 64 + length;
}

export function formatIpv4PrefixKey(key: number): string {
  const address = Math.floor(key / 64);
  return `${numberToIpv4(address)}/${key - address * 64}`;
}

// A doubling rehashes the whole table (~120 ns an entry, measured: 30 ms for a quarter of a million)
// and a loop that stalls delays keepalives. SHARDS tables chosen by the key's hash each hold a
// sixteenth of the routes, and each grows at its own load so they do not all double at once.
const SHARDS = 16;

/** The top bits of a multiplicative hash (a prefix's low address bits are often all zero). */
function shardOf(address: number, length: number): number {
  return Math.imul(address ^ length, 0x85ebca6b) >>> (32 - Math.log2(SHARDS));
}

/** Fibonacci hashing: the top `32 - shift` bits of address × 2^32/φ, with the length folded in. */
function home(address: number, length: number, shift: number): number {
  return Math.imul(address ^ Math.imul(length, 0x27d4eb2d), 0x9e3779b1) >>> shift;
}

function splitKey(key: number): [number, number] {
  const address = Math.floor(key / 64);
  return [address, key - address * 64]; // not key % 64: on a double that is a slow fmod call
}

export class Ipv4PrefixTable<V> {
  private readonly pool = new ValuePool<V>();
  // Loads from 0.4 to 0.7 of capacity: probe runs stay short, and growth points are spread.
  private readonly shards = Array.from({ length: SHARDS }, (_, index) => new Shard(0.4 + (0.3 * index) / SHARDS));

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.size;
    return size;
  }

  get(key: number): V | undefined {
    const [address, length] = splitKey(key);
    const id = this.shards[shardOf(address, length)].get(address, length);
    return id === NONE ? undefined : this.pool.get(id);
  }

  set(key: number, value: V): void {
    const [address, length] = splitKey(key);
    const previous = this.shards[shardOf(address, length)].set(address, length, this.pool.acquire(value));
    if (previous !== NONE) this.pool.release(previous);
  }

  delete(key: number): boolean {
    const [address, length] = splitKey(key);
    const previous = this.shards[shardOf(address, length)].delete(address, length);
    if (previous === NONE) return false;
    this.pool.release(previous);
    return true;
  }

  *entries(): IterableIterator<[number, V]> {
    for (const shard of this.shards) for (const [key, id] of shard.entries()) yield [key, this.pool.get(id)];
  }

  *storedValues(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }
}

/** Distinct values by id (from 1), each kept while some slot refers to it. */
class ValuePool<V> {
  private readonly values: Array<V | null> = [null];
  private readonly ids = new Map<V, number>();
  private references = new Uint32Array(64);
  private readonly free: number[] = [];

  get(id: number): V {
    return this.values[id] as V;
  }

  acquire(value: V): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.free.pop() ?? this.values.length;
      this.values[id] = value;
      this.ids.set(value, id);
      if (id >= this.references.length) {
        const grown = new Uint32Array(this.references.length * 2);
        grown.set(this.references);
        this.references = grown;
      }
    }
    this.references[id]++;
    return id;
  }

  release(id: number): void {
    if (--this.references[id] > 0) return;
    this.ids.delete(this.values[id] as V);
    this.values[id] = null;
    this.free.push(id);
  }
}

const NONE = 0;

/** One open-addressing table of value ids: linear probing, backward-shift deletion, doubled past its load. */
class Shard {
  private addresses = new Uint32Array(INITIAL_CAPACITY);
  private lengths = new Uint8Array(INITIAL_CAPACITY).fill(EMPTY);
  private ids = new Uint32Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private shift = 32 - Math.log2(INITIAL_CAPACITY);
  size = 0;

  constructor(private readonly maximumLoad: number) {}

  get(address: number, length: number): number {
    const slot = this.find(address, length);
    return slot < 0 ? NONE : this.ids[slot];
  }

  /** Stores `id`; returns the id it replaced, or NONE. */
  set(address: number, length: number, id: number): number {
    const slot = this.find(address, length);
    if (slot >= 0) {
      const previous = this.ids[slot];
      this.ids[slot] = id;
      return previous;
    }
    this.place(address, length, id);
    if (++this.size > this.maximumLoad * (this.mask + 1)) this.grow();
    return NONE;
  }

  /** Removes the key; returns its id, or NONE. */
  delete(address: number, length: number): number {
    let hole = this.find(address, length);
    if (hole < 0) return NONE;
    const removed = this.ids[hole];
    this.size--;
    // Pull later members of the probe run back into the hole, so no tombstones pile up.
    for (let next = (hole + 1) & this.mask; this.lengths[next] !== EMPTY; next = (next + 1) & this.mask) {
      const wanted = home(this.addresses[next], this.lengths[next], this.shift);
      const stays = hole <= next ? hole < wanted && wanted <= next : hole < wanted || wanted <= next;
      if (stays) continue;
      this.addresses[hole] = this.addresses[next];
      this.lengths[hole] = this.lengths[next];
      this.ids[hole] = this.ids[next];
      hole = next;
    }
    this.lengths[hole] = EMPTY;
    return removed;
  }

  *entries(): IterableIterator<[number, number]> {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.lengths[slot] !== EMPTY) yield [this.addresses[slot] * 64 + this.lengths[slot], this.ids[slot]];
    }
  }

  private find(address: number, length: number): number {
    for (let slot = home(address, length, this.shift); this.lengths[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      if (this.lengths[slot] === length && this.addresses[slot] === address) return slot;
    }
    return -1;
  }

  private grow(): void {
    const { addresses, lengths, ids } = this;
    const capacity = lengths.length * 2;
    this.addresses = new Uint32Array(capacity);
    this.lengths = new Uint8Array(capacity).fill(EMPTY);
    this.ids = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.shift--;
    for (let old = 0; old < lengths.length; old++) if (lengths[old] !== EMPTY) this.place(addresses[old], lengths[old], ids[old]);
  }

  /** Puts a key known to be absent in its first free slot. */
  private place(address: number, length: number, id: number): void {
    let slot = home(address, length, this.shift);
    while (this.lengths[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.addresses[slot] = address;
    this.lengths[slot] = length;
    this.ids[slot] = id;
  }
}
