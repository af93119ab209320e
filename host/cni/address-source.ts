// Where a pod's address comes from; the plugin asks only this. Flannel mode: the node's subnet
// lease (lease-source.ts); Calico mode: the node's blocks (block-source.ts); address-sources.ts
// picks one for a network config.

import type { Environment } from "./environment";
import type { PodAddressing } from "./pod-link";

export interface AddressSource {
  /** Reserves an address for the attachment; CNI code 11 while there is nowhere to take one from. */
  allocate(environment: Environment): Promise<PodAddressing>;
  /** Releases the attachment's address; nothing to release is fine (DEL is idempotent). */
  release(environment: Environment): Promise<void>;
  /** Whether the attachment still holds `address` (CHECK). */
  holds(environment: Environment, address: string): Promise<boolean>;
  /** STATUS: throws CNI code 50 while no address could be handed out. */
  checkAvailable(): Promise<void>;
  /** GC: frees what belongs to no attachment in `keep` (attachment keys). */
  collect(keep: Set<string>): Promise<void>;
}
