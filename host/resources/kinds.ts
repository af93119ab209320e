// Calico's v3 resources that podnet implements, in Calico's own shape (apiVersion
// projectcalico.org/v3, kind, metadata, spec), each checked field by field and returned with
// Calico's defaults filled in, as `calicoctl get -o yaml` shows them. A field podnet does not
// implement is refused by name (fields.ts).

import { boolean, duration, fail, field, integer, ipv4Address, ipv4Interface, ipv4Network, isObject, objectWith, oneOf, required, text, type Check } from "./fields";
import { parsePrefix } from "../shared/addresses";
import { secretKeyRefProblem, type SecretKeyRef } from "./secrets";

const API_VERSION = "projectcalico.org/v3";
export const DEFAULT_AS = 64512;
const DEFAULT_BLOCK_SIZE = 26;
const AS_NUMBER = integer(1, 4294967295);

interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface IPPool {
  apiVersion: typeof API_VERSION;
  kind: "IPPool";
  metadata: Metadata;
  spec: { cidr: string; blockSize: number; ipipMode: "Never" | "Always" | "CrossSubnet"; vxlanMode: "Never"; natOutgoing: boolean; disabled: boolean; nodeSelector: "all()" };
}

export interface BGPConfiguration {
  apiVersion: typeof API_VERSION;
  kind: "BGPConfiguration";
  metadata: Metadata;
  spec: { asNumber: number; nodeToNodeMeshEnabled: boolean; listenPort: number; logSeverityScreen: "Debug" | "Info" | "Warning" | "Error" | "Fatal" };
}

export interface BGPPeer {
  apiVersion: typeof API_VERSION;
  kind: "BGPPeer";
  metadata: Metadata;
  /** keepaliveTime and maxRestartTime as Go durations ("20s"); node absent: a global peer of every node. */
  spec: { peerIP: string; asNumber: number; node?: string; password?: string | { secretKeyRef: SecretKeyRef }; keepaliveTime?: string; maxRestartTime?: string; sourceAddress: "UseNodeIP" | "None" };
}

export interface IPAMConfiguration {
  apiVersion: typeof API_VERSION;
  kind: "IPAMConfiguration";
  metadata: Metadata;
  /** maxBlocksPerHost 0: no limit (Calico's default). */
  spec: { strictAffinity: boolean; maxBlocksPerHost: number };
}

export interface CalicoNode {
  apiVersion: typeof API_VERSION;
  kind: "Node";
  metadata: Metadata;
  spec: { bgp?: { ipv4Address: string; asNumber?: number; routeReflectorClusterID?: string } };
}

export type Resource = IPPool | BGPConfiguration | BGPPeer | IPAMConfiguration | CalicoNode;
export type Kind = Resource["kind"];

/** Kind → the plural that `podnet get` and the store's keys use, with the names Calico accepts for it. */
export const KINDS: Record<Kind, { plural: string; aliases: string[] }> = {
  IPPool: { plural: "ippools", aliases: ["ippool", "ippools", "ipp", "ipps", "pool", "pools"] },
  BGPConfiguration: { plural: "bgpconfigurations", aliases: ["bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"] },
  BGPPeer: { plural: "bgppeers", aliases: ["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"] },
  IPAMConfiguration: { plural: "ipamconfigurations", aliases: ["ipamconfiguration", "ipamconfigurations", "ipamconfig", "ipamconfigs"] },
  Node: { plural: "nodes", aliases: ["node", "nodes", "no", "nos"] },
};

/** The kind a `podnet get/delete` argument names, or undefined. */
export function kindNamed(text: string): Kind | undefined {
  const lower = text.toLowerCase();
  return (Object.keys(KINDS) as Kind[]).find((kind) => KINDS[kind].aliases.includes(lower));
}

// Kubernetes object names (RFC 1123 subdomains), as Calico requires.
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const stringMap: Check<Record<string, string>> = (value, path) => {
  if (!isObject(value)) fail(path, "must be a mapping of strings");
  for (const [key, item] of Object.entries(value)) if (typeof item !== "string") fail(`${path}.${key}`, "must be a string");
  return value as Record<string, string>;
};

