// The agent's kernel writes at scale: PEERS host-gw peers programmed from scratch (agent start →
// every route in the kernel) and a periodic reconcile with nothing to change, with the event
// loop's delay while each runs (the loop that also pumps the TUN relay, serves CNI and sends BGP
// keepalives) — once with the netlink Kernel (the default) and once with the iproute2 one
// (PODNET_KERNEL=ip), in a namespace of its own; the bare `ip -batch` of the same routes, alone,
// in the same namespace and run, is the floor.
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace } from "../test/netns/namespaces";
import { report, sized } from "./measure";

const PEERS = sized(10_000, 100);
const node = createNamespace("bench-node");
const other = createNamespace("bench-other");
try {
  execFileSync("ip", ["-n", node, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay", "netns", other]);
  for (const namespace of [node, other]) execFileSync("ip", ["-n", namespace, "link", "set", "underlay", "up"]);
  execFileSync("ip", ["-n", node, "address", "add", "198.18.0.1/15", "dev", "underlay"]);

  const routes = Array.from({ length: PEERS }, (_, index) => `route replace 10.${2 + (index >> 8)}.${index & 255}.0/24 via 198.18.${1 + (index >> 8)}.${index & 255} dev underlay proto 107`);
  // Peers' addresses reach 198.18.40.x: the node's /15 puts them all on the link.
  let started = performance.now();
  execFileSync("ip", ["-n", node, "-batch", "-"], { input: `${routes.join("\n")}\n` });
  const batchSeconds = (performance.now() - started) / 1000;
  execFileSync("ip", ["-n", node, "route", "flush", "proto", "107"]);

  /** Runs the agent (in its own process, in the node's namespace) with `kernel`; checks and clears what it programmed. */
  const drive = (kernel: "netlink" | "ip") => {
    const output = execFileSync("ip", ["netns", "exec", node, "node", "--import", "tsx", "bench/reconcile-driver.ts", String(PEERS)], { encoding: "utf8", env: { ...process.env, PODNET_KERNEL: kernel } });
    const programmed = (JSON.parse(execFileSync("ip", ["-n", node, "-json", "route", "show", "proto", "107"], { encoding: "utf8", maxBuffer: 64 << 20 })) as unknown[]).length;
    if (programmed !== PEERS) throw new Error(`the agent (${kernel}) left ${programmed} routes, expected ${PEERS}`);
    execFileSync("ip", ["-n", node, "route", "flush", "proto", "107"]);
    return JSON.parse(output.trim().split("\n").pop()!) as { start: { seconds: number; p99: number; max: number }; idle: { seconds: number; p99: number; max: number } };
  };
  const netlink = drive("netlink");
  const ip = drive("ip");
  const agentWith = "the same agent, --kernel ip";
  report("reconcile", [
    { metric: `host-gw: agent start → ${PEERS} peer routes in the kernel, netlink`, unit: "s", podnet: netlink.start.seconds, baseline: ip.start.seconds, baselineName: agentWith, lowerIsBetter: true },
    { metric: `host-gw: agent start → ${PEERS} peer routes, netlink`, unit: "s", podnet: netlink.start.seconds, baseline: batchSeconds, baselineName: "one bare ip -batch of the same routes", lowerIsBetter: true },
    { metric: `host-gw: event-loop delay p99 while ${PEERS} peers are programmed, netlink`, unit: "ms", podnet: netlink.start.p99, baseline: ip.start.p99, baselineName: agentWith, lowerIsBetter: true },
    { metric: `host-gw: event-loop delay max while ${PEERS} peers are programmed, netlink`, unit: "ms", podnet: netlink.start.max, baseline: ip.start.max, baselineName: agentWith, lowerIsBetter: true },
    { metric: `host-gw: periodic reconcile of ${PEERS} unchanged peers, netlink`, unit: "s", podnet: netlink.idle.seconds, baseline: ip.idle.seconds, baselineName: agentWith, lowerIsBetter: true },
    { metric: `host-gw: event-loop delay max during that reconcile, netlink`, unit: "ms", podnet: netlink.idle.max, baseline: ip.idle.max, baselineName: agentWith, lowerIsBetter: true },
  ]);
} finally {
  cleanupNamespaces();
}
