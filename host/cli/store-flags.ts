// The store flags `agent` and `status` share, named as flanneld's.

import { Command, Option } from "commander";
import { DEFAULT_STORE_PATH } from "../store/open";
import { DEFAULT_PREFIX } from "../store/leases";

/** Adds --store, --store-path and the etcd flags to `command`. */
export function withStoreFlags(command: Command): Command {
  return command
    .addOption(new Option("--store <kind>", "lease store: sqlite (embedded, one machine) or etcd").choices(["sqlite", "etcd"]).default("sqlite"))
    .option("--store-path <file>", "the SQLite store's file", DEFAULT_STORE_PATH)
    .option("--etcd-endpoints <urls>", "comma-separated etcd endpoints", "http://127.0.0.1:2379")
    .option("--etcd-prefix <prefix>", "key prefix of the network config and leases", DEFAULT_PREFIX)
    .option("--etcd-cafile <file>", "CA certificate for etcd TLS")
    .option("--etcd-certfile <file>", "client certificate for etcd TLS")
    .option("--etcd-keyfile <file>", "client key for etcd TLS");
}
