// The network configuration the runtime passes on stdin, podnet's keys checked and defaulted.
// Every refusal names the key (code 7, or 2 for a key podnet does not support).

import { CniError, CniErrorCode } from "./errors";
import { ipv4ToNumber } from "../shared/addresses";
import { checkVersion } from "./versions";

type PodMode = "bridge" | "routed";

interface IpamConfig {
  /** "podnet" (built in, host-local's on-disk format) or another IPAM plugin found in CNI_PATH. */
  type: string;
  /** Where allocations live: <dataDir>/<network name>/ as host-local keeps them. */
  dataDir: string;
  rangeStart?: string;
  rangeEnd?: string;
  /** The whole ipam object, passed on to a delegated plugin. */
  raw: Record<string, unknown>;
  /** type podnet-blocks (Calico mode): this node's name and the store the blocks are in. */
  blocks?: BlockIpamConfig;
}

interface BlockIpamConfig {
  nodeName: string;
  store: "sqlite" | "etcd";
  storePath: string;
  etcdEndpoints: string;
  /** Key prefix of Calico-mode resources and blocks in the store. */
  prefix: string;
}

/** ipam.type of Calico-mode block IPAM. */
export const BLOCK_IPAM = "podnet-blocks";
/** Pod MTU when neither the conflist nor a subnet file says (Calico mode without encapsulation). */
export const DEFAULT_UNDERLAY_MTU = 1500;

export interface NetworkConfig {
  cniVersion: string;
  name: string;
  type: string;
  mode: PodMode;
  /** bridge mode: the bridge's name (Flannel's cni0). */
  bridge: string;
  /** Host-side veth names are this prefix and a hash of the attachment. */
  hostVethPrefix: string;
  /** Pod MTU; default: the subnet file's FLANNEL_MTU. */
  mtu?: number;
  hairpinMode: boolean;
  subnetFile: string;
  /** The agent's CNI socket; read by the native client too. */
  agentSocket: string;
  /** Seconds the native client waits for the agent's answer before running the plugin in-process (it reads the key itself). */
  agentTimeoutSeconds: number;
  ipam: IpamConfig;
  prevResult?: unknown;
  /** GC: the attachments to keep (cni.dev/valid-attachments). */
  validAttachments?: Array<{ containerID: string; ifname: string }>;
  /** The whole object as received, for delegation. */
  raw: Record<string, unknown>;
}

export const DEFAULTS = {
  bridge: "cni0",
  subnetFile: "/run/flannel/subnet.env",
  agentSocket: "/run/podnet/cni.sock",
  agentTimeoutSeconds: 10,
  dataDir: "/var/lib/cni/networks",
  hostVethPrefix: { bridge: "pnv", routed: "cali" } as Record<PodMode, string>,
};

const invalid = (message: string) => new CniError(CniErrorCode.InvalidNetworkConfig, message);

function optionalString(object: Record<string, unknown>, key: string, where = ""): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw invalid(`${where}${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function interfaceName(value: string, key: string): string {
  if (value.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(value)) throw invalid(`${key} "${value}" is not a usable interface name (at most 15 of A–Z a–z 0–9 _ . -)`);
  return value;
}

function optionalAddress(object: Record<string, unknown>, key: string): string | undefined {
  const value = optionalString(object, key, "ipam.");
  if (value === undefined) return undefined;
  try {
    ipv4ToNumber(value);
  } catch {
    throw invalid(`ipam.${key} "${value}" is not an IPv4 address`);
  }
  return value;
}

function blockIpamConfig(ipam: Record<string, unknown>): BlockIpamConfig {
  const nodeName = optionalString(ipam, "nodeName", "ipam.");
  if (!nodeName) throw invalid(`ipam.nodeName is missing: ${BLOCK_IPAM} allocates from this node's blocks`);
  const store = optionalString(ipam, "store", "ipam.") ?? "sqlite";
  if (store !== "sqlite" && store !== "etcd") throw invalid(`ipam.store must be sqlite or etcd, got "${store}"`);
  return {
    nodeName,
    store,
    storePath: optionalString(ipam, "storePath", "ipam.") ?? "/var/lib/podnet/store.db",
    etcdEndpoints: optionalString(ipam, "etcdEndpoints", "ipam.") ?? "http://127.0.0.1:2379",
    prefix: optionalString(ipam, "prefix", "ipam.") ?? "/podnet.io/calico",
  };
}

