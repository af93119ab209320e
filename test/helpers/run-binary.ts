// Runs the single executable dist/podnet as a user would: from a directory with nothing in it.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distPath } from "./paths";

const emptyDirectory = mkdtempSync(join(tmpdir(), "podnet-cli-"));

export interface BinaryResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `dist/podnet args…` in an empty directory, with optional stdin text and extra environment. */
export function runPodnet(args: string[], input?: string, environment: Record<string, string> = {}): BinaryResult {
  const result = spawnSync(distPath("podnet"), args, {
    cwd: emptyDirectory,
    input,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: emptyDirectory, ...environment },
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
