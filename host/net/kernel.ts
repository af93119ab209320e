// The kernel boundary: every change podnet makes to links, addresses, routes, neighbours, FDB
// entries and sysctls goes through a Kernel. Two real ones: rtnetlink in process
// (netlink-kernel.ts, the default) and this file's iproute2 kernel (`--kernel ip`), which runs
// one `ip -force -batch -` (or `bridge`) per call however many changes it holds, every change tried
// and each failure mapped back to the change that caused it, and reads with `ip -json`. Tests give
// the CNI plugin and backends a fake one (test/helpers/fake-kernel.ts). Three writes do not go
// through a Kernel yet, each in one place: nftables rules (masquerade.ts), the rt_protos name of
// protocol 107 (ip.ts) and kernel module probes (backend/registry.ts).

import { execFile } from "node:child_process";
import { readFile, realpath, writeFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { commandLine, type KernelChange, toolOf } from "./changes";
import { fullPrefix, type LinkState, type RouteState } from "./state";

/** One command of a batch that the kernel (or iproute2) refused. */
export interface KernelFailure {
  /** Its position in the batch, from 0. */
  index: number;
  command: string;
  /** What iproute2 says of it, e.g. "RTNETLINK answers: File exists" (the netlink kernel words it the same). */
  message: string;
}

export interface Kernel {
  /** Makes the changes in order, optionally in the namespace at path `netns`; resolves with those that failed (every one is tried). */
  apply(changes: KernelChange[], netns?: string): Promise<KernelFailure[]>;
  /** The link called `name` with its IPv4 addresses (in the namespace at path `netns`), or undefined when there is none. */
  link(name: string, netns?: string): Promise<LinkState | undefined>;
  /** Every link of this namespace (without addresses), or those of `kind` (veth, bridge, vxlan, tun). */
  links(kind?: string): Promise<LinkState[]>;
  /** The IPv4 routes of the main table (of the namespace at path `netns`). */
  routes(netns?: string): Promise<RouteState[]>;
  /** Where the kernel sends a packet to `address` (`ip route get`), or undefined when it has no route. */
  routeTo(address: string): Promise<{ gateway?: string; dev?: string } | undefined>;
  /** Permanent neighbour entries on `device`. */
  permanentNeighbours(device: string): Promise<Array<{ dst: string }>>;
  /** The FDB entries of `device` (a VXLAN device's: MAC → remote VTEP). */
  fdb(device: string): Promise<Array<{ mac: string; dst?: string }>>;
  /** Writes /proc/sys/<path> (e.g. "net/ipv4/ip_forward"; slashes, since device names may hold dots) in this process's namespace. */
  writeSysctl(path: string, value: string): Promise<void>;
  /** Whether a link exists in this process's namespace. */
  linkExists(name: string): Promise<boolean>;
}

/** A kernel change that failed; the message names the command(s) and what iproute2 said. */
export class KernelError extends Error {
  readonly code = "KERNEL";
  constructor(readonly failures: KernelFailure[], where = "") {
    super(failures.map((failure) => `${where}${failure.command}: ${failure.message}`).join("; "));
  }
}

/** Runs `commands` and throws a KernelError naming every one that failed. */
export async function applyOrThrow(kernel: Kernel, changes: KernelChange[], netns?: string): Promise<void> {
  const failures = await kernel.apply(changes, netns);
  if (failures.length > 0) throw new KernelError(failures, netns ? `(in ${netns}) ` : "");
}

/** True when a failure only says that what a delete removes is already gone. */
export function isAlreadyGone(failure: KernelFailure | unknown): boolean {
  const message = failure instanceof KernelError ? failure.failures.map((entry) => entry.message).join(" ") : (failure as KernelFailure)?.message ?? "";
  return /No such process|No such file or directory|Cannot find device|not found/i.test(message);
}

/**
 * Pairs `ip -force -batch` stderr ("…message…\nCommand failed -:N") with the commands it names.
 * A message with no such line after it is iproute2 leaving the batch at that command (a failed
 * `neigh` command exits): it belongs to the batch's last command, since such a command ends its
 * batch (applyWithIproute2).
 */
export function batchFailures(commands: string[], stderr: string): KernelFailure[] {
  const failures: KernelFailure[] = [];
  let message: string[] = [];
  for (const line of stderr.split("\n")) {
    const failed = /^Command failed -:(\d+)$/.exec(line.trim());
    if (!failed) {
      if (line.trim() !== "") message.push(line.trim());
      continue;
    }
    const index = Number(failed[1]) - 1;
    failures.push({ index, command: commands[index] ?? `line ${index + 1}`, message: message.join(" ") || "failed" });
    message = [];
  }
  const last = commands.length - 1;
  if (message.length > 0 && last >= 0 && !failures.some((failure) => failure.index === last)) failures.push({ index: last, command: commands[last], message: message.join(" ") });
  return failures;
}

/** iproute2's directory of named namespaces, resolved once (/var/run is a link to /run). */
let namedNamespaceDirectory: Promise<string> | undefined;

const realpathOrSelf = (path: string) => realpath(path).catch(() => path);

/**
 * How to run `command` in the namespace at path `netns`: `ip -n <name>` when the path is one of
 * iproute2's named namespaces (as containerd, CRI-O and podman make them; one exec), else through
 * nsenter (`ip -n` takes only names, and a runtime may pass any nsfs path; two execs, ~1 ms more).
 */
async function inNamespace(netns: string, command: string, args: string[]): Promise<[string, string[]]> {
  namedNamespaceDirectory ??= realpathOrSelf("/var/run/netns");
  const name = basename(netns);
  const named = command === "ip" && /^[\w.][\w.-]*$/.test(name) && (await realpathOrSelf(dirname(netns))) === (await namedNamespaceDirectory);
  if (named) return [command, ["-n", name, ...args]];
  return ["nsenter", [`--net=${netns}`, command, ...args]];
}

interface Ran {
  ok: boolean;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], input: string | undefined, netns?: string): Promise<Ran> {
  const [file, argv] = netns ? await inNamespace(netns, command, args) : [command, args];
  return new Promise((resolve) => {
    const child = execFile(file, argv, { encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout, stderr: stderr || (error ? error.message : "") });
    });
    // `ip` may exit before reading its stdin; the exit status says what happened, not EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

async function batch(command: "ip" | "bridge", commands: string[], netns?: string): Promise<KernelFailure[]> {
  const ran = await run(command, ["-force", "-batch", "-"], `${commands.join("\n")}\n`, netns);
  if (ran.ok) return [];
  const failures = batchFailures(commands, ran.stderr);
  // A batch that failed without naming a line (iproute2 missing, nsenter refused): all of it failed.
  return failures.length > 0 ? failures : commands.map((entry, index) => ({ index, command: entry, message: ran.stderr.trim() }));
}

async function readJson<T>(command: "ip" | "bridge", args: string[], netns?: string): Promise<T> {
  const ran = await run(command, ["-json", ...args], undefined, netns);
  if (!ran.ok) throw new KernelError([{ index: 0, command: `${command} ${args.join(" ")}`, message: ran.stderr.trim() }], netns ? `(in ${netns}) ` : "");
  const output = ran.stdout.trim();
  return (output === "" ? [] : JSON.parse(output)) as T;
}

/**
 * Changes at which a failing `ip -batch` exits instead of going on to the next line: a `neigh`
 * command the kernel refuses (ipneigh.c), and `link set … master M` when there is no M (an invalid
 * argument). Each ends its batch, so the changes after it still run.
 */
const mayEndBatch = (change: KernelChange) => change.kind === "neighbour" || (change.kind === "link" && change.op === "set" && change.master !== undefined);

/** Runs the changes as consecutive batches of one tool each (`ip`, `bridge`), in order. */
async function applyWithIproute2(changes: KernelChange[], netns?: string): Promise<KernelFailure[]> {
  const failures: KernelFailure[] = [];
  for (let from = 0; from < changes.length; ) {
    const tool = toolOf(changes[from]);
    let to = from + 1;
    while (to < changes.length && toolOf(changes[to]) === tool && !mayEndBatch(changes[to - 1])) to++;
    const refused = await batch(tool, changes.slice(from, to).map(commandLine), netns);
    failures.push(...refused.map((failure) => ({ ...failure, index: failure.index + from })));
    from = to;
  }
  return failures;
}

/** A route as `ip -N -json route show` prints it: numbers as strings, and defaults left out. */
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  protocol?: string;
  type?: string;
}

