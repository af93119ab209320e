// The CNI plugin driven as a runtime drives it (exec with env + stdin) on two nodes with real
// agents: every command in every accepted cniVersion, both modes, pod traffic across nodes, the
// agent down (the client's in-process fallback), bad input, GC, STATUS, delegated host-local IPAM,
// and 100 ADDs and DELs at once. Root only; everything lives in namespaces this test made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, ipJson } from "./namespaces";
import { ping, startCluster, startEchoServer, tcpEcho, waitFor, type Cluster, type ClusterNode } from "./cluster";
import { installPlugin, invoke, invokeAsync, lockIsFree, nodeConfig, reservations, vethNames, type Installed } from "./cni-runtime";

const VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

let cluster: Cluster;
let installed: Installed;
let n1: ClusterNode;
let n2: ClusterNode;
let pods = 0;

const prefixOf = (node: ClusterNode) => /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/24/.exec(readFileSync(node.subnetFile, "utf8"))![1];
const ipamDir = (node: ClusterNode, name = "podnet") => join(installed.directory, `ipam-n${node.index}`, name);
const newPod = () => createNamespace(`cp${++pods}`);

test.before(async () => {
  cluster = await startCluster({ name: "cni", backend: "vxlan", nodes: 2 });
  [n1, n2] = cluster.nodes;
  installed = installPlugin();
});
test.after(cleanupNamespaces);

test("install writes the client, podnet-standalone and a conflist with portmap chained", () => {
  const list = JSON.parse(readFileSync(join(installed.confDir, "10-podnet.conflist"), "utf8"));
  assert.equal(list, {
    cniVersion: "1.0.0",
    name: "podnet",
    plugins: [
      { type: "podnet", mode: "bridge", agentSocket: "/run/podnet/cni.sock", subnetFile: "/run/flannel/subnet.env", ipam: { type: "podnet", dataDir: "/var/lib/cni/networks" } },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  });
  assert.ok(existsSync(join(installed.binDir, "podnet")) && existsSync(join(installed.binDir, "podnet-standalone")));
});

test("VERSION answers in every accepted cniVersion with the full list", () => {
  for (const version of VERSIONS) {
    const result = invoke(installed, n1, { command: "VERSION", config: { cniVersion: version } });
    assert.is(result.status, 0);
    assert.equal(result.json, { cniVersion: version, supportedVersions: VERSIONS });
  }
});

test("bridge mode: ADD, CHECK, DEL in every cniVersion through the agent, results in the requested version", () => {
  const prefix = prefixOf(n1);
  for (const version of VERSIONS) {
    const pod = newPod();
    const containerId = `bridge-${version.replace(/\./g, "")}`;
    const config = nodeConfig(installed, n1, { cniVersion: version });
    const added = invoke(installed, n1, { command: "ADD", containerId, netns: pod, config });
    assert.is(added.status, 0, added.stdout);
    const result = added.json!;
    assert.is(result.cniVersion, version);
    const address = result.ips[0].address as string;
    assert.match(address, new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.\\d+/24$`));
    const legacy = version < "1.0.0";
    assert.equal(result.ips, [{ ...(legacy ? { version: "4" } : {}), address, gateway: `${prefix}.1`, interface: 2 }]);
    assert.equal(result.routes, [{ dst: "0.0.0.0/0", gw: `${prefix}.1` }]);
    assert.equal(result.interfaces.map((entry: { name: string }) => entry.name), ["cni0", result.interfaces[1].name, "eth0"]);
    assert.match(result.interfaces[1].name, /^pnv[0-9a-f]{12}$/);
    const podAddress = address.split("/")[0];
    const mac = `0a:58:${podAddress.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0")).join(":")}`;
    assert.equal(result.interfaces[2], { name: "eth0", mac, sandbox: `/var/run/netns/${pod}`, ...(version === "1.1.0" ? { mtu: 1450 } : {}) });
    // The kernel agrees with the result.
    const eth0 = (ipJson(pod, ["address", "show", "dev", "eth0"]) as any[])[0];
    assert.is(eth0.address, mac);
    assert.is(eth0.mtu, 1450);
    assert.ok(eth0.addr_info.some((entry: any) => entry.local === podAddress && entry.prefixlen === 24));
    const host = (ipJson(n1.namespace, ["-d", "link", "show", "dev", result.interfaces[1].name]) as any[])[0];
    assert.is(host.master, "cni0");
    assert.is(host.linkinfo.info_slave_data.hairpin, true);
    assert.ok(ping(pod, `${prefix}.1`), "pod reaches its gateway");
    assert.is(reservations(ipamDir(n1))[podAddress], `${containerId}/eth0`);

    const checked = invoke(installed, n1, { command: "CHECK", containerId, netns: pod, config: { ...config, prevResult: result } });
    if (version < "0.4.0") {
      assert.is(checked.status, 1);
      assert.equal(checked.json, { cniVersion: version, code: 1, msg: `CHECK needs cniVersion 0.4.0 or later, the config says "${version}"` });
    } else assert.is(checked.status, 0, checked.stdout);

    const deleted = invoke(installed, n1, { command: "DEL", containerId, netns: pod, config: { ...config, prevResult: result } });
    assert.is(deleted.status, 0, deleted.stdout);
    assert.is(deleted.stdout, "");
    assert.is(reservations(ipamDir(n1))[podAddress], undefined);
    assert.equal(vethNames(n1.namespace, result.interfaces[1].name), []);
    assert.equal(vethNames(pod, "eth0"), []);
    assert.is(invoke(installed, n1, { command: "DEL", containerId, netns: pod, config }).status, 0, "DEL again succeeds");
  }
});

test("DEL of an unknown container and of a gone namespace succeeds", () => {
  const config = nodeConfig(installed, n1);
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "never-added", netns: "no-such-namespace", config }).status, 0);
  const pod = newPod();
  const added = invoke(installed, n1, { command: "ADD", containerId: "gone-netns", netns: pod, config });
  assert.is(added.status, 0, added.stdout);
  execFileSync("ip", ["netns", "del", pod]);
  const deleted = invoke(installed, n1, { command: "DEL", containerId: "gone-netns", netns: pod, config });
  assert.is(deleted.status, 0, deleted.stdout);
  assert.is(reservations(ipamDir(n1))[added.json!.ips[0].address.split("/")[0]], undefined);
  assert.equal(vethNames(n1.namespace, added.json!.interfaces[1].name), []);
});

