// `podnet status`: every node's lease from the store, as a table or JSON.

import { Command } from "commander";
import { LeaseRegistry } from "../store/leases";
import { openStore, type StoreFlags } from "../store/open";
import { withStoreFlags } from "./store-flags";
import { table } from "./table";

export function statusCommand(): Command {
  const command = new Command("status").description("show the peer and lease table from the store");
  withStoreFlags(command)
    .option("--json", "one JSON object per node")
    .action(async (flags: StoreFlags & { etcdPrefix: string; json?: boolean }) => {
      const store = await openStore(flags);
      try {
        const registry = new LeaseRegistry(store, flags.etcdPrefix);
        const { leases, skipped } = await registry.list();
        const rows = [];
        for (const lease of leases) {
          rows.push({
            node: lease.publicIp,
            subnet: lease.subnet,
            backend: lease.backendType,
            vtepMac: typeof lease.backendData?.VtepMAC === "string" ? lease.backendData.VtepMAC : null,
            expires: (await registry.expiresAt(lease))?.toISOString().replace(/\.\d+Z$/, "Z") ?? null,
          });
        }
        if (flags.json) {
          for (const row of rows) console.log(JSON.stringify(row));
        } else {
          const header = ["NODE", "SUBNET", "BACKEND", "VTEP MAC", "LEASE EXPIRES"];
          process.stdout.write(table(header, rows.map((row) => [row.node, row.subnet, row.backend, row.vtepMac ?? "-", row.expires ?? "never"])));
        }
        for (const entry of skipped) process.stderr.write(`podnet: skipped ${entry.key}: ${entry.reason}\n`);
      } finally {
        await store.close();
      }
    });
  return command;
}
