// A peer's VTEP MAC from its backend data (BackendData.VtepMAC), checked: both VXLAN backends need it.

import type { PeerRoute, RouteFailure } from "./backend";

/** The route's VtepMAC, or undefined when its node published none that is usable. */
function vtepMacOf(route: PeerRoute): string | undefined {
  const mac = route.backendData?.VtepMAC;
  return typeof mac === "string" && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) ? mac : undefined;
}

/** Splits routes into those with a usable VtepMAC and failures naming the node for the rest. */
export function withVtepMacs(routes: PeerRoute[]): { usable: Array<{ route: PeerRoute; mac: string }>; failures: RouteFailure[] } {
  const usable: Array<{ route: PeerRoute; mac: string }> = [];
  const failures: RouteFailure[] = [];
  for (const route of routes) {
    const mac = vtepMacOf(route);
    if (mac) usable.push({ route, mac });
    else failures.push({ route, reason: "backend-data", message: `node ${route.nodeIp} (${route.prefix}) published no usable VtepMAC: ${JSON.stringify(route.backendData?.VtepMAC ?? null)}` });
  }
  return { usable, failures };
}
