// Flannel's --ip-masq behaviour as one nftables table, replaced atomically: pod traffic leaving
// the cluster network is masqueraded to the node's address; pod-to-pod traffic never is; traffic
// from outside the cluster network to pods of other nodes is masqueraded so replies come back
// through this node. Multicast is left alone. podnet owns the table `ip podnet` and nothing else.

import { execFileSync } from "node:child_process";

export const MASQUERADE_TABLE = "podnet";

/** The nft script that (re)writes podnet's table for `network` (the cluster) and `subnet` (this node's). */
export function masqueradeScript(network: string, subnet: string): string {
  return [
    // Create-then-delete makes the delete succeed whether or not the table existed: one transaction.
    `table ip ${MASQUERADE_TABLE}`,
    `delete table ip ${MASQUERADE_TABLE}`,
    `table ip ${MASQUERADE_TABLE} {`,
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    `    ip saddr ${network} ip daddr ${network} return`,
    `    ip saddr ${network} ip daddr != 224.0.0.0/4 masquerade fully-random`,
    `    ip saddr != ${network} ip daddr ${subnet} return`,
    `    ip saddr != ${network} ip daddr ${network} masquerade fully-random`,
    "  }",
    "}",
    "",
  ].join("\n");
}

function nft(args: string[], input?: string): string {
  try {
    return execFileSync("nft", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`nft ${args.join(" ")}: ${stderr || (error as Error).message}`);
  }
}

/** Installs (or replaces) the masquerade rules. */
export function installMasquerade(network: string, subnet: string): void {
  nft(["-f", "-"], masqueradeScript(network, subnet));
}

/** True when podnet's table exists (false too when nft is not installed: then there are no rules of ours). */
export function hasMasquerade(): boolean {
  try {
    nft(["list", "table", "ip", MASQUERADE_TABLE]);
    return true;
  } catch {
    return false;
  }
}

/** Removes podnet's table. */
export function removeMasquerade(): void {
  nft(["delete", "table", "ip", MASQUERADE_TABLE]);
}