const fromIp = (route: IpRoute): RouteState => ({
  dst: fullPrefix(route.dst),
  gateway: route.gateway,
  dev: route.dev,
  scope: Number(route.scope ?? 0),
  // ip leaves out protocol boot (3) and type unicast (1).
  protocol: Number(route.protocol ?? 3),
  type: Number(route.type ?? 1),
});

/** The kernel of this process's network namespace (and others by path), through iproute2. */
export const iproute2Kernel: Kernel = {
  apply: applyWithIproute2,
  async link(name, netns) {
    try {
      return (await readJson<LinkState[]>("ip", ["-details", "address", "show", "dev", name], netns))[0];
    } catch (error) {
      if (isAlreadyGone(error) || /does not exist/.test((error as Error).message)) return undefined;
      throw error;
    }
  },
  links: (kind) => readJson<LinkState[]>("ip", ["-details", "link", "show", ...(kind ? ["type", kind] : [])]),
  routes: async (netns) => (await readJson<IpRoute[]>("ip", ["-N", "route", "show", "table", "main"], netns)).map(fromIp),
  async routeTo(address) {
    const [route] = await readJson<IpRoute[]>("ip", ["route", "get", address]).catch(() => []);
    return route && { gateway: route.gateway, dev: route.dev };
  },
  permanentNeighbours: (device) => readJson<Array<{ dst: string }>>("ip", ["neigh", "show", "dev", device, "nud", "permanent"]),
  fdb: (device) => readJson<Array<{ mac: string; dst?: string }>>("bridge", ["fdb", "show", "dev", device]),
  async writeSysctl(path, value) {
    await writeFile(`/proc/sys/${path}`, value);
  },
  // /proc/net/dev follows the process's network namespace (sysfs may not).
  async linkExists(name) {
    return new RegExp(`^\\s*${name.replace(/\./g, "\\.")}:`, "m").test(await readFile("/proc/net/dev", "utf8"));
  },
};