test("a namespace given by process (/proc/PID/ns/net, not a named one) is configured the same way", async () => {
  const pod = newPod();
  const holder = spawn("ip", ["netns", "exec", pod, "sleep", "120"], { stdio: "ignore" });
  const netns = `/proc/${holder.pid}/ns/net`;
  const config = nodeConfig(installed, n1);
  const env = { CNI_NETNS: netns };
  try {
    const inPod = () => {
      try {
        return statSync(netns).ino === statSync(`/var/run/netns/${pod}`).ino;
      } catch {
        return false;
      }
    };
    await waitFor(inPod, 5_000, "sleep in the pod's namespace");
    const added = invoke(installed, n1, { command: "ADD", containerId: "by-pid", config, env });
    assert.is(added.status, 0, added.stdout);
    const address = added.json!.ips[0].address as string;
    assert.equal(added.json!.interfaces[2], { name: "eth0", mac: added.json!.interfaces[2].mac, sandbox: netns, mtu: 1450 });
    const [eth0] = ipJson(pod, ["-4", "address", "show", "dev", "eth0"]) as any[];
    assert.equal(eth0.addr_info.map((info: any) => `${info.local}/${info.prefixlen}`), [address]);
    assert.is(invoke(installed, n1, { command: "CHECK", containerId: "by-pid", config: { ...config, prevResult: added.json }, env }).status, 0);
    assert.is(invoke(installed, n1, { command: "DEL", containerId: "by-pid", config, env }).status, 0);
    assert.equal((ipJson(pod, ["link", "show"]) as any[]).filter((link) => link.ifname === "eth0"), []);
  } finally {
    invoke(installed, n1, { command: "DEL", containerId: "by-pid", config, env });
    holder.kill();
  }
});

