// The store flags `agent` and `status` share, named as flanneld's.

import { Command, Option } from "commander";
import { DEFAULT_STORE_PATH, STORE_KINDS, STORES } from "../store/open";
import { DEFAULT_PREFIX } from "../store/leases";

/** Adds --store, --store-path and the etcd flags to `command`. */
export function withStoreFlags(command: Command): Command {
  return command
    .addOption(new Option("--store <kind>", `datastore: ${STORE_KINDS.map((kind) => `${kind} (${STORES[kind].description})`).join(", ")}`).choices(STORE_KINDS).default("sqlite"))
    .option("--store-path <file>", "the SQLite store's file", DEFAULT_STORE_PATH)
    .option("--etcd-endpoints <urls>", "comma-separated etcd endpoints", "http://127.0.0.1:2379")
    .option("--etcd-prefix <prefix>", "key prefix of the network config and leases", DEFAULT_PREFIX)
    .option("--etcd-cafile <file>", "CA certificate for etcd TLS")
    .option("--etcd-certfile <file>", "client certificate for etcd TLS")
    .option("--etcd-keyfile <file>", "client key for etcd TLS");
}
