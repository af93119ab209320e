// Every benchmark still runs: `npm run bench` whole at tiny sizes (PODNET_BENCH_SMOKE=1). The
// figures mean nothing here; a bench that throws, or a baseline that no longer agrees with the
// Wasm core (as the IPIP TTL once did), fails the suite instead of the next person's bench run.
// Root only: several benches build namespaces.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "../helpers/paths";

test("npm run bench, whole, at tiny sizes: every bench finishes and reports rows; none failed", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts"], { cwd: repositoryRoot, encoding: "utf8", env: { ...process.env, PODNET_BENCH_SMOKE: "1" }, timeout: 600_000, maxBuffer: 64 << 20 });
  assert.is(run.status, 0, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  const benches = readdirSync(join(repositoryRoot, "bench")).filter((file) => file.endsWith(".bench.ts")).map((file) => file.replace(".bench.ts", "")).sort();
  const written = JSON.parse(readFileSync(join(repositoryRoot, "dist", "bench", "smoke.json"), "utf8")) as { results: Array<{ name: string; rows: unknown[] }>; failed: unknown[] };
  assert.equal(written.failed, []);
  assert.equal(written.results.map((result) => result.name).sort(), benches);
  for (const result of written.results) assert.ok(result.rows.length > 0, `${result.name} reported no rows`);
  assert.match(run.stdout, "| metric | podnet | baseline or target | ratio |");
});

test.run();
