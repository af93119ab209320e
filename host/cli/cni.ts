// `podnet cni`: the CNI plugin in-process (what /opt/cni/bin/podnet falls back to when the agent
// is down), and `podnet cni install`: the plugin binaries and a conflist, as Flannel's and
// Calico's installers lay them down.

import { Command, Option } from "commander";
import { chmodSync, copyFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readAsset, isSingleExecutable } from "../assets";
import { hostname } from "node:os";
import { BLOCK_IPAM, DEFAULTS } from "../cni/config";
import { DEFAULT_STORE_PATH } from "../store/open";
import { runCniInProcess } from "../cni/in-process";
import { SUPPORTED_VERSIONS } from "../cni/versions";
import { UsageError } from "./usage-error";

/** The plugins `--chain` can append, each with the capabilities a runtime fills in. */
const CHAINABLE: Record<string, Record<string, unknown>> = {
  portmap: { type: "portmap", capabilities: { portMappings: true }, snat: true },
  bandwidth: { type: "bandwidth", capabilities: { bandwidth: true } },
  tuning: { type: "tuning" },
};

interface InstallFlags {
  binDir: string;
  confDir: string;
  confName: string;
  name: string;
  mode: "bridge" | "routed";
  ipam: string;
  agentSocket: string;
  subnetFile: string;
  dataDir: string;
  chain: string;
  cniVersion: string;
  nodeName: string;
  store: "sqlite" | "etcd";
  storePath: string;
  etcdEndpoints: string;
}

const blockIpam = (ipam: string) => ipam === "blocks" || ipam === BLOCK_IPAM;

/** The conflist `podnet cni install` writes. */
export function conflist(flags: Omit<InstallFlags, "binDir" | "confDir" | "confName">): Record<string, unknown> {
  const chain = flags.chain.split(",").map((name) => name.trim()).filter(Boolean);
  for (const name of chain) if (!CHAINABLE[name]) throw new UsageError(`--chain: "${name}" is not one of ${Object.keys(CHAINABLE).join(", ")}`);
  return {
    cniVersion: flags.cniVersion,
    name: flags.name,
    plugins: [
      {
        type: "podnet",
        mode: flags.mode,
        agentSocket: flags.agentSocket,
        subnetFile: flags.subnetFile,
        ipam: blockIpam(flags.ipam)
          ? { type: BLOCK_IPAM, nodeName: flags.nodeName, store: flags.store, storePath: flags.storePath, etcdEndpoints: flags.etcdEndpoints }
          : { type: flags.ipam, dataDir: flags.dataDir },
      },
      ...chain.map((name) => CHAINABLE[name]),
    ],
  };
}

/** Writes a file next to its final name, then renames: a runtime exec'ing the old binary meanwhile is unaffected. */
function replaceFile(path: string, write: (partial: string) => void, mode: number): void {
  const partial = `${path}.${process.pid}.partial`;
  write(partial);
  chmodSync(partial, mode);
  renameSync(partial, path);
}

function installCommand(): Command {
  return new Command("install")
    .description("install /opt/cni/bin/podnet (the native client), podnet-standalone beside it and a conflist")
    .option("--bin-dir <dir>", "where the runtime looks for plugins", "/opt/cni/bin")
    .option("--conf-dir <dir>", "where the runtime reads network configs", "/etc/cni/net.d")
    .option("--conf-name <file>", "the conflist's file name", "10-podnet.conflist")
    .option("--name <network>", "the network's name (also the IPAM directory's)", "podnet")
    .addOption(new Option("--mode <mode>", "bridge (cni0, Flannel style) or routed (Calico style)").choices(["bridge", "routed"]).default("bridge"))
    .option("--ipam <type>", "podnet (built in, in the node's lease), blocks (Calico mode: the node's blocks in the store) or an IPAM plugin such as host-local", "podnet")
    .option("--node-name <name>", "with --ipam blocks: this node's name, as the agent registers it", hostname())
    .addOption(new Option("--store <kind>", "with --ipam blocks: the store the agent uses").choices(["sqlite", "etcd"]).default("sqlite"))
    .option("--store-path <file>", "with --ipam blocks: the SQLite store's file", DEFAULT_STORE_PATH)
    .option("--etcd-endpoints <urls>", "with --ipam blocks: comma-separated etcd endpoints", "http://127.0.0.1:2379")
    .option("--agent-socket <path>", "the agent's CNI socket", DEFAULTS.agentSocket)
    .option("--subnet-file <path>", "the agent's subnet file", DEFAULTS.subnetFile)
    .option("--data-dir <dir>", "where IPAM keeps reservations", DEFAULTS.dataDir)
    .option("--chain <plugins>", `plugins to chain after podnet, comma-separated: ${Object.keys(CHAINABLE).join(", ")} (empty for none)`, "portmap")
    .addOption(new Option("--cni-version <version>", "the conflist's cniVersion (1.0.0: what today's runtimes and plugins read)").choices([...SUPPORTED_VERSIONS]).default("1.0.0"))
    .action((flags: InstallFlags) => {
      if (!isSingleExecutable()) throw new UsageError("podnet cni install copies the single executable: run it as dist/podnet (npm run build)");
      if (blockIpam(flags.ipam) && flags.mode !== "routed") throw new UsageError("--ipam blocks gives each pod a /32: use it with --mode routed");
      const list = conflist(flags);
      mkdirSync(flags.binDir, { recursive: true, mode: 0o755 });
      mkdirSync(flags.confDir, { recursive: true, mode: 0o755 });
      const client = join(flags.binDir, "podnet");
      const standalone = join(flags.binDir, "podnet-standalone");
      const configPath = join(flags.confDir, flags.confName);
      replaceFile(standalone, (partial) => copyFileSync(process.execPath, partial), 0o755);
      replaceFile(client, (partial) => writeFileSync(partial, readAsset("podnet-cni-client")), 0o755);
      replaceFile(configPath, (partial) => writeFileSync(partial, `${JSON.stringify(list, null, 2)}\n`), 0o644);
      console.log(`installed ${client} (client), ${standalone} (in-process fallback) and ${configPath}`);
    });
}

export function cniCommand(): Command {
  return new Command("cni")
    .description("run the CNI plugin in-process (ADD, DEL, CHECK, STATUS, GC, VERSION from CNI_COMMAND, config on stdin)")
    .addCommand(installCommand())
    .action(async () => {
      process.exitCode = await runCniInProcess();
    });
}
