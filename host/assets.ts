// Where the build's artifacts (podnet.wasm, podnet.node) come from: embedded assets when running
// as the single executable, the dist/ folder otherwise (tests and `node dist/podnet.cjs`).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

/** True when running as the bundle (dist/podnet.cjs or the single executable), not from sources. */
export function isBundle(): boolean {
  return typeof PODNET_BUNDLE !== "undefined";
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

/**
 * Path of an embedded native module written out to a file (a shared object can only be loaded
 * from one): content-addressed under $PODNET_RUNTIME_DIR or the temp dir, written then renamed so
 * a concurrent process never loads half a file. Outside the single executable: dist/<name>.
 */
export function extractAsset(name: string, group: string[] = [name]): string {
  if (!sea.isSea()) return join(distDirectory(), name);
  const bytes = readAsset(name);
  // Files that refer to each other (the .proto files) share one directory: key it by all of them.
  const hash = createHash("sha256");
  for (const member of group) hash.update(member === name ? bytes : readAsset(member));
  const digest = hash.digest("hex").slice(0, 16);
  const directory = join(process.env.PODNET_RUNTIME_DIR ?? tmpdir(), "podnet");
  const path = join(directory, digest, name);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, bytes, { mode: 0o500 });
    renameSync(partial, path);
  }
  return path;
}

/** Where etcd3 finds rpc.proto (and the files it imports) in the bundle; set before etcd3 loads. */
export function etcdProtoPath(): string {
  if (!sea.isSea()) return join(distDirectory(), "etcd3-proto", "rpc.proto");
  const group = ["etcd3-proto/rpc.proto", "etcd3-proto/kv.proto", "etcd3-proto/auth.proto"];
  extractAsset(group[1], group);
  extractAsset(group[2], group);
  return extractAsset(group[0], group);
}

(globalThis as { podnetEtcdProtoPath?: () => string }).podnetEtcdProtoPath = etcdProtoPath;
