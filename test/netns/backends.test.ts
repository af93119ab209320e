// Every backend end to end: three nodes (namespaces on a bridged underlay), an agent in each on one
// embedded store, a pod behind each node's cni0, then ping and TCP between every pair of pods
// across nodes, the MTU edge, a removed lease, and an agent restart. Root only; everything lives
// in namespaces this test made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { cleanupNamespaces, spawnIn } from "./namespaces";
import {
  addPod, healthIn, metricsIn, peersAdded, ping, pingOutput, podnetRoutes, restoreAfterDelete, sleep, startCluster, startEchoServer, tcpEcho, waitFor, type Cluster,
} from "./cluster";
import { SqliteKv } from "../../host/store/sqlite-kv";

test.after(cleanupNamespaces);

interface Mode {
  name: string;
  backend: string;
  args: string[];
  /** Userspace modes: whether the TUN device runs with offload (TSO, UDP GSO/GRO) or packet by packet. */
  offload?: boolean;
  /** More Backend keys for the network config (kernel vxlan: the device must show them). */
  backendSettings?: { VNI: number; Port: number };
  /** The device that carries pod traffic to other nodes, its MTU, and whether it is a TUN device. */
  device: string;
  mtu: number;
  userspace: boolean;
}

const MODES: Mode[] = [
  { name: "host-gw", backend: "host-gw", args: [], device: "eth0", mtu: 1500, userspace: false },
  { name: "vxlan", backend: "vxlan", args: [], device: "flannel.1", mtu: 1450, userspace: false },
  { name: "vxlan-vni", backend: "vxlan", args: [], backendSettings: { VNI: 4096, Port: 4789 }, device: "flannel.1", mtu: 1450, userspace: false },
  { name: "uvxlan", backend: "vxlan", args: ["--userspace"], offload: true, device: "flannel.1", mtu: 1450, userspace: true },
  { name: "uvxlan-nooffload", backend: "vxlan", args: ["--userspace", "--no-offload"], offload: false, device: "flannel.1", mtu: 1450, userspace: true },
  { name: "udp", backend: "udp", args: [], offload: true, device: "flannel0", mtu: 1472, userspace: true },
  { name: "udp-nooffload", backend: "udp", args: ["--no-offload"], offload: false, device: "flannel0", mtu: 1472, userspace: true },
];

const metricValue = (text: string, series: string) => Number(text.split("\n").find((line) => line.startsWith(`${series} `))?.split(" ")[1] ?? NaN);

/**
 * Leases the agents cannot program, written beside the real ones in subnets no node holds: one of
 * another backend type in every mode, and per mode one whose data this backend cannot use (a
 * VXLAN lease without VtepMAC; a host-gw node that is not on the L2 segment). Returns their
 * subnets and the podnet_peer_errors_total reasons expected.
 */
async function writeBadLeases(storePath: string, mode: Mode): Promise<{ subnets: string[]; reasons: string[] }> {
  const kv = new SqliteKv(storePath);
  const taken = new Set((await kv.range("/coreos.com/network/subnets/")).items.map((item) => item.key.split("/").pop()!.replace("-", "/")));
  const [otherSubnet, badSubnet] = Array.from({ length: 250 }, (_, index) => `10.244.${index + 2}.0/24`).filter((subnet) => !taken.has(subnet));
  const put = (subnet: string, publicIp: string, backendType: string, backendData: unknown) =>
    kv.create(`/coreos.com/network/subnets/${subnet.replace("/", "-")}`, JSON.stringify({ PublicIP: publicIp, PublicIPv6: null, BackendType: backendType, BackendData: backendData }), 0);
  assert.ok(await put(otherSubnet, "198.18.0.200", mode.backend === "udp" ? "vxlan" : "udp", null));
  const reasons = ["backend-type"];
  if (mode.backend === "vxlan") {
    assert.ok(await put(badSubnet, "198.18.0.201", "vxlan", { VNI: 1 }));
    reasons.push("backend-data");
  } else if (mode.backend === "host-gw") {
    assert.ok(await put(badSubnet, "198.19.5.5", "host-gw", null));
    reasons.push("not-on-link");
  }
  await kv.close();
  return { subnets: reasons.length > 1 ? [otherSubnet, badSubnet] : [otherSubnet], reasons };
}

function everyPair(cluster: Cluster, check: (from: Cluster["nodes"][number], to: Cluster["nodes"][number]) => void): void {
  for (const from of cluster.nodes) for (const to of cluster.nodes) if (from !== to) check(from, to);
}

