// `podnet route`: offline longest-prefix-match lookups on a route table file, through the same
// Wasm table the data path uses; `podnet route bench` measures it on that table.

import { Command } from "commander";
import { readFileSync } from "node:fs";
import { internNextHops, parseTableFile } from "../route/table-file";
import { RouteTable } from "../wasm/route-table";
import { core } from "../wasm/module";
import { ipv4ToNumber } from "../shared/addresses";
import { readStdinText } from "./stdin";
import { UsageError } from "./usage-error";

function loadTable(file: string): { table: RouteTable; labels: string[]; prefixes: string[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the table: ${(error as Error).message}`);
  }
  const { labels, rows } = internNextHops(parseTableFile(text, file));
  const table = new RouteTable();
  table.load(rows);
  return { table, labels, prefixes: rows.map(([prefix]) => prefix) };
}

/** A label that is a plain number is printed as one in JSON. */
const jsonNextHop = (label: string) => (/^\d+$/.test(label) ? Number(label) : label);

/** The `route` command and its `bench` subcommand. */
export function routeCommand(): Command {
  const route = new Command("route")
    .description("offline longest-prefix-match lookups on a route table")
    .requiredOption("-t, --table <file>", 'table: lines of "prefix nexthop", or `ip -json route` output')
    .option("--json", "one JSON object per lookup: address, prefix, nextHop (null when nothing matches)")
    .argument("[addresses...]", "addresses to look up; read one per line from stdin when none are given")
    .action(async (addresses: string[], options: { table: string; json?: boolean }) => {
      const { table, labels } = loadTable(options.table);
      const queries = addresses.length > 0 ? addresses : (await readStdinText()).split("\n").map((line) => line.trim()).filter(Boolean);
      let failed = 0;
      for (const address of queries) {
        let match;
        try {
          match = table.lookup(address);
        } catch (error) {
          // One bad address does not lose the others' answers.
          process.stderr.write(`podnet: ${(error as Error).message}\n`);
          failed++;
          continue;
        }
        const nextHop = match ? labels[match.nextHop] : null;
        if (options.json) console.log(JSON.stringify({ address, prefix: match?.prefix ?? null, nextHop: nextHop === null ? null : jsonNextHop(nextHop) }));
        else console.log(match ? `${address} ${match.prefix} ${nextHop}` : `${address} - no route`);
      }
      if (failed > 0) process.exitCode = 1;
    });

  route
    .command("bench")
    .description("measure lookups, rebuild and memory on the table given with --table")
    .option("--lookups <count>", "addresses per batch", "65536")
    .action((options: { lookups: string }, command: Command) => {
      const { table: file } = command.parent!.opts<{ table: string }>();
      const count = Number(options.lookups);
      if (!Number.isInteger(count) || count < 1 || count > 1 << 24) throw new UsageError(`--lookups must be a whole number from 1 to ${1 << 24}`);
      const { table, prefixes } = loadTable(file);
      // Half the addresses fall inside the table's prefixes, half anywhere.
      const addresses = new Uint32Array(count);
      for (let i = 0; i < count; i++) {
        const [base, length] = prefixes[i % prefixes.length].split("/");
        const inside = (ipv4ToNumber(base) | (Math.random() * 2 ** 32 & (Number(length) === 0 ? 0xffffffff : (1 << (32 - Number(length))) - 1))) >>> 0;
        addresses[i] = i & 1 ? inside : (Math.random() * 2 ** 32) >>> 0;
      }
      const time = (work: () => void, rounds: number) => {
        work();
        const start = process.hrtime.bigint();
        for (let i = 0; i < rounds; i++) work();
        return Number(process.hrtime.bigint() - start) / 1e9 / rounds;
      };
      const batched = time(() => table.lookupMany(addresses), 20);
      const wasm = core();
      const single = time(() => {
        for (let i = 0; i < count; i++) wasm.routeLookup(addresses[i]);
      }, 5);
      const rebuild = time(() => table.rebuild(), 5);
      console.log(JSON.stringify({
        prefixes: table.size,
        lookupsPerSecondBatched: Math.round(count / batched),
        lookupsPerSecondSingle: Math.round(count / single),
        rebuildMilliseconds: Number((rebuild * 1000).toFixed(3)),
        memoryBytes: table.memoryBytes,
      }));
    });
  return route;
}
