// Flannel's --ip-masq behaviour as one nftables table, replaced atomically: pod traffic leaving
// the cluster network is masqueraded to the node's address; pod-to-pod traffic never is; traffic
// from outside the cluster network to pods of other nodes is masqueraded so replies come back
// through this node. Multicast is left alone. podnet owns the table `ip podnet` and nothing else.

import { execFile } from "node:child_process";

const MASQUERADE_TABLE = "podnet";

/** The nft script that (re)writes podnet's table for `network` (the cluster) and `subnet` (this node's). */
function masqueradeScript(network: string, subnet: string): string {
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

/**
 * Calico mode's natOutgoing in the same table: traffic from a pool with natOutgoing to anywhere
 * outside every pool (and not multicast) leaves with the node's address; pod-to-pod traffic never.
 */
function natOutgoingScript(natPools: string[], allPools: string[]): string {
  return [
    `table ip ${MASQUERADE_TABLE}`,
    `delete table ip ${MASQUERADE_TABLE}`,
    `table ip ${MASQUERADE_TABLE} {`,
    `  set pools { type ipv4_addr; flags interval; elements = { ${allPools.join(", ")} } }`,
    `  set nat_pools { type ipv4_addr; flags interval; elements = { ${natPools.join(", ")} } }`,
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    "    ip saddr @nat_pools ip daddr != @pools ip daddr != 224.0.0.0/4 masquerade fully-random",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Installs (or replaces) Calico mode's natOutgoing rules. */
async function installNatOutgoing(natPools: string[], allPools: string[]): Promise<void> {
  await nft(["-f", "-"], natOutgoingScript(natPools, allPools));
}

/** nft failed; the message carries its stderr. */
class NftError extends Error {
  readonly code = "NFT";
}

/** Runs nft without blocking the event loop (the agent relays packets and serves CNI meanwhile). */
function nft(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("nft", args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new NftError(`nft ${args.join(" ")}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

/** Installs (or replaces) the masquerade rules. */
export async function installMasquerade(network: string, subnet: string): Promise<void> {
  await nft(["-f", "-"], masqueradeScript(network, subnet));
}

/** True when podnet's table exists (false too when nft is not installed: then there are no rules of ours). */
export async function hasMasquerade(): Promise<boolean> {
  try {
    await nft(["list", "table", "ip", MASQUERADE_TABLE]);
    return true;
  } catch {
    return false;
  }
}

/** Removes podnet's table. */
export async function removeMasquerade(): Promise<void> {
  await nft(["delete", "table", "ip", MASQUERADE_TABLE]);
}

/**
 * Calico's natOutgoing: the masquerade rules for the enabled pools that ask for it, removed when
 * none does; rewritten only when the pools change.
 */
export class NatOutgoing {
  /** The rules last installed ("" for none). */
  private installed?: string;

  /** Brings the rules in line with `pools`; returns what to log when it changed something. */
  async sync(pools: Array<{ spec: { cidr: string; disabled: boolean; natOutgoing: boolean } }>): Promise<{ fields: Record<string, unknown>; message: string } | undefined> {
    const enabled = pools.filter((pool) => !pool.spec.disabled);
    const natPools = enabled.filter((pool) => pool.spec.natOutgoing).map((pool) => pool.spec.cidr);
    const wanted = natPools.length === 0 ? "" : JSON.stringify([natPools, enabled.map((pool) => pool.spec.cidr)]);
    if (wanted === this.installed) return undefined;
    let said: { fields: Record<string, unknown>; message: string } | undefined;
    if (natPools.length > 0) {
      await installNatOutgoing(natPools, enabled.map((pool) => pool.spec.cidr));
      said = { fields: { pools: natPools }, message: `natOutgoing: traffic from ${natPools.join(", ")} to outside the pools is masqueraded` };
    } else if (await hasMasquerade()) {
      await removeMasquerade();
      said = { fields: {}, message: "natOutgoing: no pool asks for it; removed the masquerade rules" };
    }
    this.installed = wanted;
    return said;
  }
}
