// A change to kernel state, as data: what podnet asks of links, addresses, routes, neighbours and
// FDB entries. Two kernels carry them out — rtnetlink in process (netlink-kernel.ts) and iproute2
// (`ip -batch`, kernel.ts) — and both name a change the same way: as the `ip`/`bridge` command line
// it stands for (commandLine), which is also how errors and tests spell it.

/** podnet's route protocol (unassigned in iproute2's rt_protos); its routes carry it, so it only changes its own. */
export const PODNET_ROUTE_PROTOCOL = 107;

type RouteChange = {
  kind: "route";
  op: "add" | "replace" | "delete";
  /** "a.b.c.d/len", or "default". */
  destination: string;
  via?: string;
  device?: string;
  onlink?: boolean;
  blackhole?: boolean;
  /** The route's protocol; the kernel's own ("boot") when absent. */
  protocol?: number;
  /** "link": the destination is on the device's link. */
  scope?: "link";
};

type NeighbourChange = { kind: "neighbour"; op: "replace" | "delete"; address: string; mac?: string; device: string };

type AddressChange = { kind: "address"; op: "add" | "replace"; /** "a.b.c.d/len" */ address: string; device: string };

type FdbChange = { kind: "fdb"; op: "replace" | "delete"; mac: string; device: string; destination?: string };

type LinkSettings = { up?: boolean; mtu?: number; master?: string; hairpin?: boolean };

export type LinkChange =
  | { kind: "link"; op: "delete"; name: string }
  | ({ kind: "link"; op: "set"; name: string } & LinkSettings)
  | { kind: "link"; op: "add"; type: "bridge"; name: string; mac: string }
  | { kind: "link"; op: "add"; type: "vxlan"; name: string; vni: number; local: string; device: string; port: number; mac?: string }
  | {
      kind: "link";
      op: "add";
      type: "veth";
      name: string;
      mac: string;
      mtu: number;
      /** The other end, created in the namespace at path `netns`. */
      peer: { name: string; mac: string; netns: string };
    };

export type KernelChange = RouteChange | NeighbourChange | AddressChange | FdbChange | LinkChange;

/** Which iproute2 tool runs the change: FDB entries are `bridge`'s. */
export const toolOf = (change: KernelChange): "ip" | "bridge" => (change.kind === "fdb" ? "bridge" : "ip");

function routeLine(change: RouteChange): string {
  const words = ["route", change.op === "delete" ? "del" : change.op];
  if (change.blackhole) words.push("blackhole");
  words.push(change.destination);
  if (change.via) words.push("via", change.via);
  if (change.device) words.push("dev", change.device);
  if (change.onlink) words.push("onlink");
  if (change.scope) words.push("scope", change.scope);
  if (change.protocol !== undefined) words.push("proto", String(change.protocol));
  return words.join(" ");
}

function linkLine(change: LinkChange): string {
  switch (change.op) {
    case "delete":
      return `link del ${change.name}`;
    case "set":
      if (change.hairpin !== undefined) return `link set ${change.name} type bridge_slave hairpin ${change.hairpin ? "on" : "off"}`;
      return ["link set", change.name, change.master ? `master ${change.master}` : "", change.mtu ? `mtu ${change.mtu}` : "", change.up === undefined ? "" : change.up ? "up" : "down"]
        .filter((word) => word !== "")
        .join(" ");
    case "add":
      if (change.type === "bridge") return `link add ${change.name} address ${change.mac} type bridge`;
      if (change.type === "vxlan") {
        return `link add ${change.name}${change.mac ? ` address ${change.mac}` : ""} type vxlan id ${change.vni} local ${change.local} dev ${change.device} dstport ${change.port} nolearning`;
      }
      return `link add ${change.name} mtu ${change.mtu} address ${change.mac} type veth peer name ${change.peer.name} mtu ${change.mtu} address ${change.peer.mac} netns ${change.peer.netns}`;
  }
}

/** The change as the `ip` (or `bridge`) batch line that makes it. */
export function commandLine(change: KernelChange): string {
  switch (change.kind) {
    case "route":
      return routeLine(change);
    case "neighbour":
      return change.op === "delete"
        ? `neigh del ${change.address} dev ${change.device}`
        : `neigh replace ${change.address} lladdr ${change.mac} dev ${change.device} nud permanent`;
    case "address":
      return `address ${change.op} ${change.address} dev ${change.device}`;
    case "fdb":
      return `fdb ${change.op === "delete" ? "del" : "replace"} ${change.mac} dev ${change.device}${change.destination ? ` dst ${change.destination}` : ""}`;
    case "link":
      return linkLine(change);
  }
}
