// The Loc-RIB: every accepted path per prefix, the best one first. A prefix with one path (the usual
// case) holds that path itself rather than a list, which keeps a million-route table small. Every
// change of a prefix's best path is reported once, to one listener (the speaker, which exports it
// and tells its subscribers).

import { selectBest } from "./best-path";
import { formatIpv4PrefixKey, Ipv4PrefixTable, ipv4PrefixKey } from "./ipv4-prefix-table";
import type { Path, RouteSource } from "./route";

type BestChange = (prefix: string, best: Path | undefined, previous: Path | undefined) => void;

function sameSlot(path: Path, source: RouteSource, pathId: number): boolean {
  return path.source === source && path.pathId === pathId;
}

/** Prefix → entry: IPv4 prefixes (the bulk of any table) in typed arrays, anything else in a Map. */
class PrefixTable {
  private readonly ipv4 = new Ipv4PrefixTable<Path | Path[]>();
  private readonly other = new Map<string, Path | Path[]>();

  get size(): number {
    return this.ipv4.size + this.other.size;
  }

  get(prefix: string): Path | Path[] | undefined {
    const key = ipv4PrefixKey(prefix);
    return key >= 0 ? this.ipv4.get(key) : this.other.get(prefix);
  }

  set(prefix: string, entry: Path | Path[]): void {
    const key = ipv4PrefixKey(prefix);
    if (key >= 0) this.ipv4.set(key, entry);
    else this.other.set(prefix, entry);
  }

  delete(prefix: string): void {
    const key = ipv4PrefixKey(prefix);
    if (key >= 0) this.ipv4.delete(key);
    else this.other.delete(prefix);
  }

  *values(): IterableIterator<Path | Path[]> {
    yield* this.ipv4.storedValues();
    yield* this.other.values();
  }

  *[Symbol.iterator](): IterableIterator<[string, Path | Path[]]> {
    for (const [key, entry] of this.ipv4.entries()) yield [formatIpv4PrefixKey(key), entry];
    yield* this.other;
  }
}

export class LocRib {
  private readonly table = new PrefixTable();

  constructor(private readonly onBestChange: BestChange) {}

  /** Number of prefixes with at least one path. */
  get size(): number {
    return this.table.size;
  }

  best(prefix: string): Path | undefined {
    const entry = this.table.get(prefix);
    return Array.isArray(entry) ? entry[0] : entry;
  }

  paths(prefix: string): Path[] {
    const entry = this.table.get(prefix);
    return entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];
  }

  /** Adds `path` to `prefix`, replacing the one from the same source with the same path id; true when it is new. */
  upsert(prefix: string, path: Path): boolean {
    const entry = this.table.get(prefix);
    if (entry === undefined) {
      this.table.set(prefix, path);
      this.onBestChange(prefix, path, undefined);
      return true;
    }
    if (!Array.isArray(entry)) {
      if (sameSlot(entry, path.source, path.pathId)) {
        this.table.set(prefix, path);
        this.onBestChange(prefix, path, entry);
        return false;
      }
      this.settle(prefix, [entry, path], entry);
      return true;
    }
    const previous = entry[0];
    const index = entry.findIndex((candidate) => sameSlot(candidate, path.source, path.pathId));
    const paths = entry.slice();
    if (index >= 0) paths[index] = path;
    else paths.push(path);
    this.settle(prefix, paths, previous);
    return index < 0;
  }

  /** Removes the path from `source` with `pathId`; returns it, or undefined if there was none. */
  remove(prefix: string, source: RouteSource, pathId: number): Path | undefined {
    const entry = this.table.get(prefix);
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) {
      if (!sameSlot(entry, source, pathId)) return undefined;
      this.table.delete(prefix);
      this.onBestChange(prefix, undefined, entry);
      return entry;
    }
    const index = entry.findIndex((candidate) => sameSlot(candidate, source, pathId));
    if (index < 0) return undefined;
    const removed = entry[index];
    this.settle(prefix, entry.filter((_, i) => i !== index), entry[0]);
    return removed;
  }

  /** Removes every path from `source` that `which` selects; returns how many. */
  removeWhere(source: RouteSource, which: (path: Path) => boolean = () => true): number {
    const doomed: Array<[string, number]> = [];
    for (const [prefix, entry] of this.table) {
      for (const path of Array.isArray(entry) ? entry : [entry]) if (path.source === source && which(path)) doomed.push([prefix, path.pathId]);
    }
    for (const [prefix, pathId] of doomed) this.remove(prefix, source, pathId);
    return doomed.length;
  }

  /** Marks every path from `source` stale (RFC 4724 helper); returns how many routes that made stale. */
  markStale(source: RouteSource): number {
    let count = 0;
    for (const entry of this.table.values()) {
      for (const path of Array.isArray(entry) ? entry : [entry]) {
        // A Path shared by many prefixes is marked once; the count is of routes all the same.
        if (path.source === source) {
          path.stale = true;
          count++;
        }
      }
    }
    return count;
  }

  /** Every prefix with its paths, best first, in no particular order. */
  *entries(): IterableIterator<[string, Path[]]> {
    for (const [prefix, entry] of this.table) yield [prefix, Array.isArray(entry) ? entry : [entry]];
  }

  private settle(prefix: string, paths: Path[], previous: Path): void {
    if (paths.length === 0) {
      this.table.delete(prefix);
      this.onBestChange(prefix, undefined, previous);
      return;
    }
    const best = selectBest(paths);
    const ordered = [best, ...paths.filter((path) => path !== best)];
    this.table.set(prefix, ordered.length === 1 ? best : ordered);
    if (best !== previous) this.onBestChange(prefix, best, previous);
  }
}
