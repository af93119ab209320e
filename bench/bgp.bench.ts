// The BGP speaker's table load against BIRD 2, in namespaces made here. A feeder announces N IPv4
// prefixes over one iBGP session (full 4096-octet UPDATEs, then End-of-RIB); measured: seconds from
// Established until all N are in the receiver's table, resident memory per route, and podnet's
// longest event-loop stall meanwhile (keepalives must keep going out). Then the reverse: podnet
// announcing N prefixes to BIRD, against the same feed from the pre-encoded feeder.
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { cleanupNamespaces, spawnIn } from "../test/netns/namespaces";
import { createLab, startBird, type Lab, type LabNode } from "../test/bgp/lab";
import { report, type BenchRow, sized } from "./measure";

const SIZES = sized([10_000, 100_000, 1_000_000], [1000]);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The first JSON line `child` prints. */
function firstJson(child: ChildProcess, what: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    let text = "";
    let errors = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf("\n");
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)));
    });
    child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code} before reporting: ${errors}`)));
  });
}

function birdConfig(self: LabNode, neighbor: LabNode): string {
  return `router id ${self.address};
protocol device {}
protocol bgp feed {
  local ${self.address} as 64512;
  neighbor ${neighbor.address} as 64512;
  passive on;
  direct;
  hold time 90;
  ipv4 { import all; export none; gateway direct; };
}
`;
}

function birdRoutes(socket: string): number {
  const output = execFileSync("birdc", ["-s", socket, "show", "route", "count"], { encoding: "utf8" });
  return Number(/(\d+) of \d+ routes/.exec(output)?.[1] ?? 0);
}

const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

async function untilBirdHas(socket: string, count: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  // Asked back to back: the answer's delay is one birdc round trip (a few ms), as podnet's is its 1 ms poll.
  while (birdRoutes(socket) < count) {
    if (Date.now() > deadline) throw new Error(`BIRD never reached ${count} routes`);
    await sleep(0);
  }
  return Date.now();
}

const node = (script: string, ...args: string[]): [string, string[]] => [process.execPath, ["--expose-gc", "--import", "tsx", script, ...args]];

async function measure(lab: Lab, count: number): Promise<BenchRow[]> {
  const [receiverNode, feederNode] = lab.nodes;
  // podnet receiving
  const driver = spawnIn(receiverNode.namespace, ...node("bench/bgp-speaker-driver.ts", "receive", String(count)));
  const podnetResult = firstJson(driver, "podnet receiver");
  await sleep(1500);
  let feeder = spawnIn(feederNode.namespace, ...node("bench/bgp-feeder.ts", receiverNode.address, String(count)));
  const fed = await firstJson(feeder, "feeder");
  const podnet = await podnetResult;
  const podnetSeconds = (podnet.loaded - fed.established) / 1000;
  feeder.kill("SIGKILL");
  await sleep(500);

  // BIRD receiving the same feed
  const bird = startBird(lab, receiverNode, birdConfig(receiverNode, feederNode));
  await sleep(1500);
  if (bird.process.exitCode !== null) throw new Error(`BIRD did not start: ${bird.output()}`);
  const birdBefore = residentBytes(bird.process.pid!);
  feeder = spawnIn(feederNode.namespace, ...node("bench/bgp-feeder.ts", receiverNode.address, String(count)));
  const { established } = await firstJson(feeder, "feeder").catch((error: Error) => {
    throw new Error(`${error.message}; BIRD said: ${bird.output()}`);
  });
  const birdSeconds = ((await untilBirdHas(bird.socket, count)) - established) / 1000;
  const birdBytes = (residentBytes(bird.process.pid!) - birdBefore) / count;
  feeder.kill("SIGKILL");
  await bird.stop();

  // podnet announcing to BIRD
  const listener = startBird(lab, feederNode, birdConfig(feederNode, receiverNode));
  await sleep(1500);
  const sender = spawnIn(receiverNode.namespace, ...node("bench/bgp-speaker-driver.ts", "send", String(count)));
  const sent = await firstJson(sender, "podnet sender");
  const sendSeconds = ((await untilBirdHas(listener.socket, count)) - sent.established) / 1000;
  sender.kill("SIGKILL");
  await listener.stop();

  const size = count.toLocaleString("en");
  return [
    { metric: `BGP: receive ${size} prefixes, Established → all in the table`, unit: "s", podnet: podnetSeconds, baseline: birdSeconds, baselineName: "BIRD 2, same feed", lowerIsBetter: true },
    { metric: `BGP: resident memory per route at ${size}`, unit: "bytes", podnet: podnet.bytesPerRoute, baseline: birdBytes, baselineName: "BIRD 2 (target ≤ 2×, ratio ≥ 0.5)", lowerIsBetter: true },
    { metric: `BGP: longest event-loop stall while ${size} load`, unit: "ms", podnet: podnet.maxDelayMs, baseline: 50, baselineName: "target (≤ 50 ms)", lowerIsBetter: true },
    { metric: `BGP: announce ${size} prefixes to BIRD, Established → BIRD has all`, unit: "s", podnet: sendSeconds, baseline: birdSeconds, baselineName: "pre-encoded feeder → BIRD", lowerIsBetter: true },
  ];
}

const lab = createLab("bench-bgp", 2);
try {
  const rows: BenchRow[] = [];
  for (const count of process.env.PODNET_BENCH_BGP_SIZES ? process.env.PODNET_BENCH_BGP_SIZES.split(",").map(Number) : SIZES) rows.push(...(await measure(lab, count)));
  report("bgp", rows);
} finally {
  cleanupNamespaces();
  lab.remove();
}
