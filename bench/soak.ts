// npm run soak [-- --minutes N]: a bounded soak, not part of CI. Four Calico-mode nodes on one
// segment (embedded store); on each of nodes 1–3 pods are churned through the CNI plugin at 10
// calls a second (every 200 ms a DEL of the oldest of ten live pods and an ADD of a new one), and
// node 4 (two pods) leaves (SIGTERM) and joins again every 30 s. Each minute, 15 s after node 4
// came back, the churn pauses until its calls are answered and agents 1–3 are sampled: RSS, open
// fds, kernel routes in the node's namespace. It prints the samples as a table, writes
// dist/soak/latest.json and dist/soak/soak.svg (vega-lite), and exits 1 unless, after the first
// five minutes, every sample is within 10 % of the five-minute one and every ADD and DEL was
// answered with success.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { cleanupNamespaces, createNamespace } from "../test/netns/namespaces";
import { installPlugin, invokeAsync, type Installed } from "../test/netns/cni-runtime";
import { addPod, asClusterNode, calicoNodes, podConfig, podnet, startAgent, stopAgent, type CalicoNode, type StoreChoice } from "../test/netns/calico-cluster";
import { createLab, waitUntil } from "../test/bgp/lab";
import { sleep } from "../test/netns/cluster";

const minutesFlag = process.argv.indexOf("--minutes");
const MINUTES = minutesFlag > 0 ? Number(process.argv[minutesFlag + 1]) : 30;
if (!Number.isInteger(MINUTES) || MINUTES < 1) {
  console.error("soak: --minutes takes a whole number of minutes, 1 or more");
  process.exit(2);
}
const LIVE_PODS = 10;
const POOL = LIVE_PODS + 4; // namespaces per node: the live ones, the ones being added or deleted
const TICK_MILLISECONDS = 200; // an ADD and a DEL each: 10 CNI calls a second per node
const PEER_CHURN_MILLISECONDS = 30_000;
const SETTLE_MINUTES = 5;
const TOLERANCE = 0.1;

interface Sample {
  minute: number;
  node: string;
  rssMiB: number;
  fds: number;
  routes: number;
  /** CNI calls answered in the minute before the sample (reported, not held to the 10 %: it is the machine's share). */
  callsPerMinute: number;
}

