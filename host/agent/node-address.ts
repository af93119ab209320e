// Addresses a store entry written by someone else may name as another node's, and that podnet must
// never program a route through: a route via 127.0.0.1, 0.0.0.0, a multicast or broadcast address,
// a link-local one or this node's own would loop traffic back, blackhole it, or send pod traffic
// where no node is.

import { ipv4ToNumber, networkOf } from "../shared/addresses";

const UNUSABLE: Array<[network: string, length: number, what: string]> = [
  ["0.0.0.0", 8, "an unspecified address (0.0.0.0/8)"],
  ["127.0.0.0", 8, "a loopback address (127.0.0.0/8)"],
  ["169.254.0.0", 16, "a link-local address (169.254.0.0/16)"],
  ["224.0.0.0", 4, "a multicast address (224.0.0.0/4)"],
  ["240.0.0.0", 4, "a reserved or broadcast address (240.0.0.0/4)"],
];

/** Why `address` cannot be another node's underlay address, or undefined when it can. */
export function unusableNodeAddress(address: string, ownAddress: string): string | undefined {
  let value: number;
  try {
    value = ipv4ToNumber(address);
  } catch {
    return `'${address}' is not an IPv4 address`;
  }
  if (address === ownAddress) return `${address} is this node's own address`;
  const range = UNUSABLE.find(([network, length]) => networkOf(value, length) === ipv4ToNumber(network));
  return range ? `${address} is ${range[2]}` : undefined;
}
