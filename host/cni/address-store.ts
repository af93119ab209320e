// Address reservations on disk in host-local's format, so either can read what the other wrote:
// <dataDir>/<network>/<address> holds "<container id>\r\n<ifname>", last_reserved_ip.0 the last
// address handed out (the next search starts after it), and `lock` serialises every change.

import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ipv4ToNumber, numberToIpv4 } from "../shared/addresses";

interface Reservation {
  address: string;
  containerId: string;
  ifName: string;
}

/** Addresses that may be handed out: first…last inclusive (host-order numbers). */
export interface AddressRange {
  first: number;
  last: number;
}

const LAST_RESERVED = "last_reserved_ip.0";
const ADDRESS_FILE = /^\d+\.\d+\.\d+\.\d+$/;

/** The attachment key GC and lookups use. */
export const attachmentKey = (containerId: string, ifName: string) => `${containerId}\0${ifName}`;

/** Whether `entry` is the attachment's; a file without an ifname line (older host-local) matches any. */
export const heldBy = (entry: Reservation, containerId: string, ifName: string) =>
  entry.containerId === containerId && (entry.ifName === ifName || entry.ifName === "");

/** One network's reservations; callers hold withFileLock(lockPath) around every change. */
export class AddressStore {
  constructor(readonly directory: string) {}

  get lockPath(): string {
    return join(this.directory, "lock");
  }

  /** Every reservation; a file without an ifname line (older host-local) has ifName "". */
  reservations(): Reservation[] {
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch {
      return [];
    }
    const found: Reservation[] = [];
    for (const name of names) {
      if (!ADDRESS_FILE.test(name)) continue;
      let text: string;
      try {
        text = readFileSync(join(this.directory, name), "utf8");
      } catch {
        continue;
      }
      const [containerId = "", ifName = ""] = text.split(/\r?\n/).map((line) => line.trim());
      found.push({ address: name, containerId, ifName });
    }
    return found;
  }

  /** The attachment's reservation, if it has one. */
  find(containerId: string, ifName: string): Reservation | undefined {
    return this.reservations().find((entry) => heldBy(entry, containerId, ifName));
  }

  /** Reserves the next free address after the last one handed out, wrapping once; undefined when all are taken. */
  reserve(containerId: string, ifName: string, range: AddressRange): string | undefined {
    const size = range.last - range.first + 1;
    const last = this.lastReserved();
    const start = last !== undefined && last >= range.first && last < range.last ? last + 1 : range.first;
    for (let step = 0; step < size; step++) {
      const address = numberToIpv4(range.first + ((start - range.first + step) % size));
      let fd: number;
      try {
        fd = openSync(join(this.directory, address), "wx", 0o644);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      try {
        writeSync(fd, `${containerId}\r\n${ifName}`);
      } finally {
        closeSync(fd);
      }
      writeFileSync(join(this.directory, LAST_RESERVED), address);
      return address;
    }
    return undefined;
  }

  /** Removes the attachment's reservations; returns the addresses freed. */
  release(containerId: string, ifName: string): string[] {
    return this.remove((entry) => heldBy(entry, containerId, ifName));
  }

  /** Removes every reservation whose attachment is not in `keep` (attachmentKey values). */
  keepOnly(keep: Set<string>): string[] {
    return this.remove((entry) => !keep.has(attachmentKey(entry.containerId, entry.ifName)));
  }

  /** How many addresses of `range` are free. */
  freeCount(range: AddressRange): number {
    const taken = this.reservations().filter((entry) => {
      const value = ipv4ToNumber(entry.address);
      return value >= range.first && value <= range.last;
    }).length;
    return range.last - range.first + 1 - taken;
  }

  private remove(matches: (entry: Reservation) => boolean): string[] {
    const removed: string[] = [];
    for (const entry of this.reservations()) {
      if (!matches(entry)) continue;
      rmSync(join(this.directory, entry.address), { force: true });
      removed.push(entry.address);
    }
    return removed;
  }

  private lastReserved(): number | undefined {
    try {
      return ipv4ToNumber(readFileSync(join(this.directory, LAST_RESERVED), "utf8").trim());
    } catch {
      return undefined;
    }
  }
}
