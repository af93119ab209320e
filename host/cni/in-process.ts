// `podnet cni` as the runtime (or the native client, when no agent answers) runs it: the CNI_*
// environment and the config on stdin in, the result or error JSON on stdout, the exit code out.

import { readStdinText } from "../cli/stdin";
import { runPlugin } from "./plugin";

/** Runs one plugin invocation for this process; resolves with its exit code. */
export async function runCniInProcess(): Promise<number> {
  // A terminal on stdin is no config: VERSION needs none, the rest say what is missing.
  const stdin = process.stdin.isTTY ? "" : await readStdinText();
  const output = await runPlugin({ env: process.env, stdin }, { servedByAgent: false });
  if (output.stdout) process.stdout.write(`${output.stdout}\n`);
  return output.exitCode;
}
