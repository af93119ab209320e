// `podnet status`: on a Calico-mode node (its agent serves the BGP control socket), what
// `calicoctl node status` prints, in its shape; otherwise every node's lease from the store.

import { existsSync } from "node:fs";
import { Command } from "commander";
import { controlRequest } from "../bgp/control";
import { ipv4ToNumber } from "../shared/addresses";
import type { PeerStatus } from "../bgp/status";
import { LeaseRegistry } from "../store/leases";
import { openStore, type StoreFlags } from "../store/open";
import { DEFAULT_CONTROL_SOCKET } from "./bgp";
import { withStoreFlags } from "./store-flags";
import { bordered, table } from "./table";

/** A peer's SINCE as BIRD and calicoctl show it: the time of day when today, else the date. */
function since(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const sameDay = at.toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
  return sameDay ? at.toISOString().slice(11, 19) : at.toISOString().slice(0, 10);
}

async function calicoStatus(control: string, json: boolean): Promise<void> {
  let peers: PeerStatus[];
  try {
    peers = (await controlRequest(control, { command: "peers" })) as PeerStatus[];
  } catch (error) {
    console.log("podnet process is not running.");
    throw new Error(`no answer on ${control}: ${(error as Error).message}`);
  }
  // By address, as an operator scans them (the agent adds peers in the order their Nodes appear).
  peers.sort((a, b) => ipv4ToNumber(a.address) - ipv4ToNumber(b.address));
  const rows = peers.map((peer) => ({
    peerAddress: peer.address,
    peerType: peer.kind ?? (peer.type === "iBGP" ? "node-to-node mesh" : "global"),
    state: peer.state === "Established" ? "up" : "start",
    since: since(peer.since),
    info: peer.state === "Established" || !peer.lastError ? peer.state : `${peer.state} ${peer.lastError}`,
  }));
  if (json) {
    console.log(JSON.stringify({ running: true, ipv4: rows, ipv6: [] }));
    return;
  }
  console.log("podnet process is running.\n");
  console.log("IPv4 BGP status");
  if (rows.length === 0) console.log("No IPv4 peers found.");
  else process.stdout.write(bordered(["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"], rows.map((row) => [row.peerAddress, row.peerType, row.state, row.since, row.info])));
  console.log("\nIPv6 BGP status\nNo IPv6 peers found.\n");
}

export function statusCommand(): Command {
  const command = new Command("status").description("Calico mode: this node's BGP peers, as calicoctl node status; Flannel mode: the lease table from the store");
  withStoreFlags(command)
    .option("--json", "JSON (Flannel mode: one object per node)")
    .option("--bgp-control <path>", "a Calico-mode agent's BGP control socket; when it exists, status is the node's BGP status", DEFAULT_CONTROL_SOCKET)
    .action(async (flags: StoreFlags & { etcdPrefix: string; json?: boolean; bgpControl: string }) => {
      if (existsSync(flags.bgpControl)) return calicoStatus(flags.bgpControl, flags.json ?? false);
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
