// The agent's modes in one table, as backend/registry.ts is one of backends: per mode, its control
// plane, the backends it takes, where the CNI plugin's addresses come from, the pods' MTU and the
// servers it adds to the shell's. `podnet agent` reads flags and asks this table; a new mode is a
// new row (and its control plane's files), never a branch in the shell.

import type { Logger } from "pino";
import type { Server } from "node:net";
import { canonicalBackendName } from "../backend/registry";
import { ROUTED_TUNNEL_OVERHEAD } from "../backend/routed";
import { serveControl } from "../bgp/control";
import { socketTransport } from "../bgp/socket-options";
import type { NodeIpam } from "../cni/block-source";
import { detectInterface } from "../net/detect";
import { nameRouteProtocol } from "../net/ip";
import type { KvStore } from "../store/kv";
import { CalicoControlPlane } from "./calico/control-plane";
import type { ControlPlane } from "./control-plane";
import { FlannelControlPlane } from "./flannel";
import type { AgentMetrics } from "./metrics";

/** What every mode is given: the shell's store, log and metrics, this node, and the mode's own flags. */
interface ModeSetup {
  store: KvStore;
  log: Logger;
  metrics: AgentMetrics;
  publicIp: string;
  interfaceName: string;
  underlayMtu: number;
  flannel: { prefix: string; subnetFile: string; ipMasquerade: boolean; networkConfig?: string; leaseTtlSeconds: number };
  calico: {
    prefix: string; nodeName: string; nodeTtlSeconds: number; emptyBlockGraceSeconds: number; gracefulRestartSeconds: number;
    leakGraceSeconds: number; bgpControl: string; rtProtosDir: string;
  };
}

/** A mode, made: its control plane and what the shell serves for it. */
interface RunningMode {
  plane: ControlPlane;
  /** The agent's block IPAM for the CNI plugin, in modes that hand out addresses from blocks. */
  nodeIpam?: NodeIpam;
  /** Servers this mode adds once the agent runs (Calico: the BGP control socket); resolves with how to close them. */
  serve(): Promise<() => void>;
}

export interface Mode {
  /** Why `--backend NAME` does not fit this mode, or undefined when it does. */
  backendProblem(name: string): string | undefined;
  make(setup: ModeSetup): RunningMode;
}

const nothingToServe = async () => () => undefined;

const flannel: Mode = {
  backendProblem: (name) => (canonicalBackendName(name) === "routed" ? `--backend ${name} is Calico mode's: run the agent with --mode calico` : undefined),
  make: ({ store, log, metrics, publicIp, underlayMtu, flannel: options }) => ({
    plane: new FlannelControlPlane({
      store, prefix: options.prefix, publicIp, subnetFile: options.subnetFile, underlayMtu, ipMasquerade: options.ipMasquerade,
      networkConfig: options.networkConfig, leaseTtlSeconds: options.leaseTtlSeconds, log, metrics,
    }),
    serve: nothingToServe,
  }),
};

const calico: Mode = {
  backendProblem: (name) =>
    canonicalBackendName(name) === "routed" ? undefined : `--backend ${name}: Calico mode routes by BGP (backend routed); IPIP comes with the IPPool's ipipMode`,
  make: (setup) => {
    const { store, log, metrics, publicIp, interfaceName, underlayMtu, calico: options } = setup;
    // Asked again until it answers: an address not (yet) on the interface makes the agent wait, not exit.
    const ipv4Address = () => {
      const prefixLength = detectInterface(interfaceName, false, publicIp).prefixLength;
      if (prefixLength === undefined) throw new Error(`${publicIp} is not an address of ${interfaceName}, so its prefix length is unknown`);
      return `${publicIp}/${prefixLength}`;
    };
    const plane = new CalicoControlPlane({
      kv: store, prefix: options.prefix, nodeName: options.nodeName, publicIp, ipv4Address,
      nodeTtlSeconds: options.nodeTtlSeconds, emptyBlockGraceSeconds: options.emptyBlockGraceSeconds,
      gracefulRestartSeconds: options.gracefulRestartSeconds, leakGraceSeconds: options.leakGraceSeconds,
      log, transport: socketTransport(log), onSkippedEntry: () => metrics.skippedEntries.inc(),
    });
    if (options.rtProtosDir !== "none") {
      try {
        log.info({ file: nameRouteProtocol(options.rtProtosDir) }, "route protocol 107 named podnet for ip route");
      } catch (error) {
        log.warn({ error: (error as Error).message }, `cannot name route protocol 107 in ${options.rtProtosDir}: ip route shows it as 107`);
      }
    }
    // Pods give up the tunnel's bytes once a pool asks for IPIP: the routed backend says how many.
    // Not asked of the agent's backend object: the CNI socket serves ADDs before the agent has one.
    const podMtu = () => underlayMtu - (plane.encapsulates ? ROUTED_TUNNEL_OVERHEAD : 0);
    return {
      plane,
      nodeIpam: { ipam: plane.ipam, node: options.nodeName, podMtu },
      serve: async () => {
        if (!plane.speaker) return () => undefined;
        const server: Server = await serveControl(plane.speaker, options.bgpControl, { kindOf: (address) => plane.peerKinds.get(address) });
        log.info({ control: options.bgpControl }, "serving the BGP control socket");
        return () => server.close();
      },
    };
  },
};

export const MODES = { flannel, calico } as const;

export type ModeName = keyof typeof MODES;
export const MODE_NAMES = Object.keys(MODES) as ModeName[];
