// The backends in one table (no registration by side effect): name → constructor, and the
// network config's Backend keys each one honours (any other key is refused by name).

import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import type { Logger } from "pino";
import type { Kernel } from "../net/kernel";
import { BackendConfigError, type Backend, type BackendMetrics, type BackendSettings } from "./backend";
import { BACKEND_KEYS } from "./flannel-wire";
import { HostGatewayBackend } from "./host-gw";
import { KernelIpipTunnel, UserspaceIpipTunnel, type IpipTunnel } from "./ipip";
import { RoutedBackend } from "./routed";
import { NoneBackend } from "./none";
import { USERSPACE_UDP, USERSPACE_VXLAN, UserspaceBackend } from "./userspace";
import { VxlanBackend } from "./vxlan";

export interface BackendContext {
  log: Logger;
  metrics: BackendMetrics;
  kernel: Kernel;
  /** --userspace: VXLAN (or Calico's IPIP) through TUN and the Wasm core even when the kernel has the device. */
  userspace: boolean;
  /** False (--no-offload): the userspace data path goes packet by packet, without TUN offload. */
  offload?: boolean;
  /** The network config's Backend settings (VNI, Port), checked by backendSettings. */
  settings?: BackendSettings;
  /** Whether the kernel can make VXLAN devices; probed when not given. */
  kernelHasVxlan?: () => boolean;
  /** Whether the kernel has IPIP (tunl0); probed when not given. */
  kernelHasIpip?: () => boolean;
}

/** True when kernel module `name` is loaded or loads (what `ip link add … type <name>` would need). */
function kernelHasModule(name: string): boolean {
  if (existsSync(`/sys/module/${name}`)) return true;
  try {
    execFileSync("modprobe", ["-q", name], { stdio: "ignore" });
    return existsSync(`/sys/module/${name}`);
  } catch {
    return false;
  }
}

export const kernelHasVxlan = () => kernelHasModule("vxlan");
export const kernelHasIpip = () => kernelHasModule("ipip");

/** Calico's IPIP tunnel: the kernel's tunl0, or TUN + Wasm where the kernel has no ipip (or --userspace). */
function ipipTunnel(context: BackendContext): IpipTunnel {
  if (context.userspace) return new UserspaceIpipTunnel(context.log, context.kernel, context.metrics, context.offload);
  if (!(context.kernelHasIpip ?? kernelHasIpip)()) {
    context.log.warn("the kernel has no ipip module: running IPIP in userspace (TUN + Wasm + raw socket), wire-compatible with the kernel's tunl0");
    return new UserspaceIpipTunnel(context.log, context.kernel, context.metrics, context.offload);
  }
  return new KernelIpipTunnel(context.log, context.kernel);
}

const userspace = (flavour: typeof USERSPACE_VXLAN, context: BackendContext) =>
  new UserspaceBackend(flavour, context.log, context.kernel, context.metrics, { settings: context.settings, offload: context.offload });

const BACKENDS: Record<string, (context: BackendContext) => Backend> = {
  none: ({ log }) => new NoneBackend(log),
  "host-gw": ({ log, kernel }) => new HostGatewayBackend(log, kernel),
  vxlan: (context) => {
    if (context.userspace) return userspace(USERSPACE_VXLAN, context);
    if (!(context.kernelHasVxlan ?? kernelHasVxlan)()) {
      context.log.warn("the kernel has no vxlan module: running VXLAN in userspace (TUN + Wasm), wire-compatible with kernel VTEPs");
      return userspace(USERSPACE_VXLAN, context);
    }
    return new VxlanBackend(context.log, context.kernel, context.settings);
  },
  udp: (context) => userspace(USERSPACE_UDP, context),
  routed: (context) => new RoutedBackend(context.log, context.kernel, () => ipipTunnel(context)),
};

/** Older names still accepted for one release: Calico's plain routes were backend "bgp". */
const ALIASES: Record<string, string> = { bgp: "routed" };

/** Names of the backends in this build. */
export const BACKEND_NAMES = Object.keys(BACKENDS);
/** Older names still taken (--backend, a network config's Backend.Type). */
export const BACKEND_ALIASES = Object.keys(ALIASES);

/** The name `name` stands for (an alias's backend, or itself). */
export function canonicalBackendName(name: string): string {
  return ALIASES[name] ?? name;
}

/** The backend called `name` (or an alias of it); the error lists the ones there are. */
export function createBackend(name: string, context: BackendContext): Backend {
  const create = BACKENDS[canonicalBackendName(name)];
  if (!create) throw new Error(`backend '${name}' is not in this build (there are: ${BACKEND_NAMES.join(", ")})`);
  return create(context);
}

/**
 * The settings in a network config's Backend object for backend `name`: VNI (1–16777215) and Port
 * (1–65535) where that backend has them, as Flannel reads them; any key the backend does not
 * honour is refused by name rather than silently ignored.
 */
export function backendSettings(name: string, backend: Record<string, unknown>): BackendSettings {
  const known = BACKEND_KEYS[name] ?? ["Type"];
  const unknown = Object.keys(backend).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new BackendConfigError(`network config Backend.${unknown[0]} is not supported by podnet's ${name} backend (it takes ${known.join(", ")})`);
  }
  const whole = (key: string, low: number, high: number) => {
    const value = backend[key];
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || (value as number) < low || (value as number) > high) throw new BackendConfigError(`network config Backend.${key} ${JSON.stringify(value)} must be a whole number from ${low} to ${high}`);
    return value as number;
  };
  return { vni: whole("VNI", 1, 0xffffff), port: whole("Port", 1, 65535) };
}
