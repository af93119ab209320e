// Subnet leases in Flannel's schema, on any KvStore: <prefix>/subnets/10.244.1.0-24 holding
// {"PublicIP":"198.18.0.1","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,
// "VtepMAC":"…"}} with a TTL (24 h by default, renewed before expiry). Allocation as flanneld's:
// reuse the lease that already carries this node's public IP, else the subnet the node had before
// (from its subnet file), else a random free one in SubnetMin…SubnetMax. Races between nodes are
// settled by the store's create-if-absent and compare-and-swap, never by luck.

import { ipv4ToNumber, numberToIpv4 } from "../shared/addresses";
import { formatPrefix, parsePrefix } from "../shared/addresses";
import type { KeyValue, KvEvent, KvStore, Watch } from "./kv";
import { ConfigError, leasableSubnets, parseFlannelNetworkConfig, type NetworkConfig } from "./network-config";

export const DEFAULT_PREFIX = "/coreos.com/network";
export const DEFAULT_LEASE_TTL_SECONDS = 24 * 60 * 60;

/** A node's lease: its subnet, its public IP and its backend's data. */
export interface Lease {
  subnet: string;
  publicIp: string;
  backendType: string;
  backendData: Record<string, unknown> | null;
  /** Store revision of the lease's last write, for compare-and-swap. */
  modRevision: number;
}

/** A store entry that is not a valid lease: logged and skipped, never fatal. */
interface SkippedEntry {
  key: string;
  reason: string;
}

/** No free subnet is left; the message says how many there are. */
export class NetworkFullError extends Error {
  readonly code = "NETWORK_FULL";
}

/** What a node asks for. */
interface LeaseRequest {
  publicIp: string;
  backendType: string;
  backendData: Record<string, unknown> | null;
  /** The subnet from the node's previous subnet file, tried before a random one. */
  previousSubnet?: string;
  ttlSeconds?: number;
}

/** A change to the lease set, from a watch. */
export type LeaseEvent =
  | { type: "added"; lease: Lease; revision: number }
  | { type: "removed"; subnet: string; revision: number }
  | { type: "skipped"; entry: SkippedEntry; revision: number };

const subnetKeyPart = (subnet: string) => subnet.replace("/", "-");

/** Turns one stored entry into a lease, or says why it is not one. */
function parseLease(kv: Pick<KeyValue, "key" | "value" | "modRevision">, prefix: string): Lease | SkippedEntry {
  const match = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/subnets/(\\d+\\.\\d+\\.\\d+\\.\\d+)-(\\d+)$`).exec(kv.key);
  if (!match) return { key: kv.key, reason: "key is not <prefix>/subnets/<a.b.c.d>-<len>" };
  let subnet: string;
  try {
    subnet = formatPrefix(parsePrefix(`${match[1]}/${match[2]}`));
  } catch (error) {
    return { key: kv.key, reason: (error as Error).message };
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(kv.value);
  } catch (error) {
    return { key: kv.key, reason: `value is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null) return { key: kv.key, reason: "value is not a JSON object" };
  try {
    ipv4ToNumber(String(value.PublicIP));
  } catch {
    return { key: kv.key, reason: `"PublicIP" ${JSON.stringify(value.PublicIP)} is not an IPv4 address` };
  }
  const backendData = value.BackendData;
  if (backendData !== undefined && backendData !== null && typeof backendData !== "object") return { key: kv.key, reason: '"BackendData" is not an object' };
  return {
    subnet,
    publicIp: String(value.PublicIP),
    backendType: typeof value.BackendType === "string" ? value.BackendType : "",
    backendData: (backendData ?? null) as Record<string, unknown> | null,
    modRevision: kv.modRevision,
  };
}

const isLease = (entry: Lease | SkippedEntry): entry is Lease => "subnet" in entry;

/** The stored text of a lease, byte for byte Flannel's field order. */
export function leaseValue(request: Pick<LeaseRequest, "publicIp" | "backendType" | "backendData">): string {
  return JSON.stringify({ PublicIP: request.publicIp, PublicIPv6: null, BackendType: request.backendType, BackendData: request.backendData });
}

export class LeaseRegistry {
  constructor(
    private readonly kv: KvStore,
    readonly prefix = DEFAULT_PREFIX,
    private readonly random: () => number = Math.random,
  ) {}

  private keyOf(subnet: string): string {
    return `${this.prefix}/subnets/${subnetKeyPart(subnet)}`;
  }

  /** The network configuration; ConfigError when it is missing or unusable. */
  async config(): Promise<NetworkConfig> {
    const stored = await this.kv.get(`${this.prefix}/config`);
    if (!stored) throw new ConfigError(`no network config at ${this.prefix}/config`);
    return parseFlannelNetworkConfig(stored.value);
  }

