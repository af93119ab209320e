// A Kernel that changes nothing: it records every change it is given (as its command line),
// answers reads from what it was told, and refuses the commands a test names — the CNI plugin's and the backends' kernel
// boundary for unit tests that need no root and no namespace.
import { commandLine, type KernelChange } from "../../host/net/changes";
import type { Kernel, KernelFailure } from "../../host/net/kernel";
import type { LinkState, RouteState } from "../../host/net/state";

export interface AppliedBatch {
  /** The changes as the command lines that stand for them. */
  commands: string[];
  netns?: string;
}

export class FakeKernel implements Kernel {
  readonly batches: AppliedBatch[] = [];
  readonly sysctls: Array<[string, string]> = [];
  /** Links that exist, for linkExists and reads. */
  readonly devices = new Map<string, LinkState>();
  /** The main table, for routes(). */
  routeTable: RouteState[] = [];
  /** Answers to routeTo by address. */
  readonly routesTo = new Map<string, { gateway?: string; dev?: string }>();
  /** The message for a command the kernel refuses (matched against the command text), or undefined. */
  refuse: (command: string, netns?: string) => string | undefined = () => undefined;

  async apply(changes: KernelChange[], netns?: string): Promise<KernelFailure[]> {
    return this.record({ commands: changes.map(commandLine), netns });
  }

  async link(name: string): Promise<LinkState | undefined> {
    return this.devices.get(name);
  }

  async links(kind?: string): Promise<LinkState[]> {
    return [...this.devices.values()].filter((link) => kind === undefined || link.linkinfo?.info_kind === kind);
  }

  async routes(): Promise<RouteState[]> {
    return this.routeTable;
  }

  async routeTo(address: string): Promise<{ gateway?: string; dev?: string } | undefined> {
    return this.routesTo.get(address);
  }

  async permanentNeighbours(): Promise<Array<{ dst: string }>> {
    return [];
  }

  async fdb(): Promise<Array<{ mac: string; dst?: string }>> {
    return [];
  }

  async writeSysctl(path: string, value: string): Promise<void> {
    this.sysctls.push([path, value]);
  }

  async linkExists(name: string): Promise<boolean> {
    return this.devices.has(name);
  }

  /** Every command applied so far, in order, with its namespace when not the node's. */
  commands(): string[] {
    return this.batches.flatMap((batch) => batch.commands.map((command) => (batch.netns ? `[${batch.netns}] ${command}` : command)));
  }

  private record(batch: AppliedBatch): KernelFailure[] {
    this.batches.push(batch);
    const failures: KernelFailure[] = [];
    batch.commands.forEach((command, index) => {
      const message = this.refuse(command, batch.netns);
      if (message) failures.push({ index, command, message });
    });
    return failures;
  }
}
