// Opens the lease store the flags name: the embedded SQLite file or etcd (flanneld's flags).

import { join } from "node:path";
import { existsSync } from "node:fs";
import type { KvStore } from "./kv";
import { SqliteKv } from "./sqlite-kv";
import { extractAsset, isBundle } from "../assets";

export interface StoreFlags {
  store: "sqlite" | "etcd";
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

export async function openStore(flags: StoreFlags): Promise<KvStore> {
  if (flags.store === "sqlite") return new SqliteKv(flags.storePath, { nativeBinding: sqliteBinding() });
  // Loaded only when asked for: etcd3 reads its gRPC definitions as it loads.
  const { EtcdKv } = await import("./etcd-kv");
  const endpoints = flags.etcdEndpoints.split(",").map((endpoint) => endpoint.trim()).filter(Boolean);
  for (const file of [flags.etcdCafile, flags.etcdCertfile, flags.etcdKeyfile]) {
    if (file && !existsSync(file)) throw new Error(`etcd TLS file ${file} does not exist`);
  }
  return new EtcdKv({ endpoints, caFile: flags.etcdCafile, certFile: flags.etcdCertfile, keyFile: flags.etcdKeyfile });
}

export const DEFAULT_STORE_PATH = join("/var/lib/podnet", "store.db");
