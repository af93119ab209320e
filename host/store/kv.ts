// The small key-value contract both lease stores keep — etcd (v3 API) and the embedded SQLite
// store — so lease logic (host/store/leases.ts) is written once. Revisions are a store-wide
// counter that rises with every change, as etcd's; a watch delivers every change after a
// revision, in order.

/** A stored key with the revision of its last change and of its creation. */
export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
}

/** One change seen by a watch. Deletes include expiries. */
export interface KvEvent {
  type: "put" | "delete";
  key: string;
  value?: string;
  revision: number;
}

/** A watch's history was compacted past its start: re-list, then watch from the list's revision. */
export class CompactedError extends Error {
  readonly code = "COMPACTED";
  constructor(readonly fromRevision: number, readonly compactRevision?: number) {
    super(`revision ${fromRevision} was compacted${compactRevision === undefined ? "" : ` (history starts after ${compactRevision})`}: list again`);
  }
}

/** A store that is not reachable or failed; callers retry with backoff. */
export class StoreError extends Error {
  readonly code = "STORE";
}

/** A running watch. */
export interface Watch {
  stop(): Promise<void>;
}

export interface KvStore {
  /** The key's current value, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key under `prefix`, and the store revision they were read at. */
  range(prefix: string): Promise<{ items: KeyValue[]; revision: number }>;
  /** Creates `key` only if it does not exist; with `ttlSeconds` > 0 it expires unless refreshed. */
  create(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Replaces `key` only if its modRevision is still `expected` (compare-and-swap). */
  update(key: string, value: string, expectedModRevision: number, ttlSeconds: number): Promise<boolean>;
  /** When the key will expire (unix milliseconds), or undefined when it has no TTL or is gone. */
  expiresAt(key: string): Promise<number | undefined>;
  /** Restarts the key's TTL; false when the key is gone. */
  refresh(key: string, ttlSeconds: number): Promise<boolean>;
  /** Deletes `key` (only if its modRevision is still `expectedModRevision`, when given); false when it was not deleted. */
  delete(key: string, expectedModRevision?: number): Promise<boolean>;
  /** Calls `onEvent` for every change under `prefix` after `fromRevision`, in order. */
  watch(prefix: string, fromRevision: number, onEvent: (event: KvEvent) => void, onError: (error: Error) => void): Watch;
  close(): Promise<void>;
}

/**
 * Stops `watch`, waiting at most `milliseconds` for the store to confirm: an etcd that is down
 * never answers a cancel, and a stopping agent must not wait on it (closing the client ends it).
 */
export async function stopWatchWithin(watch: Watch, milliseconds = 200): Promise<void> {
  await Promise.race([watch.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, milliseconds).unref())]);
}
