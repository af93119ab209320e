// Interoperability on the wire: two podnet nodes running VXLAN in userspace (TUN + Wasm) and a
// third configured by hand exactly as Flannel configures its kernel flannel.1, whose lease the test
// writes in Flannel's format. Pods on all three reach each other (ping and TCP); a capture on the
// underlay decodes in tshark as VXLAN carrying the pods' packets; a VXLAN datagram from an address
// that holds no lease is dropped and counted in /metrics. Root only; all in namespaces made here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupNamespaces } from "./namespaces";
import { addPod, flannelDevice, flannelPeer, metricsIn, ip, peersAdded, ping, sleep, startCluster, startEchoServer, tcpEcho, waitFor, type ClusterNode } from "./cluster";
import { SqliteKv } from "../../host/store/sqlite-kv";
import { vtepMacFor } from "../../host/backend/userspace";

test.after(cleanupNamespaces);

/** A /24 for the hand-configured Flannel node that no podnet agent leased (they lease at random). */
function flannelSubnet(leased: string[]): string {
  for (let third = 200; ; third++) if (!leased.includes(`10.244.${third}.0/24`)) return `10.244.${third}`;
}

// Offload (TSO super-packets cut in Wasm, UDP GSO/GRO) must be invisible on the wire: the same test
// runs with it on and forced off, and checks which one ran.
for (const offload of [true, false]) {
  test(`a Flannel-configured kernel VXLAN node and podnet userspace VXLAN nodes (offload ${offload ? "on" : "off"}) carry pod traffic both ways; tshark decodes it`, async () => {
    const cluster = await startCluster({ name: offload ? "interop" : "interop-pkt", backend: "vxlan", agentArgs: () => ["--userspace", ...(offload ? [] : ["--no-offload"])], agents: [1, 2] });
    const [first, second, flannel] = cluster.nodes;
    for (const node of [first, second]) assert.match(node.log(), `"offload":${offload},"msg":"userspace data path running"`);
    const subnetOf = (node: ClusterNode) => /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1/.exec(execFileSync("cat", [node.subnetFile], { encoding: "utf8" }))![1] + ".0/24";
    const podnetPeers = [first, second].map((node) => ({ subnet: subnetOf(node), publicIp: node.publicIp, vtepMac: vtepMacFor(node.publicIp) }));
    // A NIC puts finished segments on the wire; a veth hands the kernel VTEP's packets to the next
    // namespace as they are in memory: 64 kB GSO super-packets (no UDP socket can take one; they
    // would be dropped, counted Truncated) with inner checksums left for the NIC to fill in. So this
    // veth segments and checksums as a NIC would.
    execFileSync("ip", ["netns", "exec", flannel.namespace, "ethtool", "-K", "eth0", "tx", "off"]);
    const FLANNEL_SUBNET = flannelSubnet(podnetPeers.map((peer) => peer.subnet));
    const flannelMac = flannelDevice(flannel, FLANNEL_SUBNET);
    for (const peer of podnetPeers) flannelPeer(flannel, peer);

    // The lease flanneld would write, in its exact format.
    const kv = new SqliteKv(cluster.storePath);
    const value = JSON.stringify({ PublicIP: flannel.publicIp, PublicIPv6: null, BackendType: "vxlan", BackendData: { VNI: 1, VtepMAC: flannelMac } });
    assert.ok(await kv.create(`/coreos.com/network/subnets/${FLANNEL_SUBNET}.0-24`, value, 86400));
    await kv.close();
    for (const node of [first, second]) await waitFor(() => peersAdded(node) >= 2, 5000, `node ${node.index} took the Flannel node's lease`);

    for (const node of cluster.nodes) addPod(cluster, node);
    for (const node of cluster.nodes) await startEchoServer(node.pod.namespace);

    // Capture the underlay while the pods talk.
    const directory = mkdtempSync(join(tmpdir(), "podnet-interop-"));
    const pcap = join(directory, "underlay.pcap");
    const capture = spawn("ip", ["netns", "exec", cluster.lan, "tshark", "-q", "-i", "br0", "-f", "udp port 8472", "-w", pcap], { stdio: "ignore" });
    await sleep(1500); // tshark (dumpcap) takes a moment to open the interface
    for (const from of cluster.nodes) {
      for (const to of cluster.nodes) {
        if (from === to) continue;
        assert.ok(ping(from.pod.namespace, to.pod.address), `ping ${from.pod.address} → ${to.pod.address}`);
        assert.ok(tcpEcho(from.pod.namespace, to.pod.address), `TCP ${from.pod.address} → ${to.pod.address}`);
      }
    }
    await sleep(300);
    capture.kill("SIGINT");
    await once(capture, "exit");

    // tshark, told that 8472 is VXLAN, finds the pods' ICMP inside: outer node addresses, inner pod addresses.
    const lines = execFileSync("tshark", ["-r", pcap, "-d", "udp.port==8472,vxlan", "-Y", "icmp.type==8", "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t",
      "-e", "ip.src", "-e", "ip.dst", "-e", "vxlan.vni", "-e", "eth.dst"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
    const flows = new Set(lines.map((line) => line.split("\t").slice(0, 3).join(" ")));
    const pods = cluster.nodes.map((node) => node.pod.address);
    for (const [from, to] of [[0, 2], [2, 0], [1, 2], [2, 1], [0, 1]]) {
      const flow = `${cluster.nodes[from].publicIp},${pods[from]} ${cluster.nodes[to].publicIp},${pods[to]} 1`;
      assert.ok(flows.has(flow), `tshark saw VXLAN ${flow}; saw: ${[...flows].join(" | ")}`);
    }
    // Frames into the Flannel node carry its VtepMAC as inner destination; into podnet nodes, theirs.
    const innerDestinations = new Set(lines.map((line) => line.split("\t")[3].split(",").pop()));
    assert.ok(innerDestinations.has(flannelMac) && innerDestinations.has(vtepMacFor(first.publicIp)), [...innerDestinations].join(" "));

    // A VXLAN datagram from 198.18.0.99, which holds no lease, is dropped and counted.
    ip(cluster.lan, "addr", "add", "198.18.0.99/24", "dev", "br0");
    const before = /podnet_datapath_packets_total\{direction="decap",status="UnknownPeer"\} (\d+)/.exec(metricsIn(first.namespace))?.[1] ?? "0";
    const sent = spawnSync("ip", ["netns", "exec", cluster.lan, process.execPath, "-e", `
      const socket = require("node:dgram").createSocket("udp4");
      // VXLAN header with the I flag and VNI 1, inner Ethernet to node 1's VtepMAC, then a minimal IPv4 header.
      const frame = Buffer.from("0800000000000100" + "${vtepMacFor(first.publicIp).replace(/:/g, "")}" + "027000000001" + "0800" +
        "45000014000040004001000a0af4c80a${subnetOf(first).split(".").slice(0, 3).map((part) => Number(part).toString(16).padStart(2, "0")).join("")}0a", "hex");
      socket.bind(0, "198.18.0.99", () => socket.send(frame, 8472, "${first.publicIp}", () => socket.close()));
    `], { encoding: "utf8" });
    assert.is(sent.status, 0, sent.stderr);
    await waitFor(() => /podnet_datapath_packets_total\{direction="decap",status="UnknownPeer"\} (\d+)/.exec(metricsIn(first.namespace))?.[1] === String(Number(before) + 1), 3000,
      "the datagram from 198.18.0.99 counted as UnknownPeer");
    assert.ok(ping(flannel.pod.namespace, first.pod.address), "traffic still flows after the drop");
  });
}

test.run();