test("routed mode: cali veth with ee:ee:ee:ee:ee:ee and proxy ARP, /32 host route, pod via 169.254.1.1; traffic to a bridge pod on the other node", async () => {
  const routedPod = newPod();
  const config = nodeConfig(installed, n2, { mode: "routed" });
  const added = invoke(installed, n2, { command: "ADD", containerId: "routed-1", netns: routedPod, config });
  assert.is(added.status, 0, added.stdout);
  const result = added.json!;
  const address = result.ips[0].address.split("/")[0];
  const hostName = result.interfaces[0].name;
  assert.match(hostName, /^cali[0-9a-f]{11}$/);
  assert.equal(result.interfaces[0], { name: hostName, mac: "ee:ee:ee:ee:ee:ee" });
  assert.equal(result.ips, [{ address: `${address}/32`, interface: 1 }]);
  assert.equal(result.routes, [{ dst: "0.0.0.0/0", gw: "169.254.1.1" }]);
  assert.is(execFileSync("ip", ["netns", "exec", n2.namespace, "cat", `/proc/sys/net/ipv4/conf/${hostName}/proxy_arp`], { encoding: "utf8" }).trim(), "1");
  assert.equal(ipJson(n2.namespace, ["route", "show", "dev", hostName]), [{ dst: address, scope: "link", flags: [] }]);
  assert.equal((ipJson(routedPod, ["route", "show"]) as any[]).map((route) => `${route.dst} ${route.gateway ?? route.scope}`), ["default 169.254.1.1", "169.254.1.1 link"]);
  assert.is(invoke(installed, n2, { command: "CHECK", containerId: "routed-1", netns: routedPod, config: { ...config, prevResult: result } }).status, 0);

  const bridgePod = newPod();
  const bridged = invoke(installed, n1, { command: "ADD", containerId: "bridge-peer", netns: bridgePod, config: nodeConfig(installed, n1) });
  assert.is(bridged.status, 0, bridged.stdout);
  const bridgeAddress = bridged.json!.ips[0].address.split("/")[0];
  await startEchoServer(routedPod);
  await startEchoServer(bridgePod);
  assert.ok(ping(bridgePod, address), "bridge pod on node 1 → routed pod on node 2");
  assert.ok(ping(routedPod, bridgeAddress), "routed pod → bridge pod");
  assert.ok(tcpEcho(bridgePod, address), "TCP bridge → routed");
  assert.ok(tcpEcho(routedPod, bridgeAddress), "TCP routed → bridge");

  assert.is(invoke(installed, n2, { command: "DEL", containerId: "routed-1", netns: routedPod, config }).status, 0);
  assert.equal(ipJson(n2.namespace, ["route", "show", `${address}/32`]), []);
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "bridge-peer", netns: bridgePod, config: nodeConfig(installed, n1) }).status, 0);
});

test("CHECK finds a pod address that went missing and names it", () => {
  const pod = newPod();
  const config = nodeConfig(installed, n1);
  const added = invoke(installed, n1, { command: "ADD", containerId: "check-me", netns: pod, config });
  const address = added.json!.ips[0].address as string;
  execFileSync("ip", ["-n", pod, "address", "del", address, "dev", "eth0"]);
  const checked = invoke(installed, n1, { command: "CHECK", containerId: "check-me", netns: pod, config: { ...config, prevResult: added.json } });
  assert.is(checked.status, 1);
  assert.equal(checked.json, { cniVersion: "1.1.0", code: 101, msg: `eth0 in /var/run/netns/${pod} lacks ${address}` });
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "check-me", netns: pod, config }).status, 0);
});

