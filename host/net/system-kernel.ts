// Which Kernel changes this node's state: rtnetlink in process (the default) or iproute2, the
// fallback kept for one release (`podnet agent --kernel ip`, or PODNET_KERNEL=ip for the CNI
// plugin run by a runtime). Chosen once per process, before anything is changed.

import { iproute2Kernel, type Kernel } from "./kernel";
import { NetlinkKernel } from "./netlink-kernel";

export const KERNEL_INTERFACES = ["netlink", "ip"] as const;
export type KernelInterface = (typeof KERNEL_INTERFACES)[number];

/** The environment variable that picks the interface where no flag can (the CNI plugin). */
export const KERNEL_VARIABLE = "PODNET_KERNEL";

function parseKernelInterface(value: string, where: string): KernelInterface {
  if ((KERNEL_INTERFACES as readonly string[]).includes(value)) return value as KernelInterface;
  throw new Error(`${where} must be one of ${KERNEL_INTERFACES.join(", ")}, not "${value}"`);
}

let chosen: KernelInterface | undefined;
let netlink: NetlinkKernel | undefined;

/** Sets the interface for this process (the agent's --kernel flag). */
export function chooseKernelInterface(choice: KernelInterface): void {
  chosen = choice;
}

/** The interface in use: as chosen, else from PODNET_KERNEL, else netlink. */
function kernelInterface(): KernelInterface {
  chosen ??= parseKernelInterface(process.env[KERNEL_VARIABLE] ?? "netlink", KERNEL_VARIABLE);
  return chosen;
}

/** The Kernel of this process's choice. */
export function systemKernel(): Kernel {
  if (kernelInterface() === "ip") return iproute2Kernel;
  netlink ??= new NetlinkKernel();
  return netlink;
}
