// Loads podnet's N-API addon (host/native/podnet.c): from dist/, or, in the single executable,
// from the embedded copy written out once (assets.ts extractAsset), with process.dlopen.

import { extractAsset } from "../assets.js";

/** The addon's functions, as defined in host/native/podnet.c. */
export interface Addon {
  tunOpen(name: string, multiQueue: boolean): { fd: number; name: string };
  closeFd(fd: number): void;
}

let cached: Addon | undefined;

/** The process-wide addon, loaded on first use. */
export function addon(): Addon {
  if (cached) return cached;
  const module = { exports: {} as Addon };
  process.dlopen(module, extractAsset("podnet.node"));
  cached = module.exports;
  return cached;
}
