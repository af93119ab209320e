// Bundles the host into dist/podnet.cjs with esbuild. One rewrite: etcd3 loads its .proto files
// from a path next to its own source, which does not exist inside the bundle or the single
// executable; the plugin points it at podnet's copy (host/assets.ts etcdProtoPath).
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

await build({
  entryPoints: ["host/cli/entry.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: "dist/podnet.cjs",
  define: { PODNET_BUNDLE: "true", "import.meta.url": "PODNET_IMPORT_META_URL" },
  banner: { js: 'var PODNET_IMPORT_META_URL = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [etcdProtoPath],
  logLevel: "warning",
});