function metadataOf(value: unknown): Metadata {
  const metadata = objectWith(value ?? fail("metadata", "is required"), "metadata", ["name", "labels", "annotations"]);
  const name = required(metadata, "name", "metadata", text);
  if (name.length > 253 || !NAME.test(name)) fail("metadata.name", `${JSON.stringify(name)} is not a valid name (lower-case letters, digits, '-' and '.')`);
  const out: Metadata = { name };
  const labels = field(metadata, "labels", "metadata", stringMap);
  const annotations = field(metadata, "annotations", "metadata", stringMap);
  if (labels) out.labels = labels;
  if (annotations) out.annotations = annotations;
  return out;
}

function ipPool(metadata: Metadata, spec: Record<string, unknown>): IPPool {
  objectWith(spec, "spec", ["cidr", "blockSize", "ipipMode", "vxlanMode", "natOutgoing", "disabled", "nodeSelector"]);
  const cidr = required(spec, "cidr", "spec", ipv4Network);
  const blockSize = field(spec, "blockSize", "spec", integer(20, 32), DEFAULT_BLOCK_SIZE);
  const poolLength = parsePrefix(cidr).length;
  if (blockSize < poolLength) fail("spec.blockSize", `a /${blockSize} block does not fit in the /${poolLength} pool ${cidr}`);
  const ipipMode = field(spec, "ipipMode", "spec", oneOf("Never", "Always", "CrossSubnet"), "Never");
  const selector = field(spec, "nodeSelector", "spec", text, "all()");
  if (selector.replace(/\s/g, "") !== "all()") fail("spec.nodeSelector", `podnet implements only all(), not ${JSON.stringify(selector)}`);
  return {
    apiVersion: API_VERSION,
    kind: "IPPool",
    metadata,
    spec: {
      cidr,
      blockSize,
      ipipMode,
      vxlanMode: field(spec, "vxlanMode", "spec", oneOf("Never"), "Never"),
      natOutgoing: field(spec, "natOutgoing", "spec", boolean, false),
      disabled: field(spec, "disabled", "spec", boolean, false),
      nodeSelector: "all()",
    },
  };
}

function bgpConfiguration(metadata: Metadata, spec: Record<string, unknown>): BGPConfiguration {
  if (metadata.name !== "default") fail("metadata.name", `podnet takes the cluster-wide BGPConfiguration, named default, not ${JSON.stringify(metadata.name)}`);
  objectWith(spec, "spec", ["asNumber", "nodeToNodeMeshEnabled", "listenPort", "logSeverityScreen"]);
  return {
    apiVersion: API_VERSION,
    kind: "BGPConfiguration",
    metadata,
    spec: {
      asNumber: field(spec, "asNumber", "spec", AS_NUMBER, DEFAULT_AS),
      nodeToNodeMeshEnabled: field(spec, "nodeToNodeMeshEnabled", "spec", boolean, true),
      listenPort: field(spec, "listenPort", "spec", integer(1, 65535), 179),
      logSeverityScreen: field(spec, "logSeverityScreen", "spec", oneOf("Debug", "Info", "Warning", "Error", "Fatal"), "Info"),
    },
  };
}

/** "a.b.c.d" or "a.b.c.d:port", as Calico's peerIP. */
const peerAddress: Check<string> = (value, path) => {
  const match = typeof value === "string" ? /^([^:]+)(?::(\d+))?$/.exec(value) : null;
  if (!match) fail(path, `must be an IPv4 address, optionally with :port, not ${JSON.stringify(value)}`);
  ipv4Address(match[1], path);
  if (match[2] !== undefined) integer(1, 65535)(match[2], `${path} port`);
  return value as string;
};

