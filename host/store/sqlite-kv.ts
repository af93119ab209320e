// The embedded store: etcd's contract on one SQLite file, as k3s's kine does, for one machine
// (the demo, tests, a single node). Several processes share the file safely: WAL mode, a busy
// timeout, every change in an IMMEDIATE transaction that bumps one revision counter and appends to
// a changes table. Watches poll `PRAGMA data_version` (cheap: it changes only when another
// connection committed) and read the changes after their revision. Expired keys are deleted,
// with a change recorded, by whichever process sweeps first.

import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { CompactedError, StoreError, type KeyValue, type KvEvent, type KvStore, type Watch } from "./kv";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL,
    expires_at INTEGER            -- unix milliseconds; NULL: never
  );
  CREATE TABLE IF NOT EXISTS changes (
    revision INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
    value TEXT
  );
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0);
`;

/** How often a watch looks for commits by other connections. */
const POLL_MILLISECONDS = 5;
/**
 * Changes kept for watches (as k3s's kine keeps 1,000 revisions): older ones are deleted as new
 * ones come, so the file does not grow with every write ever made. A watch polls every few
 * milliseconds and never falls that far behind; one resumed from older gets CompactedError and
 * lists again.
 */
export const RETAINED_CHANGES = 1000;

interface SqliteOptions {
  /** better-sqlite3's native module, when it is not where the package expects it (the single executable). */
  nativeBinding?: object;
  /** Clock for TTLs, injectable for tests. */
  now?: () => number;
}

/** What an operator can do about a failing store file, by SQLite's error code ("" when nothing in particular). */
function advice(error: Error): string {
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_FULL")) return " (its filesystem is full: free space there; nothing is lost, writes are retried)";
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")) return " (the file is damaged: move it aside and start again — agents take their leases anew — or restore a copy)";
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_IOERR")) return " (check the file and its directory: writable, on a working disk)";
  return "";
}

/**
 * The store holds BGPPeer passwords and every lease: it, its WAL and its shared-memory file are for
 * root alone (0600). A new file is created so before SQLite opens it; existing ones are tightened.
 */
function keepPrivate(path: string): void {
  if (path === ":memory:" || path === "") return;
  if (!existsSync(path)) closeSync(openSync(path, "wx", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    // A file we may read but not change (another owner, a read-only mount) still serves.
    if (existsSync(file)) tryChmod(file);
  }
}

function tryChmod(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    // Not ours to change; SQLite reports what it cannot do with it.
  }
}

export class SqliteKv implements KvStore {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly watches = new Set<() => void>();

  constructor(readonly path: string, options: SqliteOptions = {}) {
    this.now = options.now ?? Date.now;
    try {
      keepPrivate(path);
      this.db = new Database(path, { nativeBinding: options.nativeBinding as string | undefined, timeout: 5000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
      // SQLite gives the -wal and -shm files the database file's mode; a store written by an
      // older podnet (0644) is tightened here too.
      keepPrivate(path);
    } catch (error) {
      throw new StoreError(`cannot open the SQLite store at ${path}: ${(error as Error).message}${advice(error as Error)}`);
    }
  }

  /** Runs `work` in an IMMEDIATE transaction, after deleting what has expired. */
  private change<T>(work: (revision: () => number) => T): T {
    const run = this.db.transaction(() => {
      // Each change its own revision (changes.revision is the table's key): a write that sweeps
      // expired keys first gives each delete one, then itself the next.
      const revision = () => {
        const next = (this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").pluck().get() as number) + 1;
        this.db.prepare("UPDATE meta SET value = ? WHERE name = 'revision'").run(next);
        return next;
      };
      this.sweep(revision);
      const result = work(revision);
      const latest = this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").pluck().get() as number;
      if (latest > RETAINED_CHANGES) this.forget(latest - RETAINED_CHANGES);
      return result;
    });
    let result: T;
    try {
      result = run.immediate();
    } catch (error) {
      const advised = advice(error as Error);
      throw advised ? new StoreError(`the SQLite store at ${this.path}: ${(error as Error).message}${advised}`) : error;
    }
    for (const kick of this.watches) kick();
    return result;
  }

  /** Deletes expired keys, each with a delete change at a revision of its own. */
  private sweep(revision: () => number): void {
    const expired = this.db.prepare("SELECT key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?").pluck().all(this.now()) as string[];
    for (const key of expired) {
      this.db.prepare("DELETE FROM kv WHERE key = ?").run(key);
      this.db.prepare("INSERT INTO changes (revision, key, type) VALUES (?, ?, 'delete')").run(revision(), key);
    }
  }

  private expiry(ttlSeconds: number): number | null {
    return ttlSeconds > 0 ? this.now() + ttlSeconds * 1000 : null;
  }

  private live(row: { key: string; value: string; create_revision: number; mod_revision: number; expires_at: number | null } | undefined): KeyValue | undefined {
    if (!row || (row.expires_at !== null && row.expires_at <= this.now())) return undefined;
    return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.mod_revision };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.live(this.db.prepare("SELECT * FROM kv WHERE key = ?").get(key) as never);
  }

  async range(prefix: string): Promise<{ items: KeyValue[]; revision: number }> {
    const read = this.db.transaction(() => {
      const rows = this.db.prepare("SELECT * FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key").all(prefix.length, prefix) as never[];
      const revision = this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").pluck().get() as number;
      return { items: rows.map((row) => this.live(row)).filter((item): item is KeyValue => item !== undefined), revision };
    });
    return read();
  }

  async create(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.change((revision) => {
      if (this.db.prepare("SELECT 1 FROM kv WHERE key = ?").get(key)) return false;
      const at = revision();
      this.db.prepare("INSERT INTO kv VALUES (?, ?, ?, ?, ?)").run(key, value, at, at, this.expiry(ttlSeconds));
      this.db.prepare("INSERT INTO changes (revision, key, type, value) VALUES (?, ?, 'put', ?)").run(at, key, value);
      return true;
    });
  }

  async update(key: string, value: string, expectedModRevision: number, ttlSeconds: number): Promise<boolean> {
    return this.change((revision) => {
      const current = this.db.prepare("SELECT mod_revision FROM kv WHERE key = ?").pluck().get(key) as number | undefined;
      if (current !== expectedModRevision) return false;
      const at = revision();
      this.db.prepare("UPDATE kv SET value = ?, mod_revision = ?, expires_at = ? WHERE key = ?").run(value, at, this.expiry(ttlSeconds), key);
      this.db.prepare("INSERT INTO changes (revision, key, type, value) VALUES (?, ?, 'put', ?)").run(at, key, value);
      return true;
    });
  }

  async expiresAt(key: string): Promise<number | undefined> {
    const at = this.db.prepare("SELECT expires_at FROM kv WHERE key = ?").pluck().get(key) as number | null | undefined;
    return at === null || at === undefined || at <= this.now() ? undefined : at;
  }

  async refresh(key: string, ttlSeconds: number): Promise<boolean> {
    // A TTL refresh changes no value, so, as an etcd keep-alive, it is not a change watchers see.
    return this.change(() => this.db.prepare("UPDATE kv SET expires_at = ? WHERE key = ?").run(this.expiry(ttlSeconds), key).changes === 1);
  }

  async delete(key: string, expectedModRevision?: number): Promise<boolean> {
    return this.change((revision) => {
      const deleted =
        expectedModRevision === undefined ? this.db.prepare("DELETE FROM kv WHERE key = ?").run(key) : this.db.prepare("DELETE FROM kv WHERE key = ? AND mod_revision = ?").run(key, expectedModRevision);
      if (deleted.changes === 0) return false;
      this.db.prepare("INSERT INTO changes (revision, key, type) VALUES (?, ?, 'delete')").run(revision(), key);
      return true;
    });
  }

  /** Forgets changes up to `revision`; watches from before it get CompactedError. */
  async compact(revision: number): Promise<void> {
    this.change(() => this.forget(revision));
  }

  private forget(revision: number): void {
    this.db.prepare("DELETE FROM changes WHERE revision <= ?").run(revision);
    this.db.prepare("UPDATE meta SET value = max(value, ?) WHERE name = 'compacted'").run(revision);
  }

  /** Deletes expired keys now (watchers then see their deletes). */
  async expire(): Promise<void> {
    this.change(() => undefined);
  }

  watch(prefix: string, fromRevision: number, onEvent: (event: KvEvent) => void, onError: (error: Error) => void): Watch {
    let last = fromRevision;
    let version = -1;
    let stopped = false;
    const read = this.db.prepare("SELECT revision, key, type, value FROM changes WHERE revision > ? AND revision <= ? AND substr(key, 1, ?) = ? ORDER BY revision, key");
    // One snapshot: the changes since `last` up to the store's revision, which the watch has then
    // seen all of — also when none were under its prefix, so a quiet prefix does not rescan the
    // same history at every poll (it did: CPU grew with every write the store had taken).
    const snapshot = this.db.transaction(() => {
      const compacted = this.db.prepare("SELECT value FROM meta WHERE name = 'compacted'").pluck().get() as number;
      if (last < compacted) throw new CompactedError(last, compacted);
      const latest = this.db.prepare("SELECT value FROM meta WHERE name = 'revision'").pluck().get() as number;
      return { latest, rows: read.all(last, latest, prefix.length, prefix) as Array<{ revision: number; key: string; type: "put" | "delete"; value: string | null }> };
    });
    const poll = () => {
      if (stopped) return;
      try {
        const current = this.db.pragma("data_version", { simple: true }) as number;
        if (current !== version || version === -1) {
          version = current;
          const { latest, rows } = snapshot();
          for (const row of rows) onEvent({ type: row.type, key: row.key, value: row.value ?? undefined, revision: row.revision });
          last = Math.max(last, latest);
        }
        timer = setTimeout(poll, POLL_MILLISECONDS);
      } catch (error) {
        stopped = true;
        onError(error as Error);
      }
    };
    // data_version does not change for this connection's own commits: recheck on those too.
    const kick = () => {
      version = -1;
    };
    this.watches.add(kick);
    let timer = setTimeout(poll, 0);
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        this.watches.delete(kick);
      },
    };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
