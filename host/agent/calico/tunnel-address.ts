// The IPIP tunnel device's address: once an enabled pool asks for IPIP, one address of this node's
// blocks, taken from the IPAM under Calico's handle name and handed to the backend (tunl0 holds it
// as a /32, the source of what the tunnel sends).

import type { Logger } from "pino";
import type { Backend } from "../../backend/backend";
import type { BlockIpam } from "../../ipam/ipam";

/** The IPAM handle of the tunnel device's address, as Calico names it. */
const tunnelAddressHandle = (node: string) => `ipip-tunnel-addr-${node}`;

export class TunnelAddress {
  /** The address, once an enabled pool wants IPIP and the IPAM gave one. */
  address?: string;

  constructor(
    private readonly ipam: BlockIpam,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  /** Takes an address when IPIP is wanted and none is held yet; tried again at each re-read when the IPAM has none. */
  async sync(wanted: boolean, backend: Backend | undefined): Promise<void> {
    if (!wanted || this.address) return;
    let address: string;
    try {
      ({ address } = await this.ipam.assign(this.nodeName, tunnelAddressHandle(this.nodeName)));
    } catch (error) {
      // Routes through the tunnel fail (counted) until it has an address.
      this.log.warn({ error: (error as Error).message }, "IPIP: no address for the tunnel device yet");
      return;
    }
    this.address = address;
    await backend?.useTunnelAddress?.(address);
    this.log.info({ address }, `IPIP: the tunnel device holds ${address} (IPAM handle ${tunnelAddressHandle(this.nodeName)})`);
  }
}
