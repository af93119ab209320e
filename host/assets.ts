// Where the build's artifacts (podnet.wasm, podnet.node) come from: embedded assets when running
// as the single executable, the dist/ folder otherwise (tests and `node dist/podnet.cjs`).

import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sea from "node:sea";

/** Set to true by the esbuild bundle; absent when the sources run directly under tsx. */
declare const PODNET_BUNDLE: boolean | undefined;


/** The folder holding the build's artifacts when they are plain files. */
function distDirectory(): string {
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

/** SHA-256 of each embedded asset, put into the bundle by the build (scripts/bundle.mjs). */
declare const PODNET_ASSET_DIGESTS: Record<string, string> | undefined;

function assetDigest(name: string): string {
  const digest = typeof PODNET_ASSET_DIGESTS === "undefined" ? undefined : PODNET_ASSET_DIGESTS[name];
  if (!digest) throw new Error(`asset ${name} has no digest in this build: rebuild with \`npm run build\``);
  return digest;
}

/** SHA-256 of a file read in small pieces (a 2 MB native module is not held whole), or undefined if it is absent. */
function fileDigest(path: string): string | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (let read; (read = readSync(descriptor, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, read));
    return hash.digest("hex");
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Path of an embedded native module written out to a file (a shared object can only be loaded
 * from one): content-addressed under $PODNET_RUNTIME_DIR or the temp dir, written then renamed so
 * a concurrent process never loads half a file. A copy already there is used when its content
 * has the build's digest, without reading the embedded bytes: every page of the executable read
 * stays resident, and better-sqlite3's module alone is 2 MB. Outside the single executable:
 * dist/<name>.
 */
export function extractAsset(name: string, group: string[] = [name]): string {
  if (!sea.isSea()) return join(distDirectory(), name);
  // Files that refer to each other (the .proto files) share one directory: key it by all of them.
  const directoryKey = createHash("sha256");
  for (const member of group) directoryKey.update(assetDigest(member));
  const directory = join(process.env.PODNET_RUNTIME_DIR ?? tmpdir(), "podnet", directoryKey.digest("hex").slice(0, 16));
  const path = join(directory, name);
  if (fileDigest(path) !== assetDigest(name)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, readAsset(name), { mode: 0o500 });
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
