// The BGP peers a Calico node wants: every other Node (the node-to-node mesh, or with the mesh off
// the route-reflector sessions) and each global or node-specific BGPPeer, as calico-node's BIRD
// config lists them. A Node with an address no node can have, or one another Node holds, is skipped.

import type { Logger } from "pino";
import { peerDefaults, type PeerConfig } from "../../bgp/config";
import { ipv4ToNumber } from "../../shared/addresses";
import { durationSeconds } from "../../resources/fields";
import type { BGPConfiguration, BGPPeer, CalicoNode } from "../../resources/kinds";
import { bgpPeerPassword } from "../../resources/secrets";
import type { ResourceStore } from "../../resources/store";
import { unusableNodeAddress } from "../node-address";

const MESH_CONNECT_RETRY = 1;

export interface WantedPeer {
  config: PeerConfig;
  kind: "node-to-node mesh" | "global" | "node specific";
  /** Another node (mesh or reflector session), not an external router. */
  node: boolean;
}

interface PeerContext {
  resources: ResourceStore;
  config: BGPConfiguration["spec"];
  nodeName: string;
  publicIp: string;
  log: Logger;
  /** Logs a warning once per key (not at every re-read). */
  warnOnce(key: string, fields: Record<string, unknown>, message: string): void;
}

/** The peers this node should have: the mesh (every other Node) and the BGPPeers that apply to it. */
export async function wantedPeers(context: PeerContext): Promise<WantedPeer[]> {
  const config = context.config;
  const me = context.publicIp;
  const myNumber = ipv4ToNumber(me);
  const wanted: WantedPeer[] = [];
  const self = await context.resources.get<CalicoNode>("Node", context.nodeName);
  const reflector = self?.spec.bgp?.routeReflectorClusterID;
  const { resources: nodes, skipped } = await context.resources.list<CalicoNode>("Node");
  for (const entry of skipped) context.log.warn({ key: entry.key }, `Node entry skipped: ${entry.reason}`);
  const claimed = new Map<string, string>();
  for (const node of nodes) {
    if (node.metadata.name === context.nodeName || !node.spec.bgp) continue;
    const address = node.spec.bgp.ipv4Address.split("/")[0];
    const unusable = unusableNodeAddress(address, me);
    if (unusable) {
      context.warnOnce(`node:${node.metadata.name}:${address}`, { node: node.metadata.name }, `Node ${node.metadata.name} skipped: its address ${unusable}; not peering with it`);
      continue;
    }
    const first = claimed.get(address);
    if (first !== undefined) {
      context.warnOnce(`node:${node.metadata.name}:${address}`, { node: node.metadata.name, claimedBy: first }, `Node ${node.metadata.name} claims ${address}, which Node ${first} holds: skipped`);
      continue;
    }
    claimed.set(address, node.metadata.name);
    const otherReflector = node.spec.bgp.routeReflectorClusterID;
    // With the mesh off, reflectors peer with every node, clients only with reflectors.
    if (!config.nodeToNodeMeshEnabled && reflector === undefined && otherReflector === undefined) continue;
    // Calico: the node with the lower address waits for the one with the higher to dial.
    wanted.push({
      // With the mesh off these are the route-reflector sessions; calicoctl calls such peers node specific.
      kind: config.nodeToNodeMeshEnabled ? "node-to-node mesh" : "node specific",
      config: peerDefaults(address, node.spec.bgp.asNumber ?? config.asNumber, {
        passive: ipv4ToNumber(address) > myNumber,
        // Nodes starting together dial peers that are not listening, or do not know them, yet:
        // retry after 1 s (doubling to 30 s after errors) rather than BIRD's 5 s.
        connectRetry: MESH_CONNECT_RETRY,
        routeReflectorClient: !config.nodeToNodeMeshEnabled && reflector !== undefined && otherReflector === undefined,
        importPolicy: "all",
        exportPolicy: "all",
      }),
      node: true,
    });
  }
  for (const peer of (await context.resources.list<BGPPeer>("BGPPeer")).resources) {
    if (peer.spec.node !== undefined && peer.spec.node !== context.nodeName) continue;
    const [address, port] = peer.spec.peerIP.split(":");
    if (wanted.some((entry) => entry.config.address === address)) continue;
    const keepalive = peer.spec.keepaliveTime ? durationSeconds(peer.spec.keepaliveTime) : undefined;
    const restart = peer.spec.maxRestartTime ? durationSeconds(peer.spec.maxRestartTime) : undefined;
    let password: string | undefined;
    try {
      password = bgpPeerPassword(peer);
    } catch (error) {
      // Without its password the session cannot come up: say why once, and leave the peer out.
      context.warnOnce(`password ${peer.metadata.name}`, { peer: peer.metadata.name }, `BGPPeer ${peer.metadata.name} skipped: ${(error as Error).message}`);
      continue;
    }
    wanted.push({
      kind: peer.spec.node === undefined ? "global" : "node specific",
      config: peerDefaults(address, peer.spec.asNumber, {
        port: port === undefined ? 179 : Number(port),
        password,
        // BIRD's: a hold time of three keepalives.
        ...(keepalive === undefined ? {} : { holdTime: Math.max(3, keepalive * 3) }),
        ...(restart === undefined ? {} : { gracefulRestartTime: restart }),
        // UseNodeIP (Calico's default): connect from the node's address; None: let the kernel choose.
        ...(peer.spec.sourceAddress === "UseNodeIP" ? { localAddress: context.publicIp } : {}),
        importPolicy: "all",
        exportPolicy: "all",
      }),
      node: false,
    });
  }
  return wanted;
}
