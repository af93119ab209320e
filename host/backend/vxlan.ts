// Kernel VXLAN, configured exactly as Flannel's vxlan backend does, so Flannel and podnet nodes
// share a cluster: device flannel.1 (VNI 1 and UDP 8472 unless the network config's Backend says
// otherwise, local = public IP, nolearning, MTU of the underlay less 50) with the subnet's .0 as a
// /32, its MAC published as VtepMAC. Per peer, in this order: a permanent neighbour (peer's .0 →
// its VtepMAC), an FDB entry (VtepMAC → peer's public IP), then the route
// `<prefix> via <prefix>.0 dev flannel.1 onlink` — the route last, or the kernel would ARP for the
// gateway. Each step is one batch for all peers that reached it; a peer whose step failed has its
// earlier steps undone. Removal tries all three and never stops early.

import type { Logger } from "pino";
import { numberToIpv4, parsePrefix } from "../shared/addresses";
import { bridgeCommands, deleteRoutesExcept, ipCommands } from "../net/ip";
import { applyOrThrow, isAlreadyGone, KernelError, type Kernel, type KernelFailure } from "../net/kernel";
import type { Backend, BackendSettings, LocalNode, PeerRoute, RouteFailure } from "./backend";
import { FLANNEL_VXLAN } from "./flannel-wire";
import { withVtepMacs } from "./vtep";

const DEVICE = FLANNEL_VXLAN.device;

/** The prefix's first address (.0): the VTEP's own address in Flannel's layout. */
const vtepAddress = (prefix: string) => numberToIpv4(parsePrefix(prefix).address);

interface Step {
  route: PeerRoute;
  mac: string;
  gateway: string;
}

export class VxlanBackend implements Backend {
  readonly name = "vxlan";
  readonly overhead = FLANNEL_VXLAN.overhead;
  readonly kernelDevice = DEVICE;
  private readonly vni: number;
  private readonly port: number;
  /** The VTEP's MAC once made: a device made again gets it back, so the lease's VtepMAC stays true. */
  private mac: string | undefined;

  constructor(private readonly log: Logger, private readonly kernel: Kernel, settings: BackendSettings = {}) {
    this.vni = settings.vni ?? FLANNEL_VXLAN.vni;
    this.port = settings.port ?? FLANNEL_VXLAN.port;
  }

  async prepare(node: { publicIp: string; interfaceName: string }): Promise<Record<string, unknown>> {
    const underlay = await this.kernel.link(node.interfaceName);
    if (!underlay) throw new KernelError([{ index: 0, command: `link ${node.interfaceName}`, message: "the underlay interface does not exist" }]);
    const existing = await this.kernel.link(DEVICE);
    const data = existing?.linkinfo?.info_data;
    const matches = existing?.linkinfo?.info_kind === "vxlan" && data?.id === this.vni && data?.port === this.port && data?.local === node.publicIp;
    if (existing && !matches) {
      this.log.warn({ device: DEVICE }, "existing VXLAN device has another configuration; recreating it");
      await applyOrThrow(this.kernel, [ipCommands.linkDelete(DEVICE)]);
    }
    if (!matches) await applyOrThrow(this.kernel, [ipCommands.vxlanAdd(DEVICE, this.vni, node.publicIp, node.interfaceName, this.port, this.mac)]);
    await applyOrThrow(this.kernel, [ipCommands.linkMtuUp(DEVICE, underlay.mtu - this.overhead)]);
    const device = await this.kernel.link(DEVICE);
    this.mac = device!.address;
    return { VNI: this.vni, VtepMAC: device!.address };
  }

  async setup(local: LocalNode): Promise<void> {
    await this.kernel.writeSysctl("net/ipv4/ip_forward", "1");
    await applyOrThrow(this.kernel, [ipCommands.addressReplace(`${local.tunnelAddress}/32`, DEVICE)]);
  }

  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const { usable, failures } = withVtepMacs(routes);
    const steps: Step[] = usable.map(({ route, mac }) => ({ route, mac, gateway: vtepAddress(route.prefix) }));
    const failed = (step: Step, failure: KernelFailure) => failures.push({ route: step.route, reason: "kernel", message: `${failure.command}: ${failure.message}` });

