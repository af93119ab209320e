// Loads podnet's N-API addon (host/native/podnet.c). The single executable carries it as an
// embedded asset; a shared object can only be loaded from a file, so it is written once to a
// content-addressed path and loaded from there with process.dlopen.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDirectory, isSingleExecutable, readAsset } from "../assets.js";

/** The addon's functions, as defined in host/native/podnet.c. */
export interface Addon {
  tunOpen(name: string, multiQueue: boolean): { fd: number; name: string };
  closeFd(fd: number): void;
}

let cached: Addon | undefined;

function extractedPath(bytes: Uint8Array): string {
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const directory = join(process.env.PODNET_RUNTIME_DIR ?? tmpdir(), "podnet");
  const path = join(directory, `podnet-${digest}.node`);
  if (!existsSync(path)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // Write then rename, so a concurrent process never dlopens a half-written file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, bytes, { mode: 0o500 });
    renameSync(partial, path);
  }
  return path;
}

/** The process-wide addon, loaded on first use. */
export function addon(): Addon {
  if (cached) return cached;
  const path = isSingleExecutable() ? extractedPath(readAsset("podnet.node")) : join(distDirectory(), "podnet.node");
  const module = { exports: {} as Addon };
  process.dlopen(module, path);
  cached = module.exports;
  return cached;
}