/** Decodes stdin (code 6 when it is not JSON) and checks the version (code 1). */
export function decodeConfig(stdin: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(stdin);
  } catch (error) {
    throw new CniError(CniErrorCode.DecodingFailure, `cannot decode the network config on stdin: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CniError(CniErrorCode.DecodingFailure, "the network config on stdin must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** The requested cniVersion, checked (a missing one is refused: podnet has no 0.1/0.2 results). */
export function configVersion(raw: Record<string, unknown>): string {
  const version = raw.cniVersion;
  if (typeof version !== "string") throw new CniError(CniErrorCode.IncompatibleVersion, "cniVersion is missing from the network config");
  checkVersion(version);
  return version;
}

/** podnet's view of a decoded network config. */
export function parseCniNetworkConfig(raw: Record<string, unknown>): NetworkConfig {
  const cniVersion = configVersion(raw);
  const name = optionalString(raw, "name");
  if (!name) throw invalid("name is missing from the network config");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw invalid(`name "${name}" may hold only A–Z a–z 0–9 _ . - (it names a directory)`);
  const type = optionalString(raw, "type");
  if (!type) throw invalid("type is missing from the network config");
  const mode = raw.mode ?? "bridge";
  if (mode !== "bridge" && mode !== "routed") throw new CniError(CniErrorCode.UnsupportedField, `mode "${String(mode)}" is not supported: use "bridge" or "routed"`);
  const mtu = raw.mtu;
  if (mtu !== undefined && (!Number.isInteger(mtu) || (mtu as number) < 576 || (mtu as number) > 65535)) throw invalid(`mtu must be a whole number from 576 to 65535, got ${JSON.stringify(mtu)}`);
  const hairpinMode = raw.hairpinMode ?? true;
  if (typeof hairpinMode !== "boolean") throw invalid(`hairpinMode must be true or false, got ${JSON.stringify(hairpinMode)}`);
  const ipamRaw = raw.ipam ?? { type: "podnet" };
  if (typeof ipamRaw !== "object" || ipamRaw === null || Array.isArray(ipamRaw)) throw invalid("ipam must be an object");
  const ipamObject = ipamRaw as Record<string, unknown>;
  const ipamType = optionalString(ipamObject, "type", "ipam.");
  if (!ipamType) throw invalid("ipam.type is missing");
  const hostVethPrefix = optionalString(raw, "hostVethPrefix") ?? DEFAULTS.hostVethPrefix[mode];
  if (!/^[a-z][a-z0-9]{0,6}$/.test(hostVethPrefix)) throw invalid(`hostVethPrefix "${hostVethPrefix}" must be 1–7 lowercase letters or digits, starting with a letter`);
  const agentTimeoutSeconds = raw.agentTimeoutSeconds ?? DEFAULTS.agentTimeoutSeconds;
  if (!Number.isInteger(agentTimeoutSeconds) || (agentTimeoutSeconds as number) < 1 || (agentTimeoutSeconds as number) > 3600) {
    throw invalid(`agentTimeoutSeconds must be a whole number from 1 to 3600, got ${JSON.stringify(agentTimeoutSeconds)}`);
  }
  const validAttachments = raw["cni.dev/valid-attachments"];
  if (validAttachments !== undefined && (!Array.isArray(validAttachments) || validAttachments.some((entry) => typeof entry?.containerID !== "string" || typeof entry?.ifname !== "string"))) {
    throw invalid("cni.dev/valid-attachments must be a list of {containerID, ifname}");
  }
  return {
    cniVersion,
    name,
    type,
    mode,
    bridge: interfaceName(optionalString(raw, "bridge") ?? DEFAULTS.bridge, "bridge"),
    hostVethPrefix,
    mtu: mtu as number | undefined,
    hairpinMode,
    subnetFile: optionalString(raw, "subnetFile") ?? DEFAULTS.subnetFile,
    agentSocket: optionalString(raw, "agentSocket") ?? DEFAULTS.agentSocket,
    agentTimeoutSeconds: agentTimeoutSeconds as number,
    ipam: {
      type: ipamType,
      dataDir: optionalString(ipamObject, "dataDir", "ipam.") ?? DEFAULTS.dataDir,
      rangeStart: optionalAddress(ipamObject, "rangeStart"),
      rangeEnd: optionalAddress(ipamObject, "rangeEnd"),
      raw: ipamObject,
      blocks: ipamType === BLOCK_IPAM ? blockIpamConfig(ipamObject) : undefined,
    },
    prevResult: raw.prevResult,
    validAttachments: validAttachments as NetworkConfig["validAttachments"],
    raw,
  };
}
