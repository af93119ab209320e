// Calico's resources in podnet's store (the embedded SQLite file or etcd): one key per resource,
// <prefix>/<plural>/<name> (e.g. /podnet.io/calico/ippools/default-ipv4-ippool), holding the
// resource as JSON with its defaults filled in. Writes are compare-and-swap, like every other
// write podnet makes to the store; an entry that no longer parses is skipped with the reason.

import type { KvStore } from "../store/kv";
import { prefixContains } from "../shared/addresses";
import { KINDS, parseResource, type IPPool, type Kind, type Resource } from "./kinds";
import { ResourceError } from "./fields";

export const CALICO_PREFIX = "/podnet.io/calico";
const PUT_ATTEMPTS = 5;

interface SkippedResource {
  key: string;
  reason: string;
}

type ApplyOutcome = { kind: Kind; name: string; action: "created" | "configured" | "unchanged" };

const overlaps = (a: string, b: string) => prefixContains(a, b) || prefixContains(b, a);

export class ResourceStore {
  constructor(
    private readonly kv: KvStore,
    readonly prefix = CALICO_PREFIX,
  ) {}

  key(kind: Kind, name: string): string {
    return `${this.prefix}/${KINDS[kind].plural}/${name}`;
  }

  /** Every stored resource of `kind`, sorted by name, and the entries that did not parse. */
  async list<R extends Resource = Resource>(kind: Kind): Promise<{ resources: R[]; skipped: SkippedResource[]; revision: number }> {
    const { items, revision } = await this.kv.range(`${this.prefix}/${KINDS[kind].plural}/`);
    const resources: R[] = [];
    const skipped: SkippedResource[] = [];
    for (const item of items) {
      try {
        const resource = parseResource(JSON.parse(item.value));
        if (resource.kind !== kind || this.key(kind, resource.metadata.name) !== item.key) throw new Error(`holds ${resource.kind} ${resource.metadata.name}`);
        resources.push(resource as R);
      } catch (error) {
        skipped.push({ key: item.key, reason: (error as Error).message });
      }
    }
    resources.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    return { resources, skipped, revision };
  }

  async get<R extends Resource = Resource>(kind: Kind, name: string): Promise<R | undefined> {
    const stored = await this.kv.get(this.key(kind, name));
    return stored === undefined ? undefined : (parseResource(JSON.parse(stored.value)) as R);
  }

  /**
   * Checks every resource against the others and the store (pools may not overlap; a pool's CIDR
   * cannot change), then writes them all; a refusal writes nothing.
   */
  async apply(resources: Resource[]): Promise<ApplyOutcome[]> {
    const pools = resources.filter((resource): resource is IPPool => resource.kind === "IPPool");
    if (pools.length > 0) {
      const stored = (await this.list<IPPool>("IPPool")).resources;
      for (const pool of pools) {
        const same = stored.find((other) => other.metadata.name === pool.metadata.name);
        if (same && same.spec.cidr !== pool.spec.cidr) {
          throw new ResourceError(`IPPool ${pool.metadata.name}: spec.cidr cannot change (${same.spec.cidr} → ${pool.spec.cidr}): create a new pool and disable this one`);
        }
        const others = [...stored.filter((other) => other.metadata.name !== pool.metadata.name), ...pools.filter((other) => other !== pool)];
        const clash = others.find((other) => overlaps(other.spec.cidr, pool.spec.cidr));
        if (clash) throw new ResourceError(`IPPool ${pool.metadata.name}: ${pool.spec.cidr} overlaps IPPool ${clash.metadata.name} (${clash.spec.cidr})`);
      }
    }
    const seen = new Set<string>();
    for (const resource of resources) {
      const key = this.key(resource.kind, resource.metadata.name);
      if (seen.has(key)) throw new ResourceError(`${resource.kind} ${resource.metadata.name} is given twice`);
      seen.add(key);
    }
    const outcomes: ApplyOutcome[] = [];
    for (const resource of resources) outcomes.push({ kind: resource.kind, name: resource.metadata.name, action: await this.put(resource) });
    return outcomes;
  }

  /** Writes one resource without the cross-checks of apply (the agent's own Node, with a TTL it refreshes). */
  async put(resource: Resource, ttlSeconds = 0): Promise<ApplyOutcome["action"]> {
    const key = this.key(resource.kind, resource.metadata.name);
    const value = JSON.stringify(resource);
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const stored = await this.kv.get(key);
      if (stored === undefined) {
        if (await this.kv.create(key, value, ttlSeconds)) return "created";
      } else {
        if (stored.value === value && ttlSeconds === 0) return "unchanged";
        if (await this.kv.update(key, value, stored.modRevision, ttlSeconds)) return stored.value === value ? "unchanged" : "configured";
      }
    }
    throw new Error(`${key} kept changing under ${PUT_ATTEMPTS} attempts to write it`);
  }

  async delete(kind: Kind, name: string): Promise<boolean> {
    return this.kv.delete(this.key(kind, name));
  }
}
