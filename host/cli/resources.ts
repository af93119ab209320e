// `podnet apply -f FILE`, `podnet get KIND [NAME] [-o wide|yaml|json]`, `podnet delete KIND NAME`
// (or `-f FILE`): Calico's v3 resources in podnet's store, as calicoctl handles them. A file holds
// one or more YAML documents (or JSON), or a List of them; every resource is checked before any is
// written, and a refusal names the resource and the field (exit 1, nothing written).

import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { parseAllDocuments, stringify } from "yaml";
import { openStore, type StoreFlags } from "../store/open";
import { KINDS, kindNamed, parseResource, type BGPConfiguration, type BGPPeer, type CalicoNode, type IPAMConfiguration, type IPPool, type Kind, type Resource } from "../resources/kinds";
import { CALICO_PREFIX, ResourceStore } from "../resources/store";
import { ResourceError, isObject } from "../resources/fields";
import { withStoreFlags } from "./store-flags";
import { table } from "./table";
import { UsageError } from "./usage-error";

type Flags = StoreFlags & { calicoPrefix: string };

function withResourceFlags(command: Command): Command {
  return withStoreFlags(command).option("--calico-prefix <prefix>", "key prefix of Calico-mode resources in the store", CALICO_PREFIX);
}

/** The documents of a YAML or JSON file, Lists unpacked. */
function documentsOf(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const documents = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) throw new ResourceError(`${path}: not YAML or JSON: ${document.errors[0].message}`);
    const value = document.toJS() as unknown;
    if (value === null || value === undefined) continue;
    // calicoctl's `get -o yaml` writes a List (kind IPPoolList, …) with items.
    if (isObject(value) && typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) out.push(...value.items);
    else out.push(value);
  }
  if (out.length === 0) throw new ResourceError(`${path} holds no resource`);
  return out;
}

async function withStore<T>(flags: Flags, work: (resources: ResourceStore) => Promise<T>): Promise<T> {
  const kv = await openStore(flags);
  try {
    return await work(new ResourceStore(kv, flags.calicoPrefix));
  } finally {
    await kv.close();
  }
}

function applyCommand(): Command {
  return withResourceFlags(new Command("apply").description("create or update Calico v3 resources (IPPool, BGPConfiguration, BGPPeer, IPAMConfiguration, Node) from a file"))
    .requiredOption("-f, --filename <file>", "YAML or JSON file of resources")
    .action(async (flags: Flags & { filename: string }) => {
      const resources = documentsOf(flags.filename).map(parseResource);
      const outcomes = await withStore(flags, (store) => store.apply(resources));
      for (const outcome of outcomes) console.log(`${outcome.kind} ${outcome.name} ${outcome.action}`);
    });
}

const yesNo = (value: boolean) => String(value);

