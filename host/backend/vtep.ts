// A peer's VTEP MAC from its lease (BackendData.VtepMAC), checked: both VXLAN backends need it.

import type { Lease } from "../store/leases";

/** The peer's VtepMAC; throws naming the peer when its lease has none that is usable. */
export function vtepMacOf(peer: Lease): string {
  const mac = peer.backendData?.VtepMAC;
  if (typeof mac !== "string" || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) {
    throw new Error(`peer ${peer.publicIp} (${peer.subnet}) has no usable VtepMAC in its lease`);
  }
  return mac;
}
