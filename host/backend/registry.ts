// The backends in one table (no registration by side effect): name → constructor.

import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import type { Logger } from "pino";
import type { AgentMetrics } from "../agent/metrics";
import type { Backend } from "./backend";
import { HostGatewayBackend } from "./host-gw";
import { NoneBackend } from "./none";
import { FLANNEL_UDP, USERSPACE_VXLAN, UserspaceBackend } from "./userspace";
import { VxlanBackend } from "./vxlan";

export interface BackendContext {
  log: Logger;
  metrics: AgentMetrics;
  /** --userspace: VXLAN through TUN and the Wasm core even when the kernel has a VTEP. */
  userspace: boolean;
  /** Whether the kernel can make VXLAN devices; probed when not given. */
  kernelHasVxlan?: () => boolean;
}

/** True when the vxlan module is loaded or loads (what `ip link add … type vxlan` would need). */
export function kernelHasVxlan(): boolean {
  if (existsSync("/sys/module/vxlan")) return true;
  try {
    execFileSync("modprobe", ["-q", "vxlan"], { stdio: "ignore" });
    return existsSync("/sys/module/vxlan");
  } catch {
    return false;
  }
}

const BACKENDS: Record<string, (context: BackendContext) => Backend> = {
  none: ({ log }) => new NoneBackend(log),
  "host-gw": ({ log }) => new HostGatewayBackend(log),
  vxlan: (context) => {
    if (context.userspace) return new UserspaceBackend(USERSPACE_VXLAN, context.log, context.metrics);
    if (!(context.kernelHasVxlan ?? kernelHasVxlan)()) {
      context.log.warn("the kernel has no vxlan module: running VXLAN in userspace (TUN + Wasm), wire-compatible with kernel VTEPs");
      return new UserspaceBackend(USERSPACE_VXLAN, context.log, context.metrics);
    }
    return new VxlanBackend(context.log);
  },
  udp: ({ log, metrics }) => new UserspaceBackend(FLANNEL_UDP, log, metrics),
};

/** Names of the backends in this build. */
export const BACKEND_NAMES = Object.keys(BACKENDS);

/** The backend called `name`; the error lists the ones there are. */
export function createBackend(name: string, context: BackendContext): Backend {
  const create = BACKENDS[name];
  if (!create) throw new Error(`backend '${name}' is not in this build (there are: ${BACKEND_NAMES.join(", ")})`);
  return create(context);
}
