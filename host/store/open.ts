// Opens the datastore the flags name, from one table of stores (as backend/registry.ts is one of
// backends): the embedded SQLite file or etcd (flanneld's flags); Kubernetes comes as one more row.

import { join } from "node:path";
import { existsSync } from "node:fs";
import type { KvStore } from "./kv";
import { SqliteKv } from "./sqlite-kv";
import { extractAsset, isBundle } from "../assets";

type StoreKind = keyof typeof STORES;

export interface StoreFlags {
  store: StoreKind;
  storePath: string;
  etcdEndpoints: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
}

/**
 * The native module better-sqlite3 needs: the package's own when running from sources; in the
 * bundle, the copy in dist/ (or, in the single executable, whose require loads built-ins only,
 * the carried copy), loaded with process.dlopen and handed over.
 */
function sqliteBinding(): object | undefined {
  if (!isBundle()) return undefined;
  const module = { exports: {} };
  process.dlopen(module, extractAsset("better_sqlite3.node"));
  return module.exports;
}

/** Each datastore: what it is for, and how to open it from the flags. */
export const STORES = {
  sqlite: {
    description: "embedded, one machine",
    open: async (flags: StoreFlags): Promise<KvStore> => new SqliteKv(flags.storePath, { nativeBinding: sqliteBinding() }),
  },
  etcd: {
    description: "etcd v3, flanneld's keys",
    open: async (flags: StoreFlags): Promise<KvStore> => {
      // Loaded only when asked for: etcd3 reads its gRPC definitions as it loads.
      const { EtcdKv } = await import("./etcd-kv");
      const endpoints = flags.etcdEndpoints.split(",").map((endpoint) => endpoint.trim()).filter(Boolean);
      for (const file of [flags.etcdCafile, flags.etcdCertfile, flags.etcdKeyfile]) {
        if (file && !existsSync(file)) throw new Error(`etcd TLS file ${file} does not exist`);
      }
      return new EtcdKv({ endpoints, caFile: flags.etcdCafile, certFile: flags.etcdCertfile, keyFile: flags.etcdKeyfile });
    },
  },
} as const;

/** The names of the datastores in this build. */
export const STORE_KINDS = Object.keys(STORES) as StoreKind[];

export async function openStore(flags: StoreFlags): Promise<KvStore> {
  return STORES[flags.store].open(flags);
}

export const DEFAULT_STORE_PATH = join("/var/lib/podnet", "store.db");
