// The distributed store: etcd's v3 API through the etcd3 package. Every key with a TTL is bound
// to an etcd lease of its own; a refresh, as Flannel renews, grants a fresh lease and rewrites the
// key under it with compare-and-swap, then revokes the old one. Watches resume from their last
// revision after a disconnect (etcd3 reconnects with backoff); a compacted start revision ends
// the watch with CompactedError so the caller re-lists.

import { readFileSync } from "node:fs";
import { Etcd3, type IOptions } from "etcd3";
import { CompactedError, StoreError, type KeyValue, type KvEvent, type KvStore, type Watch } from "./kv";

/** Connection settings, named as flanneld's flags. */
interface EtcdOptions {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Per-call deadline, milliseconds. */
  timeoutMilliseconds?: number;
}

function wrap(action: string, error: unknown): StoreError {
  return new StoreError(`etcd ${action} failed: ${(error as Error).message}`);
}

interface RawKv {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
  create_revision: string;
  lease: string;
}

const toKeyValue = (kv: RawKv): KeyValue => ({
  key: kv.key.toString(),
  value: kv.value.toString(),
  modRevision: Number(kv.mod_revision),
  createRevision: Number(kv.create_revision),
});

export class EtcdKv implements KvStore {
  private readonly client: Etcd3;

  constructor(options: EtcdOptions) {
    const settings: IOptions = {
      hosts: options.endpoints,
      // A deadline on the watch stream would end it every few seconds (the watch restarts,
      // replaying from its revision): only single calls get one.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + (options.timeoutMilliseconds ?? 5000)) }),
    };
    if (options.caFile) {
      settings.credentials = {
        rootCertificate: readFileSync(options.caFile),
        privateKey: options.keyFile ? readFileSync(options.keyFile) : undefined,
        certChain: options.certFile ? readFileSync(options.certFile) : undefined,
      };
    }
    this.client = new Etcd3(settings);
  }

  private async leaseFor(ttlSeconds: number): Promise<string | undefined> {
    if (ttlSeconds <= 0) return undefined;
    return this.client.lease(ttlSeconds, { autoKeepAlive: false }).grant();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    try {
      const response = await this.client.get(key).exec();
      return response.kvs.length > 0 ? toKeyValue(response.kvs[0] as unknown as RawKv) : undefined;
    } catch (error) {
      throw wrap(`get ${key}`, error);
    }
  }

  async range(prefix: string): Promise<{ items: KeyValue[]; revision: number }> {
    try {
      const response = await this.client.getAll().prefix(prefix).exec();
      return { items: response.kvs.map((kv) => toKeyValue(kv as unknown as RawKv)), revision: Number(response.header.revision) };
    } catch (error) {
      throw wrap(`range ${prefix}`, error);
    }
  }

  async create(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    try {
      const lease = await this.leaseFor(ttlSeconds);
      const put = this.client.put(key).value(value);
      const result = await this.client.if(key, "Create", "==", 0).then(lease ? put.lease(lease) : put).commit();
      if (!result.succeeded && lease) await this.client.leaseClient.leaseRevoke({ ID: lease });
      return result.succeeded;
    } catch (error) {
      throw wrap(`create ${key}`, error);
    }
  }

  async update(key: string, value: string, expectedModRevision: number, ttlSeconds: number): Promise<boolean> {
    try {
      const previous = (await this.client.get(key).exec()).kvs[0] as unknown as RawKv | undefined;
      const lease = await this.leaseFor(ttlSeconds);
      const put = this.client.put(key).value(value);
      const result = await this.client.if(key, "Mod", "==", expectedModRevision).then(lease ? put.lease(lease) : put).commit();
      const stale = result.succeeded ? previous?.lease : lease;
      if (stale && stale !== "0") await this.client.leaseClient.leaseRevoke({ ID: stale }).catch(() => undefined);
      return result.succeeded;
    } catch (error) {
      throw wrap(`update ${key}`, error);
    }
  }

  async expiresAt(key: string): Promise<number | undefined> {
    try {
      const kv = (await this.client.get(key).exec()).kvs[0] as unknown as RawKv | undefined;
      if (!kv || kv.lease === "0") return undefined;
      const { TTL } = await this.client.leaseClient.leaseTimeToLive({ ID: kv.lease });
      return Number(TTL) > 0 ? Date.now() + Number(TTL) * 1000 : undefined;
    } catch (error) {
      throw wrap(`lease time of ${key}`, error);
    }
  }

  async refresh(key: string, ttlSeconds: number): Promise<boolean> {
    const current = await this.get(key);
    if (!current) return false;
    return this.update(key, current.value, current.modRevision, ttlSeconds);
  }

  async delete(key: string, expectedModRevision?: number): Promise<boolean> {
    try {
      if (expectedModRevision !== undefined) {
        const result = await this.client.if(key, "Mod", "==", expectedModRevision).then(this.client.delete().key(key)).commit();
        return result.succeeded;
      }
      const response = await this.client.delete().key(key).exec();
      return Number(response.deleted) > 0;
    } catch (error) {
      throw wrap(`delete ${key}`, error);
    }
  }

  /** Compacts etcd's history up to `revision` (tests use it to exercise re-listing). */
  async compact(revision: number): Promise<void> {
    await this.client.kv.compact({ revision: String(revision), physical: true });
  }

  watch(prefix: string, fromRevision: number, onEvent: (event: KvEvent) => void, onError: (error: Error) => void): Watch {
    let stopped = false;
    // A watch etcd cancelled (compacted history) is gone from the client's list: cancelling it
    // again gets a second cancel response that the etcd3 client throws on, uncaught.
    let cancelledByServer = false;
    const started = this.client.watch().prefix(prefix).startRevision(String(fromRevision + 1)).create();
    const watcher = started.then((watch) => {
      watch.on("put", (kv) => onEvent({ type: "put", key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) }));
      watch.on("delete", (kv) => onEvent({ type: "delete", key: kv.key.toString(), revision: Number(kv.mod_revision) }));
      watch.on("error", (error) => {
        cancelledByServer = true;
        if (stopped) return;
        stopped = true;
        void this.watchFailure(prefix, fromRevision, error).then(onError);
      });
      return watch;
    });
    watcher.catch((error) => void this.watchFailure(prefix, fromRevision, error).then(onError));
    return {
      stop: async () => {
        stopped = true;
        const watch = await watcher.catch(() => undefined);
        if (watch && !cancelledByServer) await watch.cancel();
      },
    };
  }

  /** Why a watch ended: etcd cancels a watch on compacted history without a reason, so ask. */
  private async watchFailure(prefix: string, fromRevision: number, error: Error): Promise<Error> {
    try {
      await this.client.get(prefix).revision(String(fromRevision + 1)).exec();
    } catch (probe) {
      if (/compacted/.test((probe as Error).message)) return new CompactedError(fromRevision);
    }
    return wrap(`watch ${prefix}`, error);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
