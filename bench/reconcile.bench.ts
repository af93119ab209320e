// The agent's kernel writes at scale: PEERS host-gw peers programmed from scratch (agent start →
// every route in the kernel) and a periodic reconcile with nothing to change, with the event
// loop's delay while each runs (the loop that also pumps the TUN relay, serves CNI and will send
// BGP keepalives). Runs in a namespace of its own; the baseline is `ip -batch` applying the same
// routes alone, in the same namespace, in the same run.
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace } from "../test/netns/namespaces";
import { report } from "./measure";

const PEERS = 1000;
const node = createNamespace("bench-node");
const other = createNamespace("bench-other");
try {
  execFileSync("ip", ["-n", node, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay", "netns", other]);
  for (const namespace of [node, other]) execFileSync("ip", ["-n", namespace, "link", "set", "underlay", "up"]);
  execFileSync("ip", ["-n", node, "address", "add", "198.18.0.1/15", "dev", "underlay"]);

  const routes = Array.from({ length: PEERS }, (_, index) => `route replace 10.${2 + (index >> 8)}.${index & 255}.0/24 via 198.18.${1 + (index >> 8)}.${index & 255} dev underlay proto 107`);
  let started = performance.now();
  execFileSync("ip", ["-n", node, "-batch", "-"], { input: `${routes.join("\n")}\n` });
  const batchSeconds = (performance.now() - started) / 1000;
  execFileSync("ip", ["-n", node, "route", "flush", "proto", "107"]);

  const output = execFileSync("ip", ["netns", "exec", node, "node", "--import", "tsx", "bench/reconcile-driver.ts", String(PEERS)], { encoding: "utf8" });
  const result = JSON.parse(output.trim().split("\n").pop()!);
  const programmed = (JSON.parse(execFileSync("ip", ["-n", node, "-json", "route", "show", "proto", "107"], { encoding: "utf8" })) as unknown[]).length;
  if (programmed !== PEERS) throw new Error(`the agent left ${programmed} routes, expected ${PEERS}`);
  report("reconcile", [
    { metric: `host-gw: agent start → ${PEERS} peer routes in the kernel`, unit: "s", podnet: result.start.seconds, baseline: batchSeconds, baselineName: "one ip -batch of the same routes", lowerIsBetter: true },
    { metric: `host-gw: event-loop delay p99 while ${PEERS} peers are programmed`, unit: "ms", podnet: result.start.p99, baseline: 20, baselineName: "target (no stall over 20 ms)", lowerIsBetter: true },
    { metric: `host-gw: event-loop delay max while ${PEERS} peers are programmed`, unit: "ms", podnet: result.start.max, baseline: 20, baselineName: "target (no stall over 20 ms)", lowerIsBetter: true },
    { metric: `host-gw: periodic reconcile of ${PEERS} unchanged peers`, unit: "s", podnet: result.idle.seconds, baseline: batchSeconds, baselineName: "one ip -batch of the routes", lowerIsBetter: true },
    { metric: `host-gw: event-loop delay max during that reconcile`, unit: "ms", podnet: result.idle.max, baseline: 20, baselineName: "target (no stall over 20 ms)", lowerIsBetter: true },
  ]);
} finally {
  cleanupNamespaces();
}
