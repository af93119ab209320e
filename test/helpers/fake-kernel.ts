// A Kernel that changes nothing: it records every command it is given, answers reads from what it
// was told, and refuses the commands a test names — the CNI plugin's and the backends' kernel
// boundary for unit tests that need no root and no namespace.
import { commandLine, type KernelChange } from "../../host/net/changes";
import type { Kernel, KernelFailure } from "../../host/net/kernel";

export interface AppliedBatch {
  /** The changes as the command lines that stand for them. */
  commands: string[];
  netns?: string;
}

export class FakeKernel implements Kernel {
  readonly batches: AppliedBatch[] = [];
  readonly sysctls: Array<[string, string]> = [];
  /** Links that exist, for linkExists and reads. */
  readonly links = new Map<string, { ifname: string; address: string; mtu: number; flags: string[] }>();
  /** Answers to reads by their arguments joined with spaces (e.g. "route get 198.18.1.3"). */
  readonly answers = new Map<string, unknown>();
  /** The message for a command the kernel refuses (matched against the command text), or undefined. */
  refuse: (command: string, netns?: string) => string | undefined = () => undefined;

  async apply(changes: KernelChange[], netns?: string): Promise<KernelFailure[]> {
    return this.record({ commands: changes.map(commandLine), netns });
  }

  async read<T>(args: string[]): Promise<T> {
    const answer = this.answers.get(args.join(" "));
    if (answer !== undefined) return answer as T;
    const device = args[args.indexOf("dev") + 1];
    if (args.includes("dev")) {
      const link = this.links.get(device);
      if (!link) throw new Error(`Device "${device}" does not exist.`);
      return [link] as T;
    }
    return [] as T;
  }

  async readBridge<T>(): Promise<T> {
    return [] as T;
  }

  async writeSysctl(path: string, value: string): Promise<void> {
    this.sysctls.push([path, value]);
  }

  async linkExists(name: string): Promise<boolean> {
    return this.links.has(name);
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
