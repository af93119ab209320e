// Runs inside a node's namespace for bench/cni.bench.ts, so each timing is the plugin's exec alone
// (no `ip netns exec` around it): reads a list of invocations as JSON on stdin, execs each in turn
// as a runtime does (env + config on stdin), and prints [{ms, status, stdout}] as JSON.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const jobs = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const { binary, env, stdin } of jobs) {
  const started = process.hrtime.bigint();
  const result = spawnSync(binary, [], { env, input: stdin, encoding: "utf8" });
  results.push({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: result.status, stdout: result.stdout });
}
console.log(JSON.stringify(results));