test("bad input: each gets the spec's code and a message naming the problem; nothing is left behind", () => {
  const pod = newPod();
  const config = nodeConfig(installed, n1);
  const before = { addresses: reservations(ipamDir(n1)), links: vethNames(n1.namespace, "pnv") };
  const cases: Array<[string, Parameters<typeof invoke>[2], number, string]> = [
    ["malformed JSON", { command: "ADD", containerId: "bad", netns: pod, config: '{"cniVersion": "1.0.0", "name": ' }, 6, "cannot decode the network config on stdin: "],
    ["missing name", { command: "ADD", containerId: "bad", netns: pod, config: { ...config, name: undefined } }, 7, "name is missing from the network config"],
    ["unknown cniVersion", { command: "ADD", containerId: "bad", netns: pod, config: { ...config, cniVersion: "9.9.9" } }, 1, 'cniVersion "9.9.9" is not supported; podnet supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0'],
    ["unknown mode", { command: "ADD", containerId: "bad", netns: pod, config: { ...config, mode: "overlay" } }, 2, 'mode "overlay" is not supported: use "bridge" or "routed"'],
    ["netns that does not exist", { command: "ADD", containerId: "bad", netns: "no-such-pod", config }, 4, 'CNI_NETNS "/var/run/netns/no-such-pod" is not a network namespace (no such file, or not an nsfs mount)'],
    ["missing CNI_CONTAINERID", { command: "ADD", netns: pod, ifName: "eth0", config }, 4, "CNI_CONTAINERID is not set (needed for ADD)"],
    ["unknown command", { command: "REMOVE", config }, 4, 'CNI_COMMAND "REMOVE" is not one of ADD, DEL, CHECK, STATUS, GC, VERSION'],
    ["bad ipam range", { command: "ADD", containerId: "bad", netns: pod, config: nodeConfig(installed, n1, { ipam: { rangeStart: "10.9.9.9" } }) }, 7, "ipam.rangeStart 10.9.9.9 is not a usable address of the node's subnet"],
  ];
  for (const [what, invocation, code, message] of cases) {
    const result = invoke(installed, n1, invocation);
    assert.is(result.status, 1, what);
    assert.is(result.json!.code, code, `${what}: ${result.stdout}`);
    assert.ok((result.json!.msg as string).startsWith(message), `${what}: ${result.json!.msg}`);
  }
  assert.equal(reservations(ipamDir(n1)), before.addresses);
  assert.equal(vethNames(n1.namespace, "pnv"), before.links);
  assert.equal(vethNames(pod, ""), []);
});

test("an exhausted range answers 11 (try again later), naming the range; the failed ADD leaves nothing", () => {
  const prefix = prefixOf(n1);
  const config = nodeConfig(installed, n1, { name: "tiny", ipam: { rangeStart: `${prefix}.250`, rangeEnd: `${prefix}.250` } });
  const first = newPod();
  assert.is(invoke(installed, n1, { command: "ADD", containerId: "tiny-1", netns: first, config }).status, 0);
  const second = newPod();
  const refused = invoke(installed, n1, { command: "ADD", containerId: "tiny-2", netns: second, config });
  assert.is(refused.status, 1);
  assert.equal(refused.json, { cniVersion: "1.1.0", code: 11, msg: `no free address in ${prefix}.0/24: all 1 of ${prefix}.250–${prefix}.250 are in use` });
  assert.equal(reservations(ipamDir(n1, "tiny")), { [`${prefix}.250`]: "tiny-1/eth0" });
  assert.equal(vethNames(second, ""), []);
  const status = invoke(installed, n1, { command: "STATUS", config });
  assert.equal(status.json, { cniVersion: "1.1.0", code: 50, msg: `no free address left in ${prefix}.0/24` });
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "tiny-1", netns: first, config }).status, 0);
  assert.is(invoke(installed, n1, { command: "STATUS", config }).status, 0);
});

test("an ADD the kernel refuses after the veth and the address exist is rolled back: no veth, no reservation, code 100 with ip's message", () => {
  const pod = newPod();
  // The pod's namespace already has a default route, so the plugin's own `route add default` fails
  // last, after the veth pair exists on both sides and the address is reserved and configured.
  execFileSync("ip", ["-n", pod, "route", "add", "default", "dev", "lo"]);
  const config = nodeConfig(installed, n1);
  const before = { addresses: reservations(ipamDir(n1)), links: vethNames(n1.namespace, "pnv") };
  const refused = invoke(installed, n1, { command: "ADD", containerId: "refused", netns: pod, config });
  assert.is(refused.status, 1);
  assert.is(refused.json!.code, 100, refused.stdout);
  assert.is(refused.json!.msg, `cannot attach eth0 in /var/run/netns/${pod}`);
  assert.match(refused.json!.details as string, new RegExp(`\\(in /var/run/netns/${pod}\\) route add default via \\d+\\.\\d+\\.\\d+\\.1 dev eth0: RTNETLINK answers: File exists`));
  assert.equal(reservations(ipamDir(n1)), before.addresses);
  assert.equal(vethNames(n1.namespace, "pnv"), before.links);
  assert.equal(vethNames(pod, ""), []);
  // DEL after the failed ADD (as a runtime sends one) still succeeds.
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "refused", netns: pod, config }).status, 0);
});

