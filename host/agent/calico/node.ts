// This node's Node entry, as calico-node writes it: its name and its address with the subnet's mask
// (spec.bgp.ipv4Address), kept alive by its TTL; an AS or route-reflector cluster ID an operator set
// on it is kept. The address may not be on the interface yet: the agent waits for it, saying why.

import type { Logger } from "pino";
import type { CalicoNode } from "../../resources/kinds";
import type { ResourceStore } from "../../resources/store";

const ADDRESS_RETRY_MILLISECONDS = 2000;

/** Writes this node's Node entry (with its TTL); keeps an AS or reflector cluster ID an operator set on it. */
export async function registerNode(resources: ResourceStore, nodeName: string, ipv4Address: string, ttlSeconds: number): Promise<CalicoNode> {
  const existing = await resources.get<CalicoNode>("Node", nodeName).catch(() => undefined);
  const bgp = { ...existing?.spec.bgp, ipv4Address };
  const node: CalicoNode = { apiVersion: "projectcalico.org/v3", kind: "Node", metadata: { name: nodeName }, spec: { bgp } };
  await resources.put(node, ttlSeconds);
  return node;
}

/** This node's address with its mask, once `find` answers; logs why it waits meanwhile. Undefined when `stopped` first. */
export async function waitForNodeAddress(find: () => string, stopped: () => boolean, log: Logger): Promise<string | undefined> {
  let said = "";
  while (!stopped()) {
    try {
      return find();
    } catch (error) {
      const reason = (error as Error).message;
      if (reason !== said) log.warn({ reason }, `waiting for this node's address in CIDR form: ${reason}`);
      said = reason;
    }
    await new Promise((resolve) => setTimeout(resolve, ADDRESS_RETRY_MILLISECONDS));
  }
  return undefined;
}
