// `podnet cni` as the runtime (or the native client, when no agent answers) runs it: the CNI_*
// environment and the config on stdin in, the result or error JSON on stdout, the exit code out.
// The process's streams are passed in, as skel passes them, so this runs under test with others.

import type { Readable, Writable } from "node:stream";
import { systemKernel } from "../net/kernel";
import { runPlugin } from "./plugin";

export interface ProcessIo {
  env: Record<string, string | undefined>;
  /** The config; a terminal (isTTY) is no config. */
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
}

/** All of `stream` as UTF-8 text. */
async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs one plugin invocation over `io` (the process's own by default); resolves with its exit code. */
export async function runCniInProcess(io: ProcessIo = { env: process.env, stdin: process.stdin, stdout: process.stdout }): Promise<number> {
  // A terminal on stdin is no config: VERSION needs none, the rest say what is missing.
  const stdin = io.stdin.isTTY ? "" : await readAll(io.stdin);
  const output = await runPlugin({ env: io.env, stdin }, { servedByAgent: false, kernel: systemKernel });
  if (output.stdout) io.stdout.write(`${output.stdout}\n`);
  return output.exitCode;
}