test("STATUS: ready through the agent; 50 without a subnet lease; 51 in-process when the agent does not answer", () => {
  const config = nodeConfig(installed, n1);
  const ready = invoke(installed, n1, { command: "STATUS", config });
  assert.is(ready.status, 0, ready.stdout);
  assert.is(ready.stdout, "");
  const noLease = invoke(installed, n1, { command: "STATUS", config: { ...config, subnetFile: "/nonexistent/subnet.env" } });
  assert.is(noLease.json!.code, 50);
  assert.ok(noLease.json!.msg.startsWith("no subnet lease yet: cannot read /nonexistent/subnet.env"));
  const agentGone = invoke(installed, n1, { command: "STATUS", config: { ...config, agentSocket: "/nonexistent/cni.sock" } });
  assert.equal(agentGone.json, { cniVersion: "1.1.0", code: 51, msg: "the podnet agent is not answering on /nonexistent/cni.sock: pods can be added, but routes to new nodes are not being learned" });
  const old = invoke(installed, n1, { command: "STATUS", config: { ...config, cniVersion: "1.0.0" } });
  assert.equal(old.json, { cniVersion: "1.0.0", code: 1, msg: 'STATUS needs cniVersion 1.1.0 or later, the config says "1.0.0"' });
});

test("GC removes the reservations and host veths of attachments not in cni.dev/valid-attachments", () => {
  const config = nodeConfig(installed, n1, { name: "gc" });
  const keep = newPod();
  const drop = newPod();
  const kept = invoke(installed, n1, { command: "ADD", containerId: "gc-keep", netns: keep, config }).json!;
  const dropped = invoke(installed, n1, { command: "ADD", containerId: "gc-drop", netns: drop, config }).json!;
  const collected = invoke(installed, n1, { command: "GC", config: { ...config, "cni.dev/valid-attachments": [{ containerID: "gc-keep", ifname: "eth0" }] } });
  assert.is(collected.status, 0, collected.stdout);
  assert.equal(reservations(ipamDir(n1, "gc")), { [kept.ips[0].address.split("/")[0]]: "gc-keep/eth0" });
  assert.equal(vethNames(n1.namespace, dropped.interfaces[1].name), []);
  assert.equal(vethNames(n1.namespace, kept.interfaces[1].name), [kept.interfaces[1].name]);
  const missingList = invoke(installed, n1, { command: "GC", config });
  assert.equal(missingList.json, { cniVersion: "1.1.0", code: 7, msg: "cni.dev/valid-attachments is missing: GC needs the list of attachments to keep" });
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "gc-keep", netns: keep, config }).status, 0);
});

test("delegated IPAM: ipam.type host-local runs Debian's host-local in the node's subnet; DEL releases", () => {
  const prefix = prefixOf(n1);
  const pod = newPod();
  const config = nodeConfig(installed, n1, { name: "delegated", ipam: { type: "host-local" } });
  const added = invoke(installed, n1, { command: "ADD", containerId: "hl-1", netns: pod, config });
  assert.is(added.status, 0, added.stdout);
  assert.equal(added.json!.ips, [{ address: `${prefix}.2/24`, gateway: `${prefix}.1`, interface: 2 }]);
  assert.equal(reservations(ipamDir(n1, "delegated")), { [`${prefix}.2`]: "hl-1/eth0" });
  assert.ok(ping(pod, `${prefix}.1`));
  const deleted = invoke(installed, n1, { command: "DEL", containerId: "hl-1", netns: pod, config });
  assert.is(deleted.status, 0, deleted.stdout);
  assert.equal(reservations(ipamDir(n1, "delegated")), {});
});

