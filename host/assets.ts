// Where the build's artifacts (podnet.wasm, podnet.node) come from: embedded assets when running
// as the single executable, the dist/ folder otherwise (tests and `node dist/podnet.cjs`).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sea from "node:sea";

/** Set to true by the esbuild bundle; absent when the sources run directly under tsx. */
declare const PODNET_BUNDLE: boolean | undefined;


/** The folder holding the build's artifacts when they are plain files. */
export function distDirectory(): string {
  if (process.env.PODNET_DIST) return process.env.PODNET_DIST;
  if (typeof PODNET_BUNDLE !== "undefined") return __dirname;
  return fileURLToPath(new URL("../dist/", import.meta.url));
}

/** True when this process is the single executable with embedded assets. */
export function isSingleExecutable(): boolean {
  return sea.isSea();
}

/** Bytes of a build artifact, embedded or from dist/. Throws with the path it tried. */
export function readAsset(name: string): Uint8Array<ArrayBuffer> {
  if (sea.isSea()) return new Uint8Array(sea.getAsset(name));
  const path = join(distDirectory(), name);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new Error(`cannot read ${name} at ${path}: run \`npm run build\` first (${(error as Error).message})`);
  }
}