interface Churn {
  node: CalicoNode;
  pool: string[];
  /** Live pods, oldest first: namespace and container ID. */
  live: Array<{ namespace: string; containerId: string }>;
  busy: Set<string>;
  added: number;
  deleted: number;
  failures: string[];
  latencies: number[];
  skipped: number;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const routeCount = (namespace: string) => (JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show"], { encoding: "utf8" })) as unknown[]).length;

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** One churn step on a node: an ADD into a free namespace, and a DEL of the oldest pod once enough live. */
function churnStep(churn: Churn, installed: Installed, store: StoreChoice, sequence: { next: number }): void {
  const config = podConfig(churn.node, store);
  const run = (command: "ADD" | "DEL", namespace: string, containerId: string, done: () => void) => {
    churn.busy.add(namespace);
    void invokeAsync(installed, asClusterNode(churn.node), { command, containerId, netns: namespace, config }).then((outcome) => {
      churn.busy.delete(namespace);
      churn.latencies.push(outcome.milliseconds);
      if (outcome.status === 0) done();
      else churn.failures.push(`${command} ${containerId}: ${outcome.stdout.trim()}`);
    });
  };
  // A node that cannot keep up gets no more calls until some are answered (counted as skipped).
  const free = churn.pool.find((namespace) => !churn.busy.has(namespace) && !churn.live.some((pod) => pod.namespace === namespace));
  if (!free) {
    churn.skipped++;
    return;
  }
  if (churn.live.length >= LIVE_PODS) {
    const oldest = churn.live.shift()!;
    run("DEL", oldest.namespace, oldest.containerId, () => churn.deleted++);
  }
  const containerId = `soak-${churn.node.name}-${sequence.next++}`;
  run("ADD", free, containerId, () => {
    churn.added++;
    churn.live.push({ namespace: free, containerId });
  });
}

async function plot(samples: Sample[], path: string): Promise<void> {
  const panel = (field: keyof Sample, title: string) => ({
    width: 220, height: 160, title,
    mark: { type: "line" as const, point: true },
    encoding: {
      x: { field: "minute", type: "quantitative" as const, title: "minute" },
      y: { field, type: "quantitative" as const, title, scale: { zero: true } },
      color: { field: "node", type: "nominal" as const },
    },
  });
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `podnet soak: ${MINUTES} min, pod churn of 10 CNI calls/s (ADD + DEL) on each of 3 nodes, a 4th node leaving and joining every 30 s`,
    data: { values: samples as unknown as Record<string, unknown>[] },
    hconcat: [panel("rssMiB", "agent RSS (MiB)"), panel("fds", "agent open fds"), panel("routes", "kernel routes"), panel("callsPerMinute", "CNI calls answered per minute")],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  writeFileSync(path, await view.toSVG());
}

async function main(): Promise<number> {
  const lab = createLab("soak", 4);
  const nodes = calicoNodes(lab);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  writeFileSync(join(lab.directory, "pool.yaml"), "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  podnet(store, "apply", "-f", join(lab.directory, "pool.yaml"));
  for (const node of nodes) startAgent(node, store);
  await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 30_000, "agents up");
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  const leaver = nodes[3];
  addPod(installed, leaver, store, 1);
  addPod(installed, leaver, store, 2);

  const churns: Churn[] = nodes.slice(0, 3).map((node) => ({
    node, pool: Array.from({ length: POOL }, (_, i) => createNamespace(`sp-${node.name}-${i}`)),
    live: [], busy: new Set(), added: 0, deleted: 0, failures: [], latencies: [], skipped: 0,
  }));
  const sequence = { next: 0 };
  const samples: Sample[] = [];
  const started = Date.now();
  let paused = false;
  const ticker = setInterval(() => {
    if (!paused) churns.forEach((churn) => churnStep(churn, installed, store, sequence));
  }, TICK_MILLISECONDS);
  let leaverUp = true;
  let leaverToggles = 0;
  const peerChurn = setInterval(() => {
    leaverToggles++;
    if (leaverUp) void stopAgent(leaver);
    else startAgent(leaver, store);
    leaverUp = !leaverUp;
  }, PEER_CHURN_MILLISECONDS);

  console.log(`soak: ${MINUTES} min; sampling each minute (node4 up 15 s by then)`);
  console.log("| minute | node | RSS (MiB) | fds | routes | ADDs | DELs | calls in the minute | CNI p99 (ms) | failures |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (let minute = 1; minute <= MINUTES; minute++) {
    // Node 4 toggles every 30 s from the start: up again at each whole minute; sample 15 s later.
    await sleep(Math.max(0, started + minute * 60_000 + 15_000 - Date.now()));
    // Pause the churn until its calls are answered: the route count is then the same each time.
    paused = true;
    await waitUntil(() => churns.every((churn) => churn.busy.size === 0), 30_000, "the churn's calls answered");    for (const churn of churns) {
      const pid = churn.node.agent!.pid!;
      const latencies = churn.latencies.splice(0);
      const sample = { minute, node: churn.node.name, rssMiB: Math.round(rssMiB(pid) * 10) / 10, fds: fdCount(pid), routes: routeCount(churn.node.namespace), callsPerMinute: latencies.length };
      samples.push(sample);
      console.log(`| ${minute} | ${sample.node} | ${sample.rssMiB} | ${sample.fds} | ${sample.routes} | ${churn.added} | ${churn.deleted} | ${sample.callsPerMinute} | ${percentile(latencies, 0.99).toFixed(1)} | ${churn.failures.length} |`);
    }
    paused = false;
  }
  clearInterval(ticker);
  clearInterval(peerChurn);
  await sleep(2000); // the last invocations answer

  const problems: string[] = [];
  for (const churn of churns) {
    if (churn.failures.length > 0) problems.push(`${churn.node.name}: ${churn.failures.length} CNI calls failed, first: ${churn.failures[0]}`);
    const stillBusy = churn.busy.size;
    if (stillBusy > 0) problems.push(`${churn.node.name}: ${stillBusy} CNI calls never answered`);
    if (!churn.node.agent || churn.node.agent.exitCode !== null || churn.node.agent.signalCode !== null) problems.push(`${churn.node.name}: the agent is not running`);
  }
  const reference = SETTLE_MINUTES <= MINUTES ? SETTLE_MINUTES : MINUTES;
  for (const churn of churns) {
    const own = samples.filter((sample) => sample.node === churn.node.name);
    const base = own.find((sample) => sample.minute === reference)!;
    for (const sample of own.filter((candidate) => candidate.minute > reference)) {
      for (const field of ["rssMiB", "fds", "routes"] as const) {
        const drift = Math.abs(sample[field] - base[field]) / base[field];
        if (drift > TOLERANCE) problems.push(`${churn.node.name} minute ${sample.minute}: ${field} ${sample[field]} is ${(drift * 100).toFixed(0)} % from minute ${reference}'s ${base[field]}`);
      }
    }
  }
  const directory = join(fileURLToPath(new URL("../", import.meta.url)), "dist", "soak");
  mkdirSync(directory, { recursive: true });
  const totals = churns.map((churn) => ({ node: churn.node.name, adds: churn.added, dels: churn.deleted, failures: churn.failures.length, skipped: churn.skipped }));
  writeFileSync(join(directory, "latest.json"), `${JSON.stringify({ minutes: MINUTES, date: new Date().toISOString(), peerChurnToggles: leaverToggles, totals, samples, problems }, null, 2)}\n`);
  await plot(samples, join(directory, "soak.svg"));
  const seconds = (Date.now() - started) / 1000;
  console.log(`\nsoak: ${totals.map((total) => `${total.node} ${total.adds} ADDs / ${total.dels} DELs (${((total.adds + total.dels) / seconds).toFixed(1)} calls/s), ${total.failures} failed, ${total.skipped} ticks skipped (calls still out)`).join("; ")}; node4 left or joined ${leaverToggles} times`);
  console.log(`soak: wrote ${join(directory, "latest.json")} and soak.svg`);
  if (problems.length > 0) {
    console.log(`soak: NOT flat or not all answered:\n  ${problems.join("\n  ")}`);
    return 1;
  }
  console.log(`soak: flat within ${TOLERANCE * 100} % after minute ${reference}; every ADD and DEL answered with success`);
  for (const node of nodes) await stopAgent(node);
  lab.remove();
  return 0;
}

main()
  .then((code) => {
    cleanupNamespaces();
    process.exit(code);
  })
  .catch((error) => {
    console.error(`soak: ${(error as Error).stack}`);
    cleanupNamespaces();
    process.exit(1);
  });
