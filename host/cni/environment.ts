// The CNI_* environment a runtime sets, checked per command as the spec requires; each refusal is
// code 4 and names the variable.

import { statfsSync } from "node:fs";
import { CniError, CniErrorCode } from "./errors";

export const COMMANDS = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"] as const;
export type Command = (typeof COMMANDS)[number];

export interface Environment {
  command: Command;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string[];
  /** The CNI_* variables as received, passed on to a delegated IPAM plugin. */
  variables: Record<string, string>;
}

/** Which variables each command needs (the spec's "Parameters" table). */
const REQUIRED: Record<Command, string[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME"],
  STATUS: [],
  GC: [],
  VERSION: [],
};

/** The linux netns filesystem's magic number (statfs f_type), "nsfs". */
const NSFS_MAGIC = 0x6e736673;

const refuse = (message: string) => new CniError(CniErrorCode.InvalidEnvironment, message);

/** Reads and checks the environment; CNI_NETNS is only checked to exist where `netnsMustExist`. */
export function parseEnvironment(env: Record<string, string | undefined>): Environment {
  const command = env.CNI_COMMAND;
  if (!command) throw refuse("CNI_COMMAND is not set");
  if (!(COMMANDS as readonly string[]).includes(command)) throw refuse(`CNI_COMMAND "${command}" is not one of ${COMMANDS.join(", ")}`);
  const missing = REQUIRED[command as Command].filter((name) => !env[name]);
  if (missing.length > 0) throw refuse(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set (needed for ${command})`);
  const containerId = env.CNI_CONTAINERID ?? "";
  if (containerId && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerId)) throw refuse(`CNI_CONTAINERID "${containerId}" may hold only A–Z a–z 0–9 _ . -`);
  const ifName = env.CNI_IFNAME ?? "";
  if (ifName) {
    const problem = interfaceNameProblem(ifName);
    if (problem) throw refuse(`CNI_IFNAME ${JSON.stringify(ifName)} is not a valid interface name: ${problem}`);
  }
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (name.startsWith("CNI_") && value !== undefined) variables[name] = value;
  return {
    command: command as Command,
    containerId,
    netns: env.CNI_NETNS ?? "",
    ifName,
    args: env.CNI_ARGS ?? "",
    path: (env.CNI_PATH ?? "").split(":").filter(Boolean),
    variables,
  };
}

/** True when `path` is a network namespace file (a bind mount of nsfs); false when it is gone. */
function netnsExists(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** Refuses a CNI_NETNS that is not a network namespace (code 4). */
export function requireNetns(path: string): void {
  if (!netnsExists(path)) throw refuse(`CNI_NETNS "${path}" is not a network namespace (no such file, or not an nsfs mount)`);
}

/**
 * Why the kernel would refuse `name` as an interface name (dev_valid_name), or undefined: at most
 * 15 bytes (IFNAMSIZ less the NUL, counted in bytes, not characters), not "." or "..", and none of
 * '/', ':', '%' or white space (dev_valid_name's isspace: space, \t, \n, \v, \f, \r).
 */
function interfaceNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > 15) return `${bytes} bytes, the kernel allows 15`;
  if (name === "." || name === "..") return "the kernel refuses . and ..";
  const bad = /[/:%\t\n\v\f\r ]/.exec(name);
  if (bad) return `the kernel refuses ${JSON.stringify(bad[0])} in a name`;
  return undefined;
}
