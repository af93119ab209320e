// The backends in one table (no registration by side effect): name → constructor.

import type { Logger } from "pino";
import type { Backend } from "./backend";
import { HostGatewayBackend } from "./host-gw";
import { NoneBackend } from "./none";
import { VxlanBackend } from "./vxlan";

const BACKENDS: Record<string, (log: Logger) => Backend> = {
  none: (log) => new NoneBackend(log),
  "host-gw": (log) => new HostGatewayBackend(log),
  vxlan: (log) => new VxlanBackend(log),
};

/** Names of the backends in this build. */
export const BACKEND_NAMES = Object.keys(BACKENDS);

/** The backend called `name`; the error lists the ones there are. */
export function createBackend(name: string, log: Logger): Backend {
  const create = BACKENDS[name];
  if (!create) throw new Error(`backend '${name}' is not in this build (there are: ${BACKEND_NAMES.join(", ")})`);
  return create(log);
}
