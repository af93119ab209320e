// Runs another CNI plugin (a delegated IPAM plugin such as host-local) found in CNI_PATH, the
// way libcni's invoke does: same CNI_* environment, the config on stdin, the result on stdout.

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { CniError, CniErrorCode } from "./errors";

/** The first executable named `type` in the CNI_PATH directories. */
export function findPlugin(type: string, path: string[], key: string): string {
  if (type.includes("/")) throw new CniError(CniErrorCode.InvalidNetworkConfig, `${key} "${type}" must be a plugin name, not a path`);
  for (const directory of path) {
    const candidate = join(directory, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new CniError(CniErrorCode.InvalidNetworkConfig, `${key} "${type}": no such plugin in CNI_PATH (${path.join(":") || "empty"})`);
}

/** Execs the plugin with `command`; resolves to its JSON output (undefined for no output), or throws its CNI error. */
export function execPlugin(binary: string, command: string, variables: Record<string, string>, config: unknown): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { env: { ...variables, CNI_COMMAND: command }, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => reject(new CniError(CniErrorCode.IoFailure, `cannot run ${binary}: ${error.message}`)));
    child.on("close", (code) => {
      const text = Buffer.concat(stdout).toString("utf8").trim();
      let output: Record<string, unknown> | undefined;
      try {
        output = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        reject(new CniError(CniErrorCode.DecodingFailure, `${binary} ${command} printed something that is not JSON`, text.slice(0, 200)));
        return;
      }
      if (code === 0) resolve(output);
      else {
        const message = typeof output?.msg === "string" ? output.msg : Buffer.concat(stderr).toString("utf8").trim() || `exit code ${code}`;
        const details = typeof output?.details === "string" ? output.details : undefined;
        reject(new CniError(typeof output?.code === "number" ? output.code : CniErrorCode.IoFailure, `${binary} ${command}: ${message}`, details));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(config));
  });
}
