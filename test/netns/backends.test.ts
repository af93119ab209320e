// Kernel backends end to end: three nodes (namespaces on a bridged underlay), an agent in each
// on one embedded store, a pod behind each node's cni0 bridge, and pings between every pair of
// pods across nodes. Root only; everything lives in namespaces this test made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, spawnIn } from "./namespaces.js";
import { distPath } from "../helpers/paths.js";
import { SqliteKv } from "../../host/store/sqlite-kv.js";

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
test.after(cleanupNamespaces);

interface Node {
  namespace: string;
  publicIp: string;
  subnetFile: string;
  log: () => string;
  agent: ChildProcess;
  pod: { namespace: string; address: string };
}

async function cluster(backend: string): Promise<{ nodes: Node[]; storePath: string }> {
  const directory = mkdtempSync(join(tmpdir(), `podnet-${backend}-`));
  const storePath = join(directory, "store.db");
  const lan = createNamespace(`${backend}-lan`);
  const ip = (namespace: string, ...args: string[]) => execFileSync("ip", ["-n", namespace, ...args]);
  ip(lan, "link", "add", "br0", "type", "bridge");
  ip(lan, "link", "set", "br0", "up");
  const nodes: Node[] = [];
  for (const index of [1, 2, 3]) {
    const namespace = createNamespace(`${backend}-n${index}`);
    ip(namespace, "link", "add", "eth0", "type", "veth", "peer", "name", `port${index}`, "netns", lan);
    ip(lan, "link", "set", `port${index}`, "master", "br0", "up");
    ip(namespace, "addr", "add", `198.18.0.${index}/24`, "dev", "eth0");
    ip(namespace, "link", "set", "eth0", "up");
    const subnetFile = join(directory, `n${index}.env`);
    const agent = spawnIn(namespace, distPath("podnet"), ["agent", "--store-path", storePath, "--iface", "eth0", "--public-ip", `198.18.0.${index}`,
      "--subnet-file", subnetFile, "--network-config", `{"Network":"10.244.0.0/16","Backend":{"Type":"${backend}"}}`, "--reconcile-interval", "1", "--log-format", "json"]);
    let log = "";
    agent.stderr!.on("data", (chunk) => (log += chunk));
    nodes.push({ namespace, publicIp: `198.18.0.${index}`, subnetFile, log: () => log, agent, pod: { namespace: "", address: "" } });
  }
  for (const node of nodes) {
    for (let i = 0; i < 200 && !(existsSync(node.subnetFile) && (node.log().match(/"peer added"/g) ?? []).length >= 2); i++) await sleep(50);
    assert.is((node.log().match(/"peer added"/g) ?? []).length, 2, node.log());
  }
  // One pod per node, as the CNI plugin will make them: cni0 with the subnet's .1, a veth, .10.
  for (const [index, node] of nodes.entries()) {
    const subnetLine = /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/24/.exec(readFileSync(node.subnetFile, "utf8"))!;
    const mtu = Number(/FLANNEL_MTU=(\d+)/.exec(readFileSync(node.subnetFile, "utf8"))![1]);
    const pod = createNamespace(`${backend}-pod${index + 1}`);
    ip(node.namespace, "link", "add", "cni0", "type", "bridge");
    ip(node.namespace, "addr", "add", `${subnetLine[1]}.1/24`, "dev", "cni0");
    ip(node.namespace, "link", "set", "cni0", "mtu", String(mtu), "up");
    ip(node.namespace, "link", "add", "vethpod", "mtu", String(mtu), "type", "veth", "peer", "name", "eth0", "netns", pod);
    ip(node.namespace, "link", "set", "vethpod", "master", "cni0", "up");
    ip(pod, "addr", "add", `${subnetLine[1]}.10/24`, "dev", "eth0");
    ip(pod, "link", "set", "eth0", "up");
    ip(pod, "route", "add", "default", "via", `${subnetLine[1]}.1`);
    node.pod = { namespace: pod, address: `${subnetLine[1]}.10` };
  }
  return { nodes, storePath };
}

function ping(from: string, to: string, extra: string[] = []): boolean {
  return spawnSync("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "2", ...extra, to], { stdio: "ignore" }).status === 0;
}

for (const backend of ["host-gw", "vxlan"]) {
  test(`${backend}: every pod reaches every pod on the other nodes; a removed lease removes its routes`, async () => {
    const { nodes, storePath } = await cluster(backend);
    for (const from of nodes) {
      for (const to of nodes) {
        if (from !== to) assert.ok(ping(from.pod.namespace, to.pod.address), `${backend}: ${from.pod.address} → ${to.pod.address}`);
      }
    }
    const routes = (namespace: string) => (JSON.parse(execFileSync("ip", ["-n", namespace, "-json", "route", "show", "proto", "107"], { encoding: "utf8" })) as Array<{ dst: string }>).map((route) => route.dst).sort();
    const gone = nodes[2];
    const goneSubnet = gone.pod.address.replace(/\.10$/, ".0/24");
    assert.ok(routes(nodes[0].namespace).includes(goneSubnet));
    if (backend === "vxlan") {
      const [device] = JSON.parse(execFileSync("ip", ["-n", nodes[0].namespace, "-json", "-details", "link", "show", "flannel.1"], { encoding: "utf8" }));
      assert.equal([device.mtu, device.linkinfo.info_data.id, device.linkinfo.info_data.port, device.linkinfo.info_data.local], [1450, 1, 8472, "198.18.0.1"]);
      // 1450 − 28 bytes of ICMP payload fill the pod MTU; one more with DF set does not fit.
      assert.ok(ping(nodes[0].pod.namespace, nodes[1].pod.address, ["-M", "do", "-s", "1422"]));
      assert.not.ok(ping(nodes[0].pod.namespace, nodes[1].pod.address, ["-M", "do", "-s", "1423"]), "1423-byte DF ping got through");
    }
    // Node 3 leaves: its agent stops (keeping the lease), then the lease is removed from the store;
    // every other node drops its route within a reconcile.
    process.kill(gone.agent.pid!, "SIGTERM");
    await once(gone.agent, "exit");
    const kv = new SqliteKv(storePath);
    await kv.delete(`/coreos.com/network/subnets/${goneSubnet.replace("/", "-")}`);
    await kv.close();
    for (let i = 0; i < 60 && routes(nodes[0].namespace).includes(goneSubnet); i++) await sleep(50);
    assert.not.ok(routes(nodes[0].namespace).includes(goneSubnet), `node 1 still routes ${goneSubnet}: ${nodes[0].log().split("\n").slice(-5).join(" ")}`);
    assert.not.ok(routes(nodes[1].namespace).includes(goneSubnet));
  });
}

test.run();
