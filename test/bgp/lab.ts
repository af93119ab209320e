// A BGP lab for root-only suites: node namespaces on one L2 segment (a bridge in a hub namespace),
// addresses 198.18.0.<n>/24, and the speakers that run in them — podnet's (`podnet bgp serve`) and
// BIRD 2 with its own config, control socket and PID file. Everything is removed by
// cleanupNamespaces (processes by PID) and by the lab's own stop().

import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest } from "../../host/bgp/control";
import type { PeerStatus, RouteStatus } from "../../host/bgp/status";
import { distPath, repositoryRoot } from "../helpers/paths";
import { createNamespace, spawnIn } from "../netns/namespaces";

export interface LabNode {
  namespace: string;
  address: string;
}

export interface Lab {
  nodes: LabNode[];
  /** The namespace holding the segment's bridge (br0). */
  hub: string;
  directory: string;
  remove(): void;
}

let labs = 0;

/** `count` namespaces with eth0 = 198.18.0.1 … 198.18.0.<count>, all on one bridge. */
export function createLab(name: string, count: number): Lab {
  const index = labs++;
  const hub = createNamespace(`${name}-hub`);
  execFileSync("ip", ["-n", hub, "link", "add", "br0", "type", "bridge"]);
  execFileSync("ip", ["-n", hub, "link", "set", "br0", "up"]);
  const nodes: LabNode[] = [];
  for (let i = 1; i <= count; i++) {
    const namespace = createNamespace(`${name}-${i}`);
    const address = `198.18.0.${i}`;
    const outer = `l${index}n${i}`;
    execFileSync("ip", ["-n", hub, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", namespace]);
    execFileSync("ip", ["-n", hub, "link", "set", outer, "master", "br0", "up"]);
    execFileSync("ip", ["-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0"]);
    execFileSync("ip", ["-n", namespace, "link", "set", "eth0", "up"]);
    nodes.push({ namespace, address });
  }
  const directory = mkdtempSync(join(tmpdir(), "podnet-bgp-"));
  return { nodes, hub, directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

export interface RunningSpeaker {
  process: ChildProcess;
  control: string;
  output(): string;
  peers(): Promise<PeerStatus[]>;
  routes(prefix?: string): Promise<RouteStatus[]>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function collectOutput(child: ChildProcess): () => string {
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

let speakers = 0;

/** Runs `podnet bgp serve` in `node`'s namespace with `args` (plus a control socket of its own). */
export function startPodnetSpeaker(lab: Lab, node: LabNode, args: string[]): RunningSpeaker {
  const control = join(lab.directory, `podnet-${speakers++}.ctl`);
  const child = spawnIn(node.namespace, distPath("podnet"), ["bgp", "serve", "--router-id", node.address, "--control", control, "--log-format", "json", ...args]);
  const output = collectOutput(child);
  return {
    process: child,
    control,
    output,
    peers: async () => (await controlRequest(control, { command: "peers" })) as PeerStatus[],
    routes: async (prefix?: string) => (await controlRequest(control, { command: "routes", prefix })) as RouteStatus[],
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
  };
}

export interface RunningBird {
  process: ChildProcess;
  socket: string;
  output(): string;
  /** `birdc -s SOCKET args…` output. */
  birdc(...args: string[]): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

let birds = 0;

/** Runs BIRD 2 in `node`'s namespace with `config` (its own socket and PID file), in the foreground. */
export function startBird(lab: Lab, node: LabNode, config: string): RunningBird {
  const id = birds++;
  const configFile = join(lab.directory, `bird-${id}.conf`);
  const socket = join(lab.directory, `bird-${id}.ctl`);
  writeFileSync(configFile, config);
  const child = spawnIn(node.namespace, "bird", ["-f", "-c", configFile, "-s", socket, "-P", join(lab.directory, `bird-${id}.pid`)]);
  const output = collectOutput(child);
  return {
    process: child,
    socket,
    output,
    birdc: (...args: string[]) => execFileSync("birdc", ["-s", socket, ...args], { encoding: "utf8" }),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
  };
}

/** A BIRD config in Calico's shape: one template with its options, a static blackhole per prefix we own. */
export function calicoBirdConfig(options: { routerId: string; localAs: number; neighbors: Array<{ address: string; as: number; password?: string; extra?: string }>; owned: string[]; passive?: boolean }): string {
  const neighbors = options.neighbors
    .map(
      (neighbor, i) => `protocol bgp peer${i + 1} from calico_template {
  neighbor ${neighbor.address} as ${neighbor.as};
${neighbor.password ? `  password "${neighbor.password}";\n` : ""}${options.passive ? "  passive on;\n" : ""}${neighbor.extra ?? ""}}`,
    )
    .join("\n");
  return `router id ${options.routerId};
log stderr all;
protocol device { scan time 2; }
protocol direct { ipv4; interface "eth0"; }
protocol static {
  ipv4;
${options.owned.map((prefix) => `  route ${prefix} blackhole;`).join("\n")}
}
filter pods { if net ~ [ 10.244.0.0/16+, 10.96.0.0/12+ ] then accept; reject; }
template bgp calico_template {
  local as ${options.localAs};
  ipv4 { import all; export filter pods; gateway recursive; add paths on; };
  graceful restart;
  connect delay time 2;
  connect retry time 5;
  error wait time 5,30;
}
${neighbors}
`;
}

/**
 * Polls the async `condition` every 100 ms until it holds or `milliseconds` pass; throws `what`
 * then (with the condition's last error: a speaker still starting has no control socket yet).
 */
export async function waitUntil(condition: () => Promise<boolean> | boolean, milliseconds: number, what: string): Promise<void> {
  const deadline = Date.now() + milliseconds;
  let lastError = "";
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = ` (last: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}${lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** BIRD's routes for `prefix` in `show route all` text ("" when it has none). */
export function birdRoute(bird: RunningBird, prefix: string): string {
  // birdc exits non-zero for "Network not found"; that is an answer here, not a failure.
  const result = spawnSync("birdc", ["-s", bird.socket, "show", "route", prefix, "all"], { encoding: "utf8" });
  if (result.stdout.includes("Network not found")) return "";
  if (result.status !== 0) throw new Error(`birdc show route ${prefix}: ${result.stdout}${result.stderr}`);
  return result.stdout.includes(prefix) ? result.stdout : "";
}

type WireEvent = { event: "connected" } | { event: "listening" } | { event: "accepted"; at: number } | { event: "message"; hex: string } | { event: "closed" } | { event: "error"; message: string };

/** The test's end of wire-peer.ts: raw bytes out, whole BGP messages back. */
export class WirePeer {
  private readonly events: WireEvent[] = [];
  private wake?: () => void;
  readonly process: ChildProcess;

  constructor(node: LabNode) {
    this.process = spawnIn(node.namespace, process.execPath, ["--import", "tsx", join(repositoryRoot, "test/bgp/wire-peer.ts")]);
    let pending = "";
    this.process.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        this.events.push(JSON.parse(pending.slice(0, newline)) as WireEvent);
        pending = pending.slice(newline + 1);
        this.wake?.();
      }
    });
  }

  private command(command: object): void {
    this.process.stdin!.write(JSON.stringify(command) + "\n");
  }

  /** The next event, or throws after `milliseconds`. */
  async next(milliseconds = 5000): Promise<WireEvent> {
    const deadline = Date.now() + milliseconds;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`wire peer: nothing within ${milliseconds} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.shift()!;
  }

  /** Events that arrived and were not taken yet. */
  pending(): WireEvent[] {
    return this.events.splice(0);
  }

  async connect(host: string, port = 179): Promise<void> {
    this.command({ op: "connect", host, port });
    // What is still queued belongs to the previous connection (its "closed" may arrive late).
    for (;;) {
      const event = await this.next();
      if (event.event === "connected") return;
      if (event.event === "error") throw new Error(`wire peer: ${event.message}`);
    }
  }

  /** Listens on host:port; connections are announced as "accepted" events. */
  async listen(host: string, port = 179): Promise<void> {
    this.command({ op: "listen", host, port });
    const event = await this.next();
    if (event.event !== "listening") throw new Error(`wire peer: could not listen: ${JSON.stringify(event)}`);
  }

  send(bytes: Uint8Array | string): void {
    this.command({ op: "send", hex: typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("hex") });
  }

  /** The next whole message (hex), or throws if the connection closed first. */
  async message(milliseconds = 5000): Promise<string> {
    const event = await this.next(milliseconds);
    if (event.event !== "message") throw new Error(`wire peer: expected a message, got ${JSON.stringify(event)}`);
    return event.hex;
  }

  close(): void {
    this.command({ op: "close" });
  }

  stop(): void {
    this.process.kill("SIGTERM");
  }
}
