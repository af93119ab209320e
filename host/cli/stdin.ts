// Reading all of standard input, for commands that take data either as arguments or piped in.

/** All of stdin as UTF-8 text; refuses an interactive terminal instead of waiting on it. */
export async function readStdinText(): Promise<string> {
  if (process.stdin.isTTY) throw new Error("expected data on stdin, but stdin is a terminal");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
