// Adj-RIB-Out for one session: what we told the peer, what is still to tell, and the UPDATEs that
// carry it. Routes that share exported attributes (the same array, from the per-peer export cache)
// go out together in one UPDATE, as many prefixes as the message length allows (BIRD's buckets).
// Sending yields to the event loop between batches and waits for the socket to drain, so a
// million-route table never holds keepalives back.
//
// Export only grows attributes (AS prepend, LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST), so a legal
// UPDATE from one peer can carry attributes that leave no room for a single prefix towards another.
// Such a route is not sent to that peer (withdrawn there if it was sent before), reported once, and
// the session carries on, as BIRD, FRR and GoBGP do; with RFC 8654 extended messages it fits whole.

import { once } from "node:events";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { EXTENDED_MAX_MESSAGE_LENGTH, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from "./constants";
import { encodeAttribute, type PathAttribute } from "./codec/attributes";
import { endOfRib, UPDATE_BODY_MINIMUM } from "./codec/update";
import { Afi, Safi } from "./constants";
import type { Connection } from "./connection";
import { concat } from "./codec/open";

const MESSAGES_PER_TURN = 64;

/** Told once per set of attributes that leaves `prefixes` no room in a message of `maxLength` octets. */
type UnsendableRoutes = (prefixes: string[], attributesLength: number, maxLength: number) => void;

export class AdjRibOut {
  private readonly sent = new Map<string, PathAttribute[]>();
  /** Routes held back because their attributes do not fit, with the attributes that did not fit. */
  private readonly unsendable = new Map<string, PathAttribute[]>();
  private pending = new Map<string, PathAttribute[] | null>();
  private flushing = false;
  private endOfRibDue = false;
  private closed = false;
  /** Resolves when the initial table and End-of-RIB are out. */
  readonly initialTableSent: Promise<void>;
  private resolveInitial!: () => void;

  constructor(
    private readonly connection: Connection,
    private readonly onUnsendable?: UnsendableRoutes,
  ) {
    this.initialTableSent = new Promise((resolve) => (this.resolveInitial = resolve));
  }

  get sentCount(): number {
    return this.sent.size;
  }

  /** Queues an announcement (attributes) or a withdrawal (null) of an IPv4 prefix. */
  queue(prefix: string, attributes: PathAttribute[] | null): void {
    if (this.closed) return;
    this.pending.set(prefix, attributes);
    this.schedule();
  }

  /** Sends End-of-RIB once everything queued so far is out. */
  queueEndOfRib(): void {
    this.endOfRibDue = true;
    this.schedule();
  }

  /** Every prefix we announced and have not withdrawn. */
  prefixes(): IterableIterator<string> {
    return this.sent.keys();
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    setImmediate(() => {
      this.flush().catch(() => this.connection.close({ message: "sending UPDATEs failed" }));
    });
  }

  private async flush(): Promise<void> {
    try {
      while (!this.closed && (this.pending.size > 0 || this.endOfRibDue)) {
        const batch = this.pending;
        this.pending = new Map();
        await this.send(batch);
        if (this.pending.size === 0 && this.endOfRibDue && !this.closed) {
          this.endOfRibDue = false;
          this.connection.send(endOfRib(Afi.ipv4, Safi.unicast));
          this.resolveInitial();
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: Map<string, PathAttribute[] | null>): Promise<void> {
    const withdrawals: string[] = [];
    const groups = new Map<PathAttribute[], string[]>();
    for (const [prefix, attributes] of batch) {
      const previous = this.sent.get(prefix);
      if (attributes === null) {
        this.unsendable.delete(prefix);
        if (previous === undefined) continue;
        this.sent.delete(prefix);
        withdrawals.push(prefix);
        continue;
      }
      if (previous === attributes) continue;
      const group = groups.get(attributes);
      if (group) group.push(prefix);
      else groups.set(attributes, [prefix]);
    }
    const maxLength = this.connection.negotiated?.extendedMessage ? EXTENDED_MAX_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    const addPath = this.connection.negotiated?.addPathSend.has(Afi.ipv4) ?? false;
    const announcements: Array<[Uint8Array, string[]]> = [];
    for (const [attributes, prefixes] of groups) {
      const encoded = concat(attributes.map((attribute) => encodeAttribute(attribute, this.connection.context)));
      const room = maxLength - HEADER_LENGTH - UPDATE_BODY_MINIMUM - encoded.length;
      const fitting: string[] = [];
      const newlyUnsendable: string[] = [];
      for (const prefix of prefixes) {
        if (nlriLength(prefix, addPath) <= room) {
          fitting.push(prefix);
          this.sent.set(prefix, attributes);
          this.unsendable.delete(prefix);
          continue;
        }
        if (this.sent.delete(prefix)) withdrawals.push(prefix);
        if (this.unsendable.get(prefix) !== attributes) newlyUnsendable.push(prefix);
        this.unsendable.set(prefix, attributes);
      }
      if (newlyUnsendable.length > 0) this.onUnsendable?.(newlyUnsendable, encoded.length, maxLength);
      if (fitting.length > 0) announcements.push([encoded, fitting]);
    }
    let messages = 0;
    const out = async (bytes: Uint8Array) => {
      if (this.closed) return;
      if (!this.connection.write(bytes)) await once(this.connection.socket, "drain");
      if (++messages % MESSAGES_PER_TURN === 0) await yieldToLoop();
    };
    for (const bytes of packUpdates(new Uint8Array(0), withdrawals, maxLength, addPath, true)) await out(bytes);
    for (const [encoded, prefixes] of announcements) {
      for (const bytes of packUpdates(encoded, prefixes, maxLength, addPath, false)) await out(bytes);
    }
  }
}

/** Octets "a.b.c.d/len" takes in NLRI encoding (with a path identifier under ADD-PATH). */
function nlriLength(prefix: string, addPath: boolean): number {
  const length = Number(prefix.slice(prefix.indexOf("/") + 1));
  return (addPath ? 4 : 0) + 1 + ((length + 7) >> 3);
}

/**
 * UPDATE messages carrying `prefixes` (IPv4) with the given encoded attributes, as few as
 * `maxLength` allows; as withdrawals when `withdraw`. Every message carries at least one prefix:
 * a prefix that cannot fit beside the attributes is an error (the caller holds such routes back).
 */
export function* packUpdates(attributes: Uint8Array, prefixes: string[], maxLength: number, addPath: boolean, withdraw: boolean): Generator<Uint8Array> {
  const fixed = HEADER_LENGTH + 4 + attributes.length;
  let at = 0;
  while (at < prefixes.length) {
    const buffer = new Uint8Array(maxLength);
    let length = fixed;
    const prefixStart = withdraw ? HEADER_LENGTH + 2 : fixed;
    let write = prefixStart;
    while (at < prefixes.length && length + nlriLength(prefixes[at], addPath) <= maxLength) {
      const written = writeIpv4Prefix(buffer, write, prefixes[at], addPath);
      write += written;
      length += written;
      at++;
    }
    if (write === prefixStart) {
      throw new Error(`${prefixes[at]} does not fit in a ${maxLength}-octet UPDATE beside ${attributes.length} octets of attributes`);
    }
    buffer.fill(0xff, 0, 16);
    buffer[16] = length >> 8;
    buffer[17] = length & 0xff;
    buffer[18] = MessageType.update;
    const prefixBytes = write - prefixStart;
    if (withdraw) {
      buffer[19] = prefixBytes >> 8;
      buffer[20] = prefixBytes & 0xff;
      buffer[write] = 0;
      buffer[write + 1] = 0;
    } else {
      buffer[19] = 0;
      buffer[20] = 0;
      buffer[21] = attributes.length >> 8;
      buffer[22] = attributes.length & 0xff;
      buffer.set(attributes, 23);
    }
    yield buffer.subarray(0, length);
  }
}

/** Writes "a.b.c.d/len" in NLRI encoding at `at` (path identifier 0 first with ADD-PATH); returns its length. */
function writeIpv4Prefix(buffer: Uint8Array, at: number, prefix: string, addPath: boolean): number {
  let octet = 0;
  let index = 0;
  const address = [0, 0, 0, 0];
  let i = 0;
  for (; i < prefix.length; i++) {
    const char = prefix.charCodeAt(i);
    if (char === 46 /* . */) {
      address[index++] = octet;
      octet = 0;
    } else if (char === 47 /* / */) {
      break;
    } else {
      octet = octet * 10 + (char - 48);
    }
  }
  address[index] = octet;
  const length = Number(prefix.slice(i + 1));
  const octets = (length + 7) >> 3;
  let write = at;
  if (addPath) {
    buffer[write] = buffer[write + 1] = buffer[write + 2] = buffer[write + 3] = 0;
    write += 4;
  }
  buffer[write++] = length;
  for (let k = 0; k < octets; k++) buffer[write++] = address[k];
  return write - at;
}
