// A TCP MD5 password kept in a file (`--peer …,password-file=F`, a BGPPeer's secretKeyRef), so that it
// is in no process's argv and no store entry.

import { readFileSync } from "node:fs";

/** Reads a password from a file: the file's text without one trailing newline; throws naming the file, never the contents. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the password file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, "");
  if (password.length === 0 || Buffer.byteLength(password) > 80) throw new Error(`the password in ${path} must be 1–80 bytes (TCP_MD5SIG_MAXKEYLEN)`);
  return password;
}
