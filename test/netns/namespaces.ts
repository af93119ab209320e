// Network namespaces for root-only suites. Every name carries a per-run prefix; everything this
// run created is deleted on normal exit, on failure and on SIGINT/SIGTERM, and processes started
// inside are ended by PID. Nothing is ever added to the root namespace.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";

/** Per-run prefix shared by every namespace this test process creates. */
export const runPrefix = `pnt-${randomBytes(3).toString("hex")}-`;

const created = new Set<string>();
const children = new Set<ChildProcess>();

/** Fails loudly, never skips, when the suite cannot run here. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error("this suite needs root (network namespaces); run the tests as root");
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    throw new Error("this suite needs iproute2 (`ip`); run scripts/setup.sh");
  }
}

/** Creates namespace `<runPrefix><suffix>` and returns its name. */
export function createNamespace(suffix: string): string {
  requireRoot();
  const name = `${runPrefix}${suffix}`;
  execFileSync("ip", ["netns", "add", name]);
  created.add(name);
  execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
  return name;
}

/** Runs `ip args…` inside `namespace` and parses its -json output. */
export function ipJson(namespace: string, args: string[]): unknown {
  const output = execFileSync("ip", ["-n", namespace, "-json", ...args], { encoding: "utf8" });
  return output.trim() === "" ? [] : JSON.parse(output);
}

/** Inode of this process's network namespace; helpers refuse to act when theirs is the same. */
export const callerNamespaceInode = String(statSync("/proc/self/ns/net").ino);

/** Starts `command` inside `namespace`; it is killed by PID at cleanup if still running. */
export function spawnIn(namespace: string, command: string, args: string[]): ChildProcess {
  const child = spawn("ip", ["netns", "exec", namespace, command, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PODNET_TEST_CALLER_NETNS: callerNamespaceInode },
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** Kills what this run started and deletes every namespace it created. Safe to call twice. */
export function cleanupNamespaces(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
  for (const name of created) {
    try {
      execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    } catch {
      // Already deleted.
    }
  }
  created.clear();
}

process.on("exit", cleanupNamespaces);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanupNamespaces();
    process.exit(130);
  });
}
