// `podnet cni` as the runtime (or the native client, when no agent answers) runs it: the CNI_*
// environment and the config on stdin in, the result or error JSON on stdout, the exit code out.
// The process's streams are passed in, as skel passes them, so this runs under test with others.

import type { Readable, Writable } from "node:stream";
import { systemKernel } from "../net/system-kernel";
import { runPlugin } from "./plugin";

interface ProcessIo {
  env: Record<string, string | undefined>;
  /** The config; a terminal (isTTY) is no config. */
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  /** Where a takeover is noted (the runtime logs the plugin's stderr). */
  stderr?: Writable;
}

/**
 * Set by the native client when the agent had the request and never answered (it died, or hung
 * past agentTimeoutSeconds): its value says why. The agent may have done part of an ADD.
 */
const TAKEOVER_VARIABLE = "PODNET_CNI_TAKEOVER";

/** All of `stream` as UTF-8 text. */
async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs one plugin invocation over `io` (the process's own by default); resolves with its exit code. */
export async function runCniInProcess(io: ProcessIo = { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // A terminal on stdin is no config: VERSION needs none, the rest say what is missing.
  const stdin = io.stdin.isTTY ? "" : await readAll(io.stdin);
  const takeover = io.env[TAKEOVER_VARIABLE];
  if (takeover && io.env.CNI_COMMAND === "ADD") {
    // The runtime never got that ADD's result, so nothing uses what the agent may have set up:
    // undo it (DEL is idempotent) and ADD afresh, rather than fail on "already has an address".
    io.stderr?.write(`podnet: the agent did not answer this ADD (${takeover}); undoing what it may have done and adding in-process\n`);
    await runPlugin({ env: { ...io.env, CNI_COMMAND: "DEL" }, stdin }, { servedByAgent: false, kernel: systemKernel() });
  }
  const output = await runPlugin({ env: io.env, stdin }, { servedByAgent: false, kernel: systemKernel() });
  if (output.stdout) io.stdout.write(`${output.stdout}\n`);
  return output.exitCode;
}
