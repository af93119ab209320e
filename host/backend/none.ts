// The `none` backend: programs nothing and logs what a real backend would do. Lets the control
// plane (leases, watch, reconcile) run and be tested on its own.

import type { Logger } from "pino";
import type { Lease } from "../store/leases";
import type { Backend, LocalNode } from "./backend";

export class NoneBackend implements Backend {
  readonly name = "none";
  readonly overhead = 0;
  constructor(private readonly log: Logger) {}

  async prepare(): Promise<null> {
    return null;
  }

  async setup(local: LocalNode): Promise<void> {
    this.log.info({ subnet: local.lease.subnet, publicIp: local.publicIp }, "backend none: setup (nothing to program)");
  }

  async addPeer(peer: Lease): Promise<void> {
    this.log.info({ subnet: peer.subnet, publicIp: peer.publicIp }, "backend none: would add peer");
  }

  async removePeer(peer: Lease): Promise<void> {
    this.log.info({ subnet: peer.subnet, publicIp: peer.publicIp }, "backend none: would remove peer");
  }

  async prune(): Promise<string[]> {
    return [];
  }

  async teardown(): Promise<void> {
    this.log.info("backend none: teardown (nothing to remove)");
  }
}