// PODNET_TEST_MODE=<name> runs one mode while working on it.
for (const mode of MODES.filter((each) => !process.env.PODNET_TEST_MODE || each.name === process.env.PODNET_TEST_MODE)) {
  test(`${mode.name}: ping and TCP between every pair of pods; MTU edge; a removed lease removes its routes; restart`, async () => {
    const cluster = await startCluster({ name: mode.name, backend: mode.backend, agentArgs: () => mode.args, backendSettings: mode.backendSettings });
    // Peers that cannot be programmed are counted and retried; the others work and the agents stay healthy.
    const { subnets, reasons } = await writeBadLeases(cluster.storePath, mode);
    for (const node of cluster.nodes) {
      await waitFor(() => reasons.every((reason) => metricValue(metricsIn(node.namespace), `podnet_peer_errors_total{reason="${reason}"}`) >= 2), 5000, `node ${node.index} counted ${reasons} twice (two reconciles)`);
      assert.is(healthIn(node.namespace), "200", `node ${node.index} healthy with unprogrammable peers`);
      assert.is(metricValue(metricsIn(node.namespace), "podnet_peer_routes"), 2, `node ${node.index} programs its two real peers`);
      assert.not.ok(podnetRoutes(node.namespace).some((route) => subnets.includes(route)), `no route for an unprogrammable peer on node ${node.index}`);
    }
    for (const node of cluster.nodes) addPod(cluster, node);
    for (const node of cluster.nodes) await startEchoServer(node.pod.namespace);
    everyPair(cluster, (from, to) => {
      assert.ok(ping(from.pod.namespace, to.pod.address), `${mode.name}: ping ${from.pod.address} → ${to.pod.address}`);
      assert.ok(tcpEcho(from.pod.namespace, to.pod.address), `${mode.name}: TCP ${from.pod.address} → ${to.pod.address}`);
    });

    const [first, second, third] = cluster.nodes;
    const [device] = JSON.parse(execFileSync("ip", ["-n", first.namespace, "-json", "-details", "link", "show", mode.device], { encoding: "utf8" }));
    assert.is(device.mtu, mode.mtu);
    if (mode.backend === "vxlan" && !mode.userspace) {
      // Flannel's VNI 1 and UDP 8472 unless the network config's Backend says otherwise.
      const { VNI, Port } = mode.backendSettings ?? { VNI: 1, Port: 8472 };
      assert.equal([device.linkinfo.info_data.id, device.linkinfo.info_data.port, device.linkinfo.info_data.local], [VNI, Port, "198.18.0.1"]);
    }
    if (mode.userspace) {
      assert.is(device.linkinfo.info_kind, "tun");
      // This kernel takes TUN offload (virtio-net header, TSO); forced off, the same traffic went packet by packet.
      assert.match(first.log(), `"offload":${mode.offload},"msg":"userspace data path running"`);
    }

    // MTU edge: a full-size DF packet passes; from a pod whose MTU is too large (1500), a larger DF
    // packet is answered with fragmentation needed naming the path's MTU.
    assert.ok(ping(first.pod.namespace, second.pod.address, ["-M", "do", "-s", String(mode.mtu - 28)]), "MTU-sized DF ping");
    if (mode.mtu < 1500) {
      const bigPod = addPod(cluster, first, 20, 1500);
      const output = pingOutput(bigPod.namespace, second.pod.address, ["-M", "do", "-s", String(mode.mtu - 27)]);
      assert.match(output, `Frag needed and DF set (mtu = ${mode.mtu})`);
      // TCP between two such pods (each advertises an MSS too large for the path, and no ping has
      // taught them the path's MTU) learns it the same way and does not stall: TSO super-packets
      // whose segments exceed the device's MTU are answered before they reach it.
      const tcpPod = addPod(cluster, first, 21, 1500);
      const tcpPeer = addPod(cluster, second, 21, 1500);
      await startEchoServer(tcpPeer.namespace);
      assert.ok(tcpEcho(tcpPod.namespace, tcpPeer.address), "TCP between pods whose MTU is too large");
    }

    // A route deleted by hand is put back as soon as the kernel says so (kernel-monitor.ts).
    const secondSubnet = second.pod.address.replace(/\.10$/, ".0/24");
    const restored = await restoreAfterDelete(first.namespace, secondSubnet);
    console.log(`  ${mode.name}: route to ${secondSubnet} deleted by hand on node 1: back after ${restored.milliseconds} ms`);
    assert.ok(restored.milliseconds <= 100, `route restored within 100 ms (took ${restored.milliseconds} ms)`);
    assert.ok(restored.same, "restored exactly as it was");
    assert.is(metricValue(metricsIn(first.namespace), "podnet_routes_restored_total"), 1);
    assert.ok(ping(first.pod.namespace, second.pod.address), "pods reach each other after the repair");
    if (mode.backend === "vxlan" && !mode.userspace) {
      // The VTEP deleted by hand (its routes, neighbours and FDB entries go with it): made again
      // with the same MAC (the lease's VtepMAC stays true), then every peer programmed again.
      const deleted = performance.now();
      execFileSync("ip", ["-n", first.namespace, "link", "del", "flannel.1"]);
      await waitFor(() => podnetRoutes(first.namespace).includes(secondSubnet), 3000, "the VTEP and its routes back");
      const back = Math.round(performance.now() - deleted);
      console.log(`  ${mode.name}: flannel.1 deleted by hand on node 1: device and routes back after ${back} ms`);
      const [again] = JSON.parse(execFileSync("ip", ["-n", first.namespace, "-json", "-details", "link", "show", "flannel.1"], { encoding: "utf8" }));
      assert.equal([again.address, again.mtu, again.linkinfo.info_data.id], [device.address, mode.mtu, device.linkinfo.info_data.id], "the same MAC, MTU and VNI");
      assert.is(metricValue(metricsIn(first.namespace), "podnet_devices_restored_total"), 1);
      assert.ok(ping(first.pod.namespace, second.pod.address) && ping(first.pod.namespace, third.pod.address), "pods reach both peers again");
    }

    // Restart: the agent on node 2 is killed (SIGKILL) and started again half a second later, under
    // a steady ping every 10 ms. Kernel backends forward all along (fail-static: nothing lost);
    // userspace ones forward again once it is back (the first reply after its start is the figure).
    const pod1 = first.pod.namespace;
    const routesBefore = JSON.stringify(podnetRoutes(second.namespace));
    const stream = spawnIn(pod1, "ping", ["-D", "-n", "-i", "0.01", "-W", "1", second.pod.address]);
    let replies = "";
    stream.stdout!.on("data", (chunk: Buffer) => (replies += chunk.toString()));
    await sleep(300);
    second.agent.kill("SIGKILL");
    await once(second.agent, "exit");
    await sleep(500);
    const restarted = Date.now();
    cluster.startAgent(second);
    const replyTimes = () => [...replies.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((match) => Number(match[1]) * 1000);
    // The first reply at or after the restart (kernel backends answered all along).
    const firstReply = () => replyTimes().find((at) => at >= restarted);
    await waitFor(() => firstReply() !== undefined, 10_000, `${mode.name}: traffic after the restart`);
    await sleep(300);
    stream.kill("SIGINT");
    await once(stream, "exit");
    const resumedAfter = Math.round(firstReply()! - restarted);
    // Lost: sequence numbers between the first and the last reply that got none (the tail in flight is not loss).
    const sequences = [...replies.matchAll(/icmp_seq=(\d+)/g)].map((match) => Number(match[1]));
    const lost = Math.max(...sequences) - Math.min(...sequences) + 1 - new Set(sequences).size;
    console.log(`  ${mode.name}: agent on node 2 SIGKILLed and restarted 0.5 s later: ${lost} of ${Math.max(...sequences)} pings lost; traffic answered ${resumedAfter} ms after the start`);
    if (mode.userspace) assert.ok(resumedAfter <= 1000, `userspace path resumed after ${resumedAfter} ms (want ≤ 1 s)`);
    else {
      assert.is(lost, 0, `fail-static: no ping lost while the agent was gone (${mode.name})`);
      // The restarted agent takes the same lease and leaves every route as it was.
      await waitFor(() => peersAdded(second) >= 2, 10_000, "node 2's agent has its peers again");
      await sleep(1500);
      assert.is(JSON.stringify(podnetRoutes(second.namespace)), routesBefore, "routes unchanged by the restart");
    }

    // Node 3 leaves: its agent stops (keeping the lease), then the lease is removed from the store;
    // every other node drops its route within a reconcile.
    const goneSubnet = third.pod.address.replace(/\.10$/, ".0/24");
    assert.ok(podnetRoutes(first.namespace).includes(goneSubnet));
    process.kill(third.agent.pid!, "SIGTERM");
    await once(third.agent, "exit");
    const kv = new SqliteKv(cluster.storePath);
    await kv.delete(`/coreos.com/network/subnets/${goneSubnet.replace("/", "-")}`);
    await kv.close();
    await waitFor(() => !podnetRoutes(first.namespace).includes(goneSubnet) && !podnetRoutes(second.namespace).includes(goneSubnet), 3000,
      `routes to ${goneSubnet} removed: ${podnetRoutes(first.namespace)} / ${podnetRoutes(second.namespace)}`);
    if (mode.backend === "vxlan" && !mode.userspace) {
      // The route goes first, then the FDB entry and the neighbour (vxlan.ts): wait for the last of them.
      const neighbourGone = () => {
        const neighbours = JSON.parse(execFileSync("ip", ["-n", first.namespace, "-json", "neigh", "show", "dev", "flannel.1"], { encoding: "utf8" })) as Array<{ dst: string }>;
        return !neighbours.some((entry) => entry.dst === goneSubnet.replace(/\/24$/, ""));
      };
      const fdb = () => execFileSync("bridge", ["-n", first.namespace, "fdb", "show", "dev", "flannel.1"], { encoding: "utf8" });
      await waitFor(() => neighbourGone() && !fdb().includes("198.18.0.3"), 1000, "neighbour and FDB entry of node 3 removed after its route");
    }
    assert.ok(peersAdded(first) >= 2);
  });
}

test.run();