  /** Writes the configuration unless one is there already; returns whether it wrote. */
  async initialise(configJson: string): Promise<boolean> {
    parseFlannelNetworkConfig(configJson);
    return this.kv.create(`${this.prefix}/config`, configJson, 0);
  }

  /** Every lease, the entries skipped as invalid, and the revision to watch from. */
  async list(): Promise<{ leases: Lease[]; skipped: SkippedEntry[]; revision: number }> {
    const { items, revision } = await this.kv.range(`${this.prefix}/subnets/`);
    const parsed = items.map((kv) => parseLease(kv, this.prefix));
    return { leases: parsed.filter(isLease), skipped: parsed.filter((entry): entry is SkippedEntry => !isLease(entry)), revision };
  }

  /** Takes (or keeps) a subnet for `request.publicIp`; NetworkFullError when none is free. */
  async acquire(request: LeaseRequest): Promise<Lease> {
    const config = await this.config();
    const ttl = request.ttlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    const value = leaseValue(request);
    for (let round = 0; round < 5; round++) {
      const { leases } = await this.list();
      const own = leases.find((lease) => lease.publicIp === request.publicIp && this.inRange(config, lease.subnet));
      if (own) {
        if (await this.kv.update(this.keyOf(own.subnet), value, own.modRevision, ttl)) return this.reread(own.subnet);
        continue; // changed under us: look again
      }
      const taken = new Set(leases.map((lease) => lease.subnet));
      const free = leasableSubnets(config).map((address) => formatPrefix({ address, length: config.subnetLength })).filter((subnet) => !taken.has(subnet));
      if (free.length === 0) {
        const total = leasableSubnets(config).length;
        throw new NetworkFullError(`network ${formatPrefix(config.network)} is full: all ${total} /${config.subnetLength} subnets from ${numberToIpv4(config.subnetMin)} to ${numberToIpv4(config.subnetMax)} are leased`);
      }
      const previous = request.previousSubnet && free.includes(request.previousSubnet) ? [request.previousSubnet] : [];
      const candidates = [...previous, ...this.shuffle(free).slice(0, 8)];
      for (const subnet of candidates) {
        if (await this.kv.create(this.keyOf(subnet), value, ttl)) return this.reread(subnet);
      }
    }
    throw new NetworkFullError(`could not lease a subnet of ${formatPrefix(config.network)}: every attempt lost a race; try again`);
  }

  /** Restarts the lease's TTL (renewal); false when the lease is gone. */
  async renew(lease: Lease, ttlSeconds = DEFAULT_LEASE_TTL_SECONDS): Promise<boolean> {
    return this.kv.refresh(this.keyOf(lease.subnet), ttlSeconds);
  }

  /** When the lease expires unless renewed (undefined: no TTL, or gone). */
  async expiresAt(lease: Lease): Promise<Date | undefined> {
    const at = await this.kv.expiresAt(this.keyOf(lease.subnet));
    return at === undefined ? undefined : new Date(at);
  }

  /** Gives the subnet back. */
  async revoke(lease: Lease): Promise<boolean> {
    return this.kv.delete(this.keyOf(lease.subnet));
  }

  /** Lease changes after `fromRevision`; invalid entries arrive as "skipped" events. */
  watch(fromRevision: number, onEvent: (event: LeaseEvent) => void, onError: (error: Error) => void): Watch {
    return this.kv.watch(`${this.prefix}/subnets/`, fromRevision, (event: KvEvent) => {
      if (event.type === "delete") {
        const match = /\/subnets\/(.+)-(\d+)$/.exec(event.key);
        if (match) onEvent({ type: "removed", subnet: `${match[1]}/${match[2]}`, revision: event.revision });
        return;
      }
      const parsed = parseLease({ key: event.key, value: event.value ?? "", modRevision: event.revision }, this.prefix);
      onEvent(isLease(parsed) ? { type: "added", lease: parsed, revision: event.revision } : { type: "skipped", entry: parsed, revision: event.revision });
    }, onError);
  }

  private inRange(config: NetworkConfig, subnet: string): boolean {
    const { address, length } = parsePrefix(subnet);
    return length === config.subnetLength && address >= config.subnetMin && address <= config.subnetMax;
  }

  private async reread(subnet: string): Promise<Lease> {
    const kv = await this.kv.get(this.keyOf(subnet));
    const parsed = kv ? parseLease(kv, this.prefix) : undefined;
    if (!parsed || !isLease(parsed)) throw new Error(`lease ${subnet} vanished right after it was written`);
    return parsed;
  }

  private shuffle<T>(items: T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
}
