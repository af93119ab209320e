// Flannel's wire facts, in one place: what a podnet node must match to share a cluster with
// Flannel's own nodes (flannel-io/flannel pkg/backend/vxlan and udp).

/** VXLAN backend: device flannel.1, VNI 1, UDP 8472 (the Linux kernel's, not IANA's 4789). */
export const FLANNEL_VXLAN = {
  device: "flannel.1",
  vni: 1,
  port: 8472,
  /** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
  overhead: 50,
} as const;

/** UDP backend: TUN device flannel0, UDP 8285, the bare inner IPv4 packet as payload. */
export const FLANNEL_UDP = {
  device: "flannel0",
  port: 8285,
  /** Outer IPv4 20 + UDP 8. */
  overhead: 28,
} as const;

/** The Backend keys of Flannel's network config that podnet honours, per backend type. */
export const BACKEND_KEYS: Record<string, readonly string[]> = {
  none: ["Type"],
  "host-gw": ["Type"],
  vxlan: ["Type", "VNI", "Port"],
  udp: ["Type", "Port"],
};
