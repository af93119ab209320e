// Bundles the host into dist/podnet.cjs with esbuild. One rewrite: etcd3 loads its .proto files
// from a path next to its own source, which does not exist inside the bundle or the single
// executable; the plugin points it at podnet's copy (host/assets.ts etcdProtoPath).
// Minified (whitespace and syntax, names kept for stack traces) and ASCII-only: V8 holds the
// source in the heap for the process's life, and one non-ASCII character in a comment makes the
// whole string two bytes a character (4 MB instead of 1.3).
// The single executable's assets must already be in dist/: their SHA-256 digests go into the
// bundle, so a process finds its extracted native modules without reading the embedded copies.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const etcdProtoPath = {
  name: "etcd3-proto-path",
  setup(plugin) {
    plugin.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async ({ path }) => {
      const { readFile } = await import("node:fs/promises");
      const source = await readFile(path, "utf8");
      const needle = "`${__dirname}/../proto/rpc.proto`";
      if (!source.includes(needle)) throw new Error(`etcd3 changed: ${needle} not found in ${path}`);
      return { contents: source.replace(needle, "globalThis.podnetEtcdProtoPath()"), loader: "js" };
    });
  },
};

const { assets } = JSON.parse(readFileSync("sea-config.json", "utf8"));
const assetDigests = Object.fromEntries(
  Object.entries(assets).map(([name, file]) => [name, createHash("sha256").update(readFileSync(file)).digest("hex")]),
);

await build({
  entryPoints: ["host/cli/entry.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: "dist/podnet.cjs",
  define: { PODNET_BUNDLE: "true", PODNET_ASSET_DIGESTS: JSON.stringify(assetDigests), "import.meta.url": "PODNET_IMPORT_META_URL" },
  banner: { js: 'var PODNET_IMPORT_META_URL = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [etcdProtoPath],
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  logLevel: "warning",
});
