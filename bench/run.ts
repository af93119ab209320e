// npm run bench [name…]: runs bench/<name>.bench.ts (all when none named), each in its own
// process, collects their JSON into dist/bench/latest.json (build output, not in git: a bench run
// never dirties the tree) and prints a Markdown table with its legend. A bench that fails is
// reported by name with the end of its output; the others' results are still written and shown,
// and the run exits 1.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { SMOKE, type BenchRow } from "./measure";

const benchDirectory = fileURLToPath(new URL("./", import.meta.url));
const available = readdirSync(benchDirectory)
  .filter((file) => file.endsWith(".bench.ts"))
  .map((file) => file.replace(/\.bench\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`bench: no benchmark named ${unknown.join(", ")}; have: ${available.join(", ")}`);
  process.exit(2);
}

const results: Array<{ name: string; rows: BenchRow[] }> = [];
const failed: Array<{ name: string; why: string }> = [];
for (const name of wanted.length > 0 ? wanted : available) {
  process.stderr.write(`bench: ${name}…\n`);
  const run = spawnSync("node", ["--import", "tsx", `${benchDirectory}${name}.bench.ts`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 });
  const line = (run.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    if (run.status !== 0) throw new Error(`exit ${run.status ?? run.signal}`);
    results.push(JSON.parse(line) as { name: string; rows: BenchRow[] });
  } catch (error) {
    const tail = `${run.stderr ?? ""}${run.stdout ?? ""}`.trim().split("\n").slice(-8).join("\n");
    failed.push({ name, why: `${(error as Error).message}\n${tail}` });
    process.stderr.write(`bench: ${name} FAILED (${(error as Error).message}); carrying on\n`);
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
};
const resultDirectory = join(benchDirectory, "..", "dist", "bench");
mkdirSync(resultDirectory, { recursive: true });
// The smoke run's tiny figures never replace a real run's.
writeFileSync(join(resultDirectory, SMOKE ? "smoke.json" : "latest.json"), `${JSON.stringify({ machine, results, failed }, null, 2)}\n`);

const format = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3));
console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date.slice(0, 10)}\n`);
console.log("Ratio > 1: podnet is better (faster, or smaller where less is better); < 1: the baseline or target is better.");
console.log("A baseline marked \"target\" is the figure its issue set, not something measured; \"—\": nothing to compare with.\n");
console.log("| metric | podnet | baseline or target | ratio |");
console.log("|---|---|---|---|");
for (const { rows } of results) {
  for (const row of rows) {
    const ratio = row.baseline === 0 ? "—" : `${(row.lowerIsBetter ? row.baseline / row.podnet : row.podnet / row.baseline).toFixed(2)}×`;
    const withRange = (value: number, range?: [number, number]) => (range ? `${format(value)} (${format(range[0])}–${format(range[1])})` : format(value));
    const baseline = row.baseline === 0 ? row.baselineName : `${withRange(row.baseline, row.baselineRange)} ${row.baselineName}`;
    console.log(`| ${row.metric} (${row.unit}) | ${withRange(row.podnet, row.podnetRange)} | ${baseline} | ${ratio} |`);
  }
}
for (const { name, why } of failed) console.log(`\nbench ${name} failed: ${why}`);
if (failed.length > 0) {
  console.log(`\n${failed.length} of ${results.length + failed.length} benches failed: ${failed.map(({ name }) => name).join(", ")}`);
  process.exitCode = 1;
}