/** calicoctl's columns per kind; `wide` adds some. */
function rowsOf(kind: Kind, resources: Resource[], wide: boolean): { header: string[]; rows: string[][] } {
  switch (kind) {
    case "IPPool": {
      const pools = resources as IPPool[];
      return wide
        ? { header: ["NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "BLOCKSIZE", "SELECTOR"], rows: pools.map((p) => [p.metadata.name, p.spec.cidr, yesNo(p.spec.natOutgoing), p.spec.ipipMode, p.spec.vxlanMode, yesNo(p.spec.disabled), String(p.spec.blockSize), p.spec.nodeSelector]) }
        : { header: ["NAME", "CIDR", "SELECTOR"], rows: pools.map((p) => [p.metadata.name, p.spec.cidr, p.spec.nodeSelector]) };
    }
    case "Node": {
      const nodes = resources as CalicoNode[];
      return wide
        ? { header: ["NAME", "ASN", "IPV4", "IPV6"], rows: nodes.map((n) => [n.metadata.name, n.spec.bgp?.asNumber === undefined ? "(64512)" : String(n.spec.bgp.asNumber), n.spec.bgp?.ipv4Address ?? "", ""]) }
        : { header: ["NAME"], rows: nodes.map((n) => [n.metadata.name]) };
    }
    case "BGPPeer": {
      const peers = resources as BGPPeer[];
      return { header: ["NAME", "PEERIP", "NODE", "ASN"], rows: peers.map((p) => [p.metadata.name, p.spec.peerIP, p.spec.node ?? "(global)", String(p.spec.asNumber)]) };
    }
    case "BGPConfiguration": {
      const configurations = resources as BGPConfiguration[];
      return { header: ["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"], rows: configurations.map((c) => [c.metadata.name, c.spec.logSeverityScreen, yesNo(c.spec.nodeToNodeMeshEnabled), String(c.spec.asNumber)]) };
    }
    case "IPAMConfiguration": {
      const configurations = resources as IPAMConfiguration[];
      return { header: ["NAME", "STRICTAFFINITY", "MAXBLOCKSPERHOST"], rows: configurations.map((c) => [c.metadata.name, yesNo(c.spec.strictAffinity), String(c.spec.maxBlocksPerHost)]) };
    }
  }
}

function kindArgument(text: string): Kind {
  const kind = kindNamed(text);
  if (!kind) throw new UsageError(`unknown resource type '${text}' (one of ${Object.values(KINDS).map((entry) => entry.plural).join(", ")})`);
  return kind;
}

function getCommand(): Command {
  return withResourceFlags(new Command("get").description("show Calico v3 resources from the store").argument("<kind>", "ippools, nodes, bgppeers, bgpconfigurations, ipamconfigurations").argument("[name]"))
    .addOption(new Option("-o, --output <format>", "table, wide, yaml or json").choices(["table", "wide", "yaml", "json"]).default("table"))
    .action(async (kindText: string, name: string | undefined, flags: Flags & { output: string }) => {
      const kind = kindArgument(kindText);
      const { resources, skipped } = await withStore(flags, async (store) => {
        if (name === undefined) return store.list(kind);
        const one = await store.get(kind, name);
        if (!one) throw new Error(`${kind} ${name} not found`);
        return { resources: [one], skipped: [] };
      });
      for (const entry of skipped) process.stderr.write(`podnet: skipped ${entry.key}: ${entry.reason}\n`);
      if (flags.output === "yaml" || flags.output === "json") {
        const shown = name !== undefined ? resources[0] : { apiVersion: "projectcalico.org/v3", kind: `${kind}List`, items: resources };
        process.stdout.write(flags.output === "yaml" ? stringify(shown) : `${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const { header, rows } = rowsOf(kind, resources, flags.output === "wide");
      process.stdout.write(table(header, rows));
    });
}

function deleteCommand(): Command {
  return withResourceFlags(new Command("delete").description("delete Calico v3 resources from the store, by kind and name or as listed in a file").argument("[kind]").argument("[name]"))
    .option("-f, --filename <file>", "YAML or JSON file naming the resources")
    .action(async (kindText: string | undefined, name: string | undefined, flags: Flags & { filename?: string }) => {
      let targets: Array<{ kind: Kind; name: string }>;
      if (flags.filename !== undefined) {
        if (kindText !== undefined) throw new UsageError("give either -f FILE or KIND NAME, not both");
        targets = documentsOf(flags.filename).map(parseResource).map((resource) => ({ kind: resource.kind, name: resource.metadata.name }));
      } else {
        if (kindText === undefined || name === undefined) throw new UsageError("delete needs KIND NAME, or -f FILE");
        targets = [{ kind: kindArgument(kindText), name }];
      }
      const missing = await withStore(flags, async (store) => {
        const gone: string[] = [];
        for (const target of targets) {
          if (await store.delete(target.kind, target.name)) console.log(`${target.kind} ${target.name} deleted`);
          else gone.push(`${target.kind} ${target.name}`);
        }
        return gone;
      });
      if (missing.length > 0) throw new Error(`not found: ${missing.join(", ")}`);
    });
}

export function resourceCommands(): Command[] {
  return [applyCommand(), getCommand(), deleteCommand()];
}
