// Drives the CNI plugin exactly as a container runtime does: exec the installed binary inside the
// node's namespace with the CNI_* environment and the config on stdin, read stdout and the exit code.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distPath } from "../helpers/paths";
import type { ClusterNode } from "./cluster";

export interface Installed {
  directory: string;
  binDir: string;
  confDir: string;
}

/** `podnet cni install` into a fresh temp dir (client, podnet-standalone, conflist). */
export function installPlugin(extra: string[] = []): Installed {
  const directory = mkdtempSync(join(tmpdir(), "podnet-cni-"));
  const binDir = join(directory, "bin");
  const confDir = join(directory, "net.d");
  execFileSync(distPath("podnet"), ["cni", "install", "--bin-dir", binDir, "--conf-dir", confDir, ...extra]);
  return { directory, binDir, confDir };
}

/** The podnet plugin's own config for `node` (as the conflist's first plugin would be, plus name and version). */
export function nodeConfig(installed: Installed, node: ClusterNode, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const { ipam, ...rest } = fields as { ipam?: Record<string, unknown> };
  return {
    cniVersion: "1.1.0",
    name: "podnet",
    type: "podnet",
    mode: "bridge",
    agentSocket: node.cniSocket,
    subnetFile: node.subnetFile,
    ...rest,
    ipam: { type: "podnet", dataDir: join(installed.directory, `ipam-n${node.index}`), ...ipam },
  };
}

export interface Invocation {
  command: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  config: Record<string, unknown> | string;
  /** Override or remove (undefined) variables. */
  env?: Record<string, string | undefined>;
  /** The binary: the client (default) or podnet-standalone (the in-process path). */
  binary?: "podnet" | "podnet-standalone";
}

export interface Outcome {
  status: number | null;
  stdout: string;
  /** stdout parsed, or undefined when empty. */
  json: Record<string, any> | undefined;
  milliseconds: number;
}

function environment(installed: Installed, invocation: Invocation): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    CNI_COMMAND: invocation.command,
    CNI_CONTAINERID: invocation.containerId,
    CNI_NETNS: invocation.netns ? `/var/run/netns/${invocation.netns}` : undefined,
    CNI_IFNAME: invocation.ifName ?? (invocation.containerId ? "eth0" : undefined),
    CNI_PATH: `${installed.binDir}:/usr/lib/cni`,
    // The suite's choice of kernel interface reaches the plugin run in process (agent down).
    PODNET_KERNEL: process.env.PODNET_KERNEL,
    ...invocation.env,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as Record<string, string>;
}

function outcome(status: number | null, stdout: string, started: number): Outcome {
  return { status, stdout, json: stdout.trim() ? JSON.parse(stdout) : undefined, milliseconds: performance.now() - started };
}

/** Runs the plugin in `node`'s namespace and waits for it. */
export function invoke(installed: Installed, node: ClusterNode, invocation: Invocation): Outcome {
  const started = performance.now();
  const input = typeof invocation.config === "string" ? invocation.config : JSON.stringify(invocation.config);
  const result = spawnSync("ip", ["netns", "exec", node.namespace, join(installed.binDir, invocation.binary ?? "podnet")], { input, encoding: "utf8", env: environment(installed, invocation), timeout: 60_000 });
  if (result.error) throw result.error;
  return outcome(result.status, result.stdout, started);
}

/** The same, without blocking: for many invocations at once. */
export function invokeAsync(installed: Installed, node: ClusterNode, invocation: Invocation): Promise<Outcome> {
  const started = performance.now();
  const input = typeof invocation.config === "string" ? invocation.config : JSON.stringify(invocation.config);
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", node.namespace, join(installed.binDir, invocation.binary ?? "podnet")], { env: environment(installed, invocation) });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve(outcome(status, stdout, started)));
    child.stdin.end(input);
  });
}

/** The reservations in an IPAM directory: address → "container/ifname". */
export function reservations(directory: string): Record<string, string> {
  const found: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of names) found[name] = readFileSync(join(directory, name), "utf8").replace("\r\n", "/");
  return found;
}

/** Names of the veth links in `namespace` whose names start with `prefix`. */
export function vethNames(namespace: string, prefix: string): string[] {
  const links = JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "link", "show", "type", "veth"], { encoding: "utf8" }) || "[]") as Array<{ ifname: string }>;
  return links.map((link) => link.ifname).filter((name) => name.startsWith(prefix)).sort();
}

/** True when nothing holds an flock on `path` (util-linux flock -n succeeds at once). */
export function lockIsFree(path: string): boolean {
  return spawnSync("flock", ["-n", path, "true"]).status === 0;
}
