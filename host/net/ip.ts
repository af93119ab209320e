// Kernel state through iproute2, built in this one place: `ip -json` to read, `ip -batch -` (and
// `bridge` for FDB entries) to write, never text parsing. podnet's routes carry its own route
// protocol number, so podnet only ever changes routes it made.

import { execFile, execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { basename, dirname } from "node:path";

/** Route protocol podnet tags its routes with (unassigned in iproute2's rt_protos). */
export const PODNET_ROUTE_PROTOCOL = 107;

/** An iproute2 command that failed; the message carries its stderr. */
export class IpError extends Error {
  readonly code = "IP";
}

function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new IpError(`${command} ${args.join(" ")}${input ? ` <<< ${input.trim().replace(/\n/g, "; ")}` : ""}: ${stderr || (error as Error).message}`);
  }
}

/** iproute2's directory of named namespaces, resolved once (/var/run is a link to /run). */
let namedNamespaceDirectory: string | undefined;

/**
 * How to run `ip` in the namespace at path `netns`: `ip -n <name>` when the path is one of
 * iproute2's named namespaces (as containerd, CRI-O and podman make them; one exec), else through
 * nsenter (`ip -n` takes only names, and a runtime may pass any nsfs path; two execs, ~1 ms more).
 */
function inNamespace(netns: string, command: string, args: string[]): [string, string[]] {
  namedNamespaceDirectory ??= realpathOrSelf("/var/run/netns");
  const name = basename(netns);
  const named = command === "ip" && /^[\w.][\w.-]*$/.test(name) && realpathOrSelf(dirname(netns)) === namedNamespaceDirectory;
  if (named) return [command, ["-n", name, ...args]];
  return ["nsenter", [`--net=${netns}`, command, ...args]];
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The same, without blocking the event loop (the agent serves CNI requests while it forwards
 * packets), optionally inside the network namespace at the path `netns`.
 */
function runAsync(command: string, args: string[], input?: string, netns?: string): Promise<string> {
  const [file, argv] = netns ? inNamespace(netns, command, args) : [command, args];
  return new Promise((resolve, reject) => {
    const child = execFile(file, argv, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (!error) resolve(stdout);
      else reject(new IpError(`${netns ? `(in ${netns}) ` : ""}${command} ${args.join(" ")}${input ? ` <<< ${input.trim().replace(/\n/g, "; ")}` : ""}: ${stderr.trim() || error.message}`));
    });
    // `ip` may exit before reading its stdin; the exit status says what happened, not EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

/** ipJson without blocking, optionally in the namespace at path `netns`. */
export async function ipJsonAsync<T>(args: string[], netns?: string): Promise<T> {
  const output = (await runAsync("ip", ["-json", ...args], undefined, netns)).trim();
  return (output === "" ? [] : JSON.parse(output)) as T;
}

/** ipBatch without blocking, optionally in the namespace at path `netns`. */
export async function ipBatchAsync(commands: string[], netns?: string): Promise<void> {
  if (commands.length > 0) await runAsync("ip", ["-batch", "-"], `${commands.join("\n")}\n`, netns);
}

/** Reads kernel state as JSON: ip -json ARGS. */
export function ipJson<T>(args: string[]): T {
  const output = run("ip", ["-json", ...args]).trim();
  return (output === "" ? [] : JSON.parse(output)) as T;
}

/** Applies `commands` (ip syntax without the leading "ip") in one `ip -batch -`, stopping at the first failure. */
export function ipBatch(commands: string[]): void {
  if (commands.length > 0) run("ip", ["-batch", "-"], `${commands.join("\n")}\n`);
}

/** Reads bridge state (FDB entries) as JSON: bridge -json ARGS. */
export function bridgeJson<T>(args: string[]): T {
  const output = run("bridge", ["-json", ...args]).trim();
  return (output === "" ? [] : JSON.parse(output)) as T;
}

/** A `bridge` command (FDB entries). */
export function bridge(args: string[]): void {
  run("bridge", args);
}

/** Sets a sysctl (e.g. net.ipv4.ip_forward) through /proc, in this process's namespace. */
export function sysctl(name: string, value: string): void {
  run("sysctl", ["-qw", `${name}=${value}`]);
}

/** The commands, spelled once. */
export const ipCommands = {
  routeReplace: (subnet: string, via: string, device: string, onlink = false) =>
    `route replace ${subnet} via ${via} dev ${device}${onlink ? " onlink" : ""} proto ${PODNET_ROUTE_PROTOCOL}`,
  /** A route straight into a point-to-point device (a TUN device), no gateway. */
  routeReplaceOnDevice: (subnet: string, device: string) => `route replace ${subnet} dev ${device} proto ${PODNET_ROUTE_PROTOCOL}`,
  routeDelete: (subnet: string) => `route del ${subnet} proto ${PODNET_ROUTE_PROTOCOL}`,
  neighbourReplace: (address: string, mac: string, device: string) => `neigh replace ${address} lladdr ${mac} dev ${device} nud permanent`,
  neighbourDelete: (address: string, device: string) => `neigh del ${address} dev ${device}`,
  addressReplace: (address: string, device: string) => `address replace ${address} dev ${device}`,
};

/** True when `command` (one line of ipBatch) fails only because what it removes is already gone. */
export function isAlreadyGone(error: unknown): boolean {
  return error instanceof IpError && /No such process|No such file or directory|Cannot find device|not found/i.test(error.message);
}

/** Destinations of podnet's routes (proto 107), optionally only those through `device`. */
export function podnetRouteDestinations(device?: string): string[] {
  const routes = ipJson<Array<{ dst: string; dev?: string }>>(["route", "show", "proto", String(PODNET_ROUTE_PROTOCOL)]);
  return routes.filter((route) => device === undefined || route.dev === device).map((route) => route.dst);
}

/** Deletes podnet's routes to destinations not in `keep`; returns the ones it deleted. */
export function deleteRoutesExcept(keep: Set<string>, device?: string): string[] {
  const stale = podnetRouteDestinations(device).filter((destination) => !keep.has(destination));
  for (const destination of stale) {
    try {
      ipBatch([ipCommands.routeDelete(destination)]);
    } catch (error) {
      if (!isAlreadyGone(error)) throw error;
    }
  }
  return stale;
}
