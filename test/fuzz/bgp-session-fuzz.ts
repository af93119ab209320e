// The live-session fuzzer (root; namespaces): `podnet bgp serve` with three peers, one hostile
// (bgp-session-driver.ts sends mutated UPDATEs from bgp-session-mutations.ts). The driver checks
// the two good sessions message by message; this side samples the speaker's RSS and open fds while
// it runs. Used by test/bgp/session-fuzz.test.ts (100,000 messages) and `npm run fuzz` (1,000,000).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "../helpers/paths";
import { createLab, startPodnetSpeaker, waitUntil } from "../bgp/lab";
import { spawnIn } from "../netns/namespaces";

export interface SessionFuzzReport {
  sent: number;
  batches: number;
  notifications: Record<string, number>;
  kinds: Record<string, number>;
  /** UPDATEs each good peer received, all checked. */
  received: number[];
  goodSessionsUp: boolean;
  failures: string[];
  speaker: { rssStartMiB: number; rssMaxMiB: number; fdsStart: number; fdsMax: number; exitedEarly: boolean };
  seconds: number;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Runs `messages` mutated UPDATEs from `seed` against a live speaker; resolves with the report. */
export async function fuzzBgpSessions(seed: number, messages: number): Promise<SessionFuzzReport> {
  const started = Date.now();
  const lab = createLab("sfuzz", 2);
  const [speakerNode, peersNode] = lab.nodes;
  for (const address of ["198.18.0.3", "198.18.0.4"]) execFileSync("ip", ["-n", peersNode.namespace, "addr", "add", `${address}/24`, "dev", "eth0"]);
  const speaker = startPodnetSpeaker(lab, speakerNode, [
    "--as", "64512",
    "--peer", "198.18.0.2,as=65002,import=all,export=none,passive",
    "--peer", "198.18.0.3,as=65003,import=none,export=all,passive",
    "--peer", "198.18.0.4,as=64512,passive",
    "--log-level", "error",
  ]);
  try {
    await waitUntil(async () => (await speaker.peers()).length === 3, 10_000, "speaker up");
    const pid = speaker.process.pid!;
    const sample = { rssStartMiB: rssMiB(pid), rssMaxMiB: 0, fdsStart: fds(pid), fdsMax: 0, exitedEarly: false };
    const driver = spawnIn(peersNode.namespace, process.execPath, ["--import", "tsx", join(repositoryRoot, "test/fuzz/bgp-session-driver.ts"), speakerNode.address, String(messages), String(seed)]);
    let output = "";
    let errors = "";
    driver.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    driver.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const sampler = setInterval(() => {
      if (speaker.process.exitCode !== null || speaker.process.signalCode !== null) {
        sample.exitedEarly = true;
        return;
      }
      sample.rssMaxMiB = Math.max(sample.rssMaxMiB, rssMiB(pid));
      sample.fdsMax = Math.max(sample.fdsMax, fds(pid));
    }, 100);
    await new Promise<void>((resolve) => driver.once("exit", () => resolve()));
    clearInterval(sampler);
    const line = output.split("\n").find((text) => text.startsWith('{"report"'));
    if (!line) throw new Error(`the fuzz driver ended without a report: ${errors.slice(-2000)}`);
    const report = (JSON.parse(line) as { report: Omit<SessionFuzzReport, "speaker" | "seconds"> }).report;
    return { ...report, speaker: sample, seconds: (Date.now() - started) / 1000 };
  } finally {
    await speaker.stop();
    lab.remove();
  }
}
