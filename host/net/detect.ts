// The node's public IP and interface when the operator gives neither: the interface of the
// default route and its first IPv4 address, as flanneld does. Read with `ip -json`, never text.

import { ipJsonAtStartup } from "./ip";

interface IpRoute {
  dev?: string;
}
interface IpAddressInfo {
  ifname: string;
  mtu?: number;
  addr_info?: Array<{ family: string; local: string }>;
}

/** The interface to use, its IPv4 address (when `needAddress`) and MTU; throws naming what is missing. */
export function detectInterface(name?: string, needAddress = true): { interfaceName: string; publicIp: string; mtu: number } {
  let interfaceName = name;
  if (!interfaceName) {
    const [route] = ipJsonAtStartup<IpRoute[]>(["route", "show", "default"]);
    if (!route?.dev) throw new Error("no default route to find the interface by: give --iface and --public-ip");
    interfaceName = route.dev;
  }
  const [link] = ipJsonAtStartup<IpAddressInfo[]>(["addr", "show", "dev", interfaceName]);
  const address = link?.addr_info?.find((info) => info.family === "inet")?.local ?? "";
  if (!address && needAddress) throw new Error(`interface ${interfaceName} has no IPv4 address: give --public-ip`);
  return { interfaceName, publicIp: address, mtu: link?.mtu ?? 1500 };
}