function bgpPeer(metadata: Metadata, spec: Record<string, unknown>): BGPPeer {
  objectWith(spec, "spec", ["peerIP", "asNumber", "node", "password", "keepaliveTime", "maxRestartTime", "sourceAddress"]);
  const out: BGPPeer["spec"] = {
    peerIP: required(spec, "peerIP", "spec", peerAddress),
    asNumber: required(spec, "asNumber", "spec", AS_NUMBER),
    sourceAddress: field(spec, "sourceAddress", "spec", oneOf("UseNodeIP", "None"), "UseNodeIP"),
  };
  const node = field(spec, "node", "spec", text);
  const password = field(spec, "password", "spec", (value, path) => {
    if (isObject(value)) {
      // Calico's form. Without Kubernetes it names a file (see resources/secrets.ts).
      objectWith(value, path, ["secretKeyRef"]);
      const ref = required(value, "secretKeyRef", path, (inner, innerPath) => {
        if (!isObject(inner)) fail(innerPath, "must be an object with name and key");
        objectWith(inner, innerPath, ["name", "key"]);
        return { name: required(inner, "name", innerPath, text), key: required(inner, "key", innerPath, text) };
      });
      const problem = secretKeyRefProblem(ref);
      if (problem) fail(`${path}.secretKeyRef`, problem);
      return { secretKeyRef: ref };
    }
    // Not text(): its message quotes the value, and this one is a secret.
    if (typeof value !== "string" || value === "") fail(path, "must be a non-empty string (the value given is not shown: it is a secret)");
    return value;
  });
  const keepaliveTime = field(spec, "keepaliveTime", "spec", duration);
  const maxRestartTime = field(spec, "maxRestartTime", "spec", duration);
  if (node !== undefined) out.node = node;
  if (password !== undefined) out.password = password;
  if (keepaliveTime !== undefined) out.keepaliveTime = keepaliveTime;
  if (maxRestartTime !== undefined) out.maxRestartTime = maxRestartTime;
  return { apiVersion: API_VERSION, kind: "BGPPeer", metadata, spec: out };
}

function ipamConfiguration(metadata: Metadata, spec: Record<string, unknown>): IPAMConfiguration {
  if (metadata.name !== "default") fail("metadata.name", `the IPAMConfiguration must be named default, not ${JSON.stringify(metadata.name)}`);
  objectWith(spec, "spec", ["strictAffinity", "maxBlocksPerHost"]);
  return {
    apiVersion: API_VERSION,
    kind: "IPAMConfiguration",
    metadata,
    spec: { strictAffinity: field(spec, "strictAffinity", "spec", boolean, false), maxBlocksPerHost: field(spec, "maxBlocksPerHost", "spec", integer(0, 2 ** 31 - 1), 0) },
  };
}

function calicoNode(metadata: Metadata, spec: Record<string, unknown>): CalicoNode {
  objectWith(spec, "spec", ["bgp"]);
  if (spec.bgp === undefined || spec.bgp === null) return { apiVersion: API_VERSION, kind: "Node", metadata, spec: {} };
  const bgp = objectWith(spec.bgp, "spec.bgp", ["ipv4Address", "asNumber", "routeReflectorClusterID"]);
  const out: NonNullable<CalicoNode["spec"]["bgp"]> = { ipv4Address: required(bgp, "ipv4Address", "spec.bgp", ipv4Interface) };
  const asNumber = field(bgp, "asNumber", "spec.bgp", AS_NUMBER);
  const clusterId = field(bgp, "routeReflectorClusterID", "spec.bgp", ipv4Address);
  if (asNumber !== undefined) out.asNumber = asNumber;
  if (clusterId !== undefined) out.routeReflectorClusterID = clusterId;
  return { apiVersion: API_VERSION, kind: "Node", metadata, spec: { bgp: out } };
}

const PARSERS: Record<Kind, (metadata: Metadata, spec: Record<string, unknown>) => Resource> = {
  IPPool: ipPool,
  BGPConfiguration: bgpConfiguration,
  BGPPeer: bgpPeer,
  IPAMConfiguration: ipamConfiguration,
  Node: calicoNode,
};

/** One resource document checked and normalised; errors name the kind, the name and the field. */
export function parseResource(document: unknown): Resource {
  const top = objectWith(document, "resource", ["apiVersion", "kind", "metadata", "spec"]);
  const kind = top.kind;
  if (typeof kind !== "string" || !(kind in PARSERS)) fail("kind", `${JSON.stringify(kind)} is not a kind podnet implements (${Object.keys(PARSERS).join(", ")})`);
  const name = isObject(top.metadata) && typeof top.metadata.name === "string" ? top.metadata.name : "(no name)";
  try {
    if (top.apiVersion !== API_VERSION) fail("apiVersion", `must be ${API_VERSION}, not ${JSON.stringify(top.apiVersion)}`);
    const spec = top.spec === undefined || top.spec === null ? {} : top.spec;
    if (!isObject(spec)) fail("spec", "must be a mapping");
    return PARSERS[kind as Kind](metadataOf(top.metadata), spec);
  } catch (error) {
    if (error instanceof Error && error.name !== "TypeError") error.message = `${kind} ${name}: ${error.message}`;
    throw error;
  }
}
