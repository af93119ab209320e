// The node's public IP and interface when the operator gives neither: the interface of the
// default route and its first IPv4 address, as flanneld does. Read with `ip -json`, never text.

import { ipJsonAtStartup } from "./ip";

interface IpRoute {
  dev?: string;
}
interface IpAddressInfo {
  ifname: string;
  mtu?: number;
  addr_info?: Array<{ family: string; local: string; prefixlen?: number }>;
}

/**
 * The interface to use, its IPv4 address (when `needAddress`), its MTU, and the prefix length of
 * `address` (or of the detected one) on it; throws naming what is missing.
 */
export function detectInterface(name?: string, needAddress = true, address?: string): { interfaceName: string; publicIp: string; mtu: number; prefixLength?: number } {
  let interfaceName = name;
  if (!interfaceName) {
    const [route] = ipJsonAtStartup<IpRoute[]>(["route", "show", "default"]);
    if (!route?.dev) throw new Error("no default route to find the interface by: give --iface and --public-ip");
    interfaceName = route.dev;
  }
  const [link] = ipJsonAtStartup<IpAddressInfo[]>(["addr", "show", "dev", interfaceName]);
  const inet = link?.addr_info?.filter((info) => info.family === "inet") ?? [];
  const detected = inet[0]?.local ?? "";
  if (!detected && needAddress) throw new Error(`interface ${interfaceName} has no IPv4 address: give --public-ip`);
  const prefixLength = inet.find((info) => info.local === (address ?? detected))?.prefixlen;
  return { interfaceName, publicIp: detected, mtu: link?.mtu ?? 1500, prefixLength };
}
