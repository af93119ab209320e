// The embedded store's file damaged or its disk full: the agent says which file and what to do.
// A file that is not a database, or a truncated one: exit 1 at start, never a crash loop that
// takes another lease. A full disk while running: the lease renewal fails, /healthz answers 503,
// the agent keeps running, and once there is space again it renews the same lease and is healthy.
// Root only (the full disk is a small tmpfs in a mount namespace of the agent's own).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distPath } from "../helpers/paths";
import { freePort } from "../helpers/etcd-server";
import { requireRoot } from "../netns/namespaces";

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const agentFlags = (storePath: string, directory: string, metricsPort: number) => [
  "agent", "--store-path", storePath, "--public-ip", "198.18.0.1", "--iface", "lo", "--subnet-file", join(directory, "a.env"), "--backend", "none",
  "--cni-socket", "none", "--metrics-address", `127.0.0.1:${metricsPort}`, "--network-config", '{"Network":"10.244.0.0/16"}', "--log-format", "json",
];

async function health(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
  } catch {
    return 0;
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, milliseconds = 15_000): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a store file that is not a database, or a truncated one: exit 1 naming the file and what to do", async () => {
  const directory = mkdtempSync(join(tmpdir(), "podnet-store-fault-"));
  const garbage = join(directory, "garbage.db");
  writeFileSync(garbage, randomBytes(8192));
  const refused = spawnSync(distPath("podnet"), agentFlags(garbage, directory, await freePort()), { encoding: "utf8", timeout: 10_000 });
  assert.is(refused.status, 1);
  assert.is(refused.stderr, `podnet: cannot open the SQLite store at ${garbage}: file is not a database (the file is damaged: move it aside and start again — agents take their leases anew — or restore a copy)\n`);

  // A real store, cut short.
  const store = join(directory, "store.db");
  const port = await freePort();
  const agent = spawn(distPath("podnet"), agentFlags(store, directory, port), { stdio: "ignore" });
  await until(async () => (await health(port)) === 200, "a first agent to lease");
  agent.kill("SIGTERM");
  await new Promise((resolve) => agent.once("exit", resolve));
  truncateSync(store, 3000);
  const truncated = spawnSync(distPath("podnet"), agentFlags(store, directory, await freePort()), { encoding: "utf8", timeout: 10_000 });
  assert.is(truncated.status, 1);
  assert.match(truncated.stderr, `cannot open the SQLite store at ${store}: database disk image is malformed (the file is damaged:`);
});

test("the store's disk full while the agent runs: 503 while renewals fail, the same lease renewed once there is space", async () => {
  requireRoot();
  const directory = mkdtempSync(join(tmpdir(), "podnet-store-full-"));
  const disk = join(directory, "disk");
  mkdirSync(disk);
  const port = await freePort();
  // A 256 KiB tmpfs seen only by the agent (its own mount namespace): the store lives on it.
  const agent = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs -o size=256k tmpfs "$0" && exec "$@"`, disk, distPath("podnet"),
    ...agentFlags(join(disk, "store.db"), directory, port), "--lease-ttl", "4", "--reconcile-interval", "1"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  agent.stderr!.on("data", (chunk) => (log += chunk));
  const inAgentMounts = (...command: string[]) => execFileSync("nsenter", ["-t", String(agent.pid), "-m", ...command], { stdio: "ignore" });
  try {
    await until(async () => (await health(port)) === 200, "the agent to lease");
    const subnet = readFileSync(join(directory, "a.env"), "utf8");
    spawnSync("nsenter", ["-t", String(agent.pid), "-m", "dd", "if=/dev/zero", `of=${join(disk, "fill")}`, "bs=4k"], { stdio: "ignore" });
    await until(async () => (await health(port)) === 503, "503 once a renewal fails");
    assert.match(log, `the SQLite store at ${join(disk, "store.db")}: database or disk is full (its filesystem is full: free space there; nothing is lost, writes are retried)`);
    assert.is(agent.exitCode, null, "still running");
    inAgentMounts("rm", join(disk, "fill"));
    await until(async () => (await health(port)) === 200, "healthy again once renewed");
    assert.is(readFileSync(join(directory, "a.env"), "utf8"), subnet, "the same lease");
  } finally {
    agent.kill("SIGTERM");
    await new Promise((resolve) => agent.once("exit", resolve));
  }
});

test.run();