    const neighbourFailures = await this.kernel.apply(steps.map((step) => ipCommands.neighbourReplace(step.gateway, step.mac, DEVICE)));
    for (const failure of neighbourFailures) failed(steps[failure.index], failure);
    const withNeighbour = without(steps, neighbourFailures);

    const fdbFailures = await this.kernel.apply(withNeighbour.map((step) => bridgeCommands.fdbReplace(step.mac, DEVICE, step.route.nodeIp)));
    for (const failure of fdbFailures) failed(withNeighbour[failure.index], failure);
    const withFdb = without(withNeighbour, fdbFailures);

    const routeFailures = await this.kernel.apply(withFdb.map((step) => ipCommands.routeReplace(step.route.prefix, step.gateway, DEVICE, true)));
    for (const failure of routeFailures) failed(withFdb[failure.index], failure);

    // Undo the earlier steps of every peer that did not get its route.
    const undoFdb = routeFailures.map((failure) => withFdb[failure.index]);
    const undoNeighbour = [...fdbFailures.map((failure) => withNeighbour[failure.index]), ...undoFdb];
    await this.kernel.apply(undoFdb.map((step) => bridgeCommands.fdbDelete(step.mac, DEVICE)));
    await this.kernel.apply(undoNeighbour.map((step) => ipCommands.neighbourDelete(step.gateway, DEVICE)));
    return failures;
  }

  async removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    const failures: RouteFailure[] = [];
    const collect = (list: PeerRoute[], refused: KernelFailure[]) => {
      for (const failure of refused) if (!isAlreadyGone(failure)) failures.push({ route: list[failure.index], reason: "kernel", message: `${failure.command}: ${failure.message}` });
    };
    collect(routes, await this.kernel.apply(routes.map((route) => ipCommands.routeDelete(route.prefix))));
    const { usable } = withVtepMacs(routes);
    collect(usable.map((entry) => entry.route), await this.kernel.apply(usable.map((entry) => bridgeCommands.fdbDelete(entry.mac, DEVICE))));
    collect(routes, await this.kernel.apply(routes.map((route) => ipCommands.neighbourDelete(vtepAddress(route.prefix), DEVICE))));
    return failures;
  }

  async prune(keep: PeerRoute[]): Promise<string[]> {
    const removed = await deleteRoutesExcept(this.kernel, new Set(keep.map((route) => route.prefix)), DEVICE);
    const gateways = new Set(keep.map((route) => vtepAddress(route.prefix)));
    const staleNeighbours = (await this.kernel.permanentNeighbours(DEVICE)).filter((entry) => !gateways.has(entry.dst));
    await this.kernel.apply(staleNeighbours.map((entry) => ipCommands.neighbourDelete(entry.dst, DEVICE)));
    removed.push(...staleNeighbours.map((entry) => `neighbour ${entry.dst}`));
    const macs = new Set(keep.map((route) => String(route.backendData?.VtepMAC).toLowerCase()));
    const staleFdb = (await this.kernel.fdb(DEVICE)).filter((entry) => entry.dst && !macs.has(entry.mac.toLowerCase()));
    await this.kernel.apply(staleFdb.map((entry) => bridgeCommands.fdbDelete(entry.mac, DEVICE, entry.dst)));
    removed.push(...staleFdb.map((entry) => `fdb ${entry.mac} → ${entry.dst}`));
    return removed;
  }

  async teardown(): Promise<void> {
    this.log.info({ device: DEVICE }, "vxlan: device and routes are left in place (fail-static)");
  }
}

/** The steps whose command did not fail. */
function without<T>(steps: T[], failures: KernelFailure[]): T[] {
  const failed = new Set(failures.map((failure) => failure.index));
  return steps.filter((_, index) => !failed.has(index));
}
