// podnet under the CNI project's own client: libcni (what containerd, CRI-O and Podman call),
// built offline from Debian's golang-github-appc-cni-dev into test/cni-runner, running podnet's
// conflist with Debian's portmap, bandwidth and tuning chained after it on two nodes: results,
// prevResult passed down the chain, pod traffic across nodes, a host port, CHECK and DEL.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupNamespaces, createNamespace, ipJson } from "./namespaces";
import { ping, startCluster, startEchoServer, tcpEcho, type Cluster, type ClusterNode } from "./cluster";
import { installPlugin, reservations, vethNames, type Installed } from "./cni-runtime";

let cluster: Cluster;
let runner: string;
const installs = new Map<ClusterNode, Installed & { conflist: string; cache: string }>();

/** Builds test/cni-runner with Debian's Go in GOPATH mode against Debian's libcni source: no network. */
function buildRunner(): string {
  const gopath = mkdtempSync(join(tmpdir(), "podnet-gopath-"));
  mkdirSync(join(gopath, "src", "runner"), { recursive: true });
  copyFileSync(fileURLToPath(new URL("../cni-runner/main.go", import.meta.url)), join(gopath, "src", "runner", "main.go"));
  execFileSync("go", ["build", "-o", join(gopath, "runner"), "."], {
    cwd: join(gopath, "src", "runner"),
    env: { ...process.env, GO111MODULE: "off", GOPATH: `${gopath}:/usr/share/gocode`, GOCACHE: join(gopath, "cache"), GOFLAGS: "" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return join(gopath, "runner");
}

/** Installs podnet for `node` with portmap, bandwidth and tuning chained; tuning sets a per-netns sysctl. */
function installFor(node: ClusterNode): void {
  const installed = installPlugin(["--subnet-file", node.subnetFile, "--agent-socket", node.cniSocket, "--chain", "portmap,bandwidth,tuning"]);
  const conflist = join(installed.confDir, "10-podnet.conflist");
  const list = JSON.parse(readFileSync(conflist, "utf8"));
  list.plugins[0].ipam.dataDir = join(installed.directory, "ipam");
  list.plugins[3].sysctl = { "net.core.somaxconn": "512" };
  writeFileSync(conflist, JSON.stringify(list));
  installs.set(node, { ...installed, conflist, cache: join(installed.directory, "cache") });
}

/** portmap's per-container chain suffix: sha512 of network name + container ID, hex, first 21 (the chain name stays within 28). */
function portmapChainHash(containerId: string): string {
  return createHash("sha512").update(`podnet${containerId}`).digest("hex").slice(0, 21);
}

function libcni(node: ClusterNode, command: "add" | "check" | "del", containerId: string, pod: string, capabilities?: unknown, conflist?: string): { status: number | null; stdout: string } {
  const install = installs.get(node)!;
  const args = [command, conflist ?? install.conflist, containerId, `/var/run/netns/${pod}`, "eth0", `${install.binDir}:/usr/lib/cni`, install.cache, ...(capabilities ? [JSON.stringify(capabilities)] : [])];
  const result = spawnSync("ip", ["netns", "exec", node.namespace, runner, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout };
}

test.before(async () => {
  runner = buildRunner();
  cluster = await startCluster({ name: "libcni", backend: "vxlan", nodes: 2 });
  for (const node of cluster.nodes) installFor(node);
});
test.after(cleanupNamespaces);

test("libcni AddNetworkList → CheckNetworkList → DelNetworkList on podnet + portmap + bandwidth + tuning", async () => {
  const [n1, n2] = cluster.nodes;
  const pod1 = createNamespace("lp1");
  const pod2 = createNamespace("lp2");
  const capabilities = {
    portMappings: [{ hostPort: 7000, containerPort: 7000, protocol: "tcp" }],
    bandwidth: { ingressRate: 200_000_000, ingressBurst: 20_000_000, egressRate: 200_000_000, egressBurst: 20_000_000 },
  };
  const added = libcni(n1, "add", "libcni-1", pod1, capabilities);
  assert.is(added.status, 0, added.stdout);
  const result = JSON.parse(added.stdout);
  const prefix = /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1/.exec(readFileSync(n1.subnetFile, "utf8"))![1];
  assert.is(result.cniVersion, "1.0.0");
  assert.equal(result.ips, [{ address: `${prefix}.2/24`, gateway: `${prefix}.1`, interface: 2 }]);
  const hostVeth = result.interfaces[1].name as string;
  assert.equal(result.interfaces.map((entry: { name: string }) => entry.name).slice(0, 3), ["cni0", hostVeth, "eth0"]);
  // tuning got the prevResult and set the sysctl inside the pod.
  assert.is(execFileSync("ip", ["netns", "exec", pod1, "sysctl", "-n", "net.core.somaxconn"], { encoding: "utf8" }).trim(), "512");
  // bandwidth found the host end through prevResult: a token bucket on it, and its ifb for egress.
  const qdiscs = JSON.parse(execFileSync("tc", ["-n", n1.namespace, "-j", "qdisc", "show", "dev", hostVeth], { encoding: "utf8" })) as Array<{ kind: string }>;
  assert.ok(qdiscs.some((qdisc) => qdisc.kind === "tbf"), JSON.stringify(qdiscs));
  assert.ok((ipJson(n1.namespace, ["link", "show", "type", "ifb"]) as unknown[]).length === 1);

  const other = libcni(n2, "add", "libcni-2", pod2);
  assert.is(other.status, 0, other.stdout);
  const otherAddress = JSON.parse(other.stdout).ips[0].address.split("/")[0];
  await startEchoServer(pod1);
  await startEchoServer(pod2);
  assert.ok(ping(pod1, otherAddress), "pod on node 1 → pod on node 2");
  assert.ok(tcpEcho(pod2, `${prefix}.2`), "TCP pod on node 2 → pod on node 1");
  // portmap: node 1's address, port 7000, reaches the pod's echo server from the other node.
  assert.ok(tcpEcho(n2.namespace, n1.publicIp), "host port 7000 on node 1 → pod");

  // A runtime passes the same runtime config (capability args) to CHECK and DEL as to ADD. Debian's
  // portmap (1.1.1) fails every CHECK of an IPv4-only attachment looking for an IPv6 chain it never
  // made (containernetworking/plugins#819, fixed upstream later); libcni runs the chain in order,
  // so reaching portmap's error means podnet's CHECK passed, and without portmap the rest passes.
  const checked = libcni(n1, "check", "libcni-1", pod1, capabilities);
  assert.is(checked.stdout.trim(), `could not check ipv6 dnat: chain CNI-DN-${portmapChainHash("libcni-1")} not found in iptables table nat`);
  const install = installs.get(n1)!;
  const withoutPortmap = JSON.parse(readFileSync(install.conflist, "utf8"));
  withoutPortmap.plugins.splice(1, 1);
  writeFileSync(join(install.confDir, "check.conflist"), JSON.stringify(withoutPortmap));
  const checkedRest = libcni(n1, "check", "libcni-1", pod1, capabilities, join(install.confDir, "check.conflist"));
  assert.is(checkedRest.status, 0, checkedRest.stdout);
  // CHECK catches a change: the pod's address removed → podnet's CHECK error through libcni.
  execFileSync("ip", ["-n", pod1, "address", "del", `${prefix}.2/24`, "dev", "eth0"]);
  const broken = libcni(n1, "check", "libcni-1", pod1, capabilities, join(install.confDir, "check.conflist"));
  assert.is(broken.stdout.trim(), `eth0 in /var/run/netns/${pod1} lacks ${prefix}.2/24`);

  const deleted = libcni(n1, "del", "libcni-1", pod1, capabilities);
  assert.is(deleted.status, 0, deleted.stdout);
  assert.equal(reservations(join(installs.get(n1)!.directory, "ipam", "podnet")), {});
  assert.equal(vethNames(n1.namespace, "pnv"), []);
  assert.equal(ipJson(n1.namespace, ["link", "show", "type", "ifb"]), []);
  const nat = execFileSync("ip", ["netns", "exec", n1.namespace, "iptables-save", "-t", "nat"], { encoding: "utf8" });
  assert.not.match(nat, /libcni-1/);
  assert.is(libcni(n1, "del", "libcni-1", pod1, capabilities).status, 0, "DelNetworkList again succeeds");
  assert.is(libcni(n2, "del", "libcni-2", pod2).status, 0);
});

test.run();