test("agent down: the client runs podnet-standalone in-process; ADD, CHECK, DEL all work; the agent takes over again", async () => {
  const config = nodeConfig(installed, n1);
  const exited = once(n1.agent, "exit");
  n1.agent.kill("SIGTERM");
  await exited;
  const pod = newPod();
  const added = invoke(installed, n1, { command: "ADD", containerId: "offline", netns: pod, config });
  assert.is(added.status, 0, added.stdout);
  assert.is(invoke(installed, n1, { command: "CHECK", containerId: "offline", netns: pod, config: { ...config, prevResult: added.json } }).status, 0);
  assert.is(invoke(installed, n1, { command: "STATUS", config }).json!.code, 51);
  assert.is(invoke(installed, n1, { command: "DEL", containerId: "offline", netns: pod, config }).status, 0);
  assert.equal(reservations(ipamDir(n1)), {});
  cluster.startAgent(n1);
  await waitFor(() => n1.log().includes("serving the CNI plugin"), 10_000, "agent back");
  assert.is(invoke(installed, n1, { command: "STATUS", config }).status, 0);
  await waitFor(() => n1.log().includes('"peer added"'), 10_000, "agent has its peer again");
});

test("a hung agent (SIGSTOP) does not hold up DEL: after agentTimeoutSeconds the client runs the plugin in-process", () => {
  const pod = newPod();
  const config = nodeConfig(installed, n1, { agentTimeoutSeconds: 1 });
  const added = invoke(installed, n1, { command: "ADD", containerId: "hung", netns: pod, config });
  assert.is(added.status, 0, added.stdout);
  const address = (added.json!.ips[0].address as string).split("/")[0];
  process.kill(n1.agent.pid!, "SIGSTOP");
  try {
    const deleted = invoke(installed, n1, { command: "DEL", containerId: "hung", netns: pod, config });
    assert.is(deleted.status, 0, deleted.stdout);
    // One second of waiting for the stopped agent, then the in-process plugin (~0.1–0.3 s).
    assert.ok(deleted.milliseconds >= 1000 && deleted.milliseconds < 5000, `DEL took ${deleted.milliseconds} ms`);
    assert.not.ok(address in reservations(ipamDir(n1)), "the address is released");
    assert.equal(vethNames(pod, ""), []);
  } finally {
    process.kill(n1.agent.pid!, "SIGCONT");
  }
  // The agent, resumed, answers the DEL it was sent while stopped (idempotent) and serves again.
  assert.is(invoke(installed, n1, { command: "STATUS", config }).status, 0);
});

test("100 ADDs at once through the agent: 100 distinct addresses, no lock left held; 100 DELs release everything", async () => {
  const config = nodeConfig(installed, n1, { name: "many" });
  const namespaces = Array.from({ length: 100 }, () => newPod());
  const added = await Promise.all(namespaces.map((pod, index) => invokeAsync(installed, n1, { command: "ADD", containerId: `many-${index}`, netns: pod, config })));
  const failures = added.filter((result) => result.status !== 0).map((result) => result.stdout);
  assert.equal(failures, []);
  const addresses = new Set(added.map((result) => result.json!.ips[0].address));
  assert.is(addresses.size, 100);
  assert.is(Object.keys(reservations(ipamDir(n1, "many"))).length, 100);
  assert.ok(lockIsFree(join(ipamDir(n1, "many"), "lock")), "no lock left held");
  assert.is(vethNames(n1.namespace, "pnv").length, 100);
  const deleted = await Promise.all(namespaces.map((pod, index) => invokeAsync(installed, n1, { command: "DEL", containerId: `many-${index}`, netns: pod, config })));
  assert.equal(deleted.filter((result) => result.status !== 0).map((result) => result.stdout), []);
  assert.equal(reservations(ipamDir(n1, "many")), {});
  assert.equal(vethNames(n1.namespace, "pnv"), []);
  assert.ok(lockIsFree(join(ipamDir(n1, "many"), "lock")));
});

test.run();
