// `podnet ipam show [--show-blocks] [--show-borrowed]`, `podnet ipam check`, `podnet ipam release
// --ip A`: Calico-mode block IPAM in the store, as `calicoctl ipam` shows and repairs it.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { Command } from "commander";
import { openStore, type StoreFlags } from "../store/open";
import { CALICO_PREFIX, ResourceStore } from "../resources/store";
import { BlockIpam } from "../ipam/ipam";
import { addressAt, inUse, type Block } from "../ipam/block";
import { parsePrefix, prefixContains } from "../shared/addresses";
import { bordered } from "./table";
import { withStoreFlags } from "./store-flags";
import { UsageError } from "./usage-error";

type Flags = StoreFlags & { calicoPrefix: string };

async function withIpam<T>(flags: Flags, work: (ipam: BlockIpam) => Promise<T>): Promise<T> {
  const kv = await openStore(flags);
  try {
    return await work(new BlockIpam(kv, new ResourceStore(kv, flags.calicoPrefix)));
  } finally {
    await kv.close();
  }
}

function withFlags(command: Command): Command {
  return withStoreFlags(command).option("--calico-prefix <prefix>", "key prefix of Calico-mode resources in the store", CALICO_PREFIX);
}

const share = (part: number, total: number) => `${part} (${total === 0 ? 0 : Math.round((100 * part) / total)}%)`;
const sizeOf = (cidr: string) => 2 ** (32 - parsePrefix(cidr).length);

function showCommand(): Command {
  return withFlags(new Command("show").description("addresses in use per pool (and per block), as calicoctl ipam show"))
    .option("--show-blocks", "a row per block too")
    .option("--show-borrowed", "the addresses nodes borrowed from other nodes' blocks")
    .action(async (flags: Flags & { showBlocks?: boolean; showBorrowed?: boolean }) => {
      const { pools, blocks, corrupt } = await withIpam(flags, async (ipam) => ({ pools: (await ipam.resources.list("IPPool")).resources, ...(await ipam.blocks()) }));
      for (const entry of corrupt) process.stderr.write(`podnet: skipped ${entry.key}: ${entry.reason}\n`);
      const rows: string[][] = [];
      for (const pool of pools) {
        if (pool.kind !== "IPPool") continue;
        const mine = blocks.map(({ block }) => block).filter((block) => prefixContains(pool.spec.cidr, block.cidr));
        const total = sizeOf(pool.spec.cidr);
        const used = mine.reduce((sum, block) => sum + inUse(block), 0);
        rows.push(["IP Pool", pool.spec.cidr, String(total), share(used, total), share(total - used, total)]);
        if (flags.showBlocks) {
          for (const block of mine.sort((a, b) => parsePrefix(a.cidr).address - parsePrefix(b.cidr).address)) {
            const size = sizeOf(block.cidr);
            rows.push(["Block", block.cidr, String(size), share(inUse(block), size), share(size - inUse(block), size)]);
          }
        }
      }
      process.stdout.write(bordered(["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"], rows));
      if (flags.showBorrowed) {
        const borrowed = blocks.flatMap(({ block }) => borrowedIn(block));
        process.stdout.write(bordered(["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER"], borrowed));
      }
    });
}

function borrowedIn(block: Block): string[][] {
  const rows: string[][] = [];
  block.allocations.forEach((handle, offset) => {
    const node = handle === null ? undefined : block.attributes[handle]?.node;
    if (node !== undefined && node !== block.affinity) rows.push([addressAt(block, offset), node, block.cidr, block.affinity ?? "(none)"]);
  });
  return rows;
}

function checkCommand(): Command {
  return withFlags(new Command("check").description("list this node's allocations whose container is gone (its network namespace no longer exists), and corrupt block entries"))
    .option("--node <name>", "the node whose allocations to check (their namespaces are on it)", hostname())
    .action(async (flags: Flags & { node: string }) => {
      const { blocks, corrupt, corruptHandles } = await withIpam(flags, async (ipam) => ({ ...(await ipam.blocks()), corruptHandles: (await ipam.handles()).corrupt }));
      let problems = 0;
      for (const entry of corrupt) {
        problems++;
        console.log(`corrupt block entry ${entry.key}: ${entry.reason}`);
      }
      for (const entry of corruptHandles) {
        problems++;
        console.log(`corrupt handle entry ${entry.key}: ${entry.reason}; remove it with podnet ipam release --handle ${entry.key.slice(entry.key.lastIndexOf("/") + 1)}`);
      }
      for (const { block } of blocks) {
        block.allocations.forEach((handle, offset) => {
          const attributes = handle === null ? undefined : block.attributes[handle];
          if (!attributes || attributes.node !== flags.node) return;
          if (attributes.netns !== undefined && existsSync(attributes.netns)) return;
          problems++;
          const why = attributes.netns === undefined ? "no network namespace recorded" : `network namespace ${attributes.netns} is gone`;
          console.log(`leaked ${addressAt(block, offset)} in ${block.cidr}: handle ${handle}, container ${attributes.containerId ?? "?"}: ${why}`);
        });
      }
      console.log(problems === 0 ? "no problems found" : `${problems} problem(s) found; free leaked addresses with podnet ipam release --ip ADDRESS`);
    });
}

function releaseCommand(): Command {
  const repeat = (value: string, previous: string[]) => [...previous, value];
  return withFlags(new Command("release").description("free addresses whatever holds them, or a handle and what it holds (after ipam check)"))
    .option("--ip <address>", "an address to free (repeat)", repeat, [] as string[])
    .option("--handle <handle>", "a handle to remove with the address it holds, even when its entry is corrupt (repeat)", repeat, [] as string[])
    .action(async (flags: Flags & { ip: string[]; handle: string[] }) => {
      if (flags.ip.length === 0 && flags.handle.length === 0) throw new UsageError("release needs --ip ADDRESS or --handle HANDLE");
      const missing = await withIpam(flags, async (ipam) => {
        const notHeld: string[] = [];
        for (const address of flags.ip) {
          const handle = await ipam.releaseAddress(address);
          if (handle === undefined) notHeld.push(address);
          else console.log(`released ${address} (handle ${handle})`);
        }
        for (const handle of flags.handle) {
          const known = await ipam.hasHandle(handle);
          const address = await ipam.release(handle);
          if (address !== undefined) console.log(`released handle ${handle} (${address})`);
          else if (known) console.log(`removed handle ${handle} (it held no address)`);
          else notHeld.push(`handle ${handle}`);
        }
        return notHeld;
      });
      if (missing.length > 0) throw new Error(`not allocated: ${missing.join(", ")}`);
    });
}

export function ipamCommand(): Command {
  return new Command("ipam").description("Calico-mode block IPAM: show, check, release").addCommand(showCommand()).addCommand(checkCommand()).addCommand(releaseCommand());
}
