// The CNI plugin's logic without root or namespaces: runPlugin with the environment and stdin
// passed in, a subnet file and IPAM directory in a temporary directory, and a fake kernel that
// records what the plugin would change (and refuses what a test says). The pod's namespace is this
// process's own (/proc/self/ns/net is an nsfs path any user may name); nothing is applied to it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlugin } from "../../host/cni/plugin";
import { writeSubnetFile } from "../../host/shared/subnet-file";
import { FakeKernel } from "../helpers/fake-kernel";

const directory = mkdtempSync(join(tmpdir(), "podnet-cni-unit-"));
const subnetFile = join(directory, "subnet.env");
writeSubnetFile(subnetFile, { network: "10.244.0.0/16", subnet: "10.244.7.0/24", mtu: 1450, ipMasquerade: false });
const NETNS = "/proc/self/ns/net";

const config = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: "1.0.0", name: "unit", type: "podnet", subnetFile, ipam: { type: "podnet", dataDir: join(directory, "ipam") }, ...fields });
const env = (command: string, containerId = "c1") => ({ CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: NETNS, CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" });
const reserved = () => readdirSync(join(directory, "ipam", "unit")).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name));

test.after(() => rmSync(directory, { recursive: true, force: true }));

test("bridge ADD makes the bridge, the veth pair and the pod's address and route, and answers the result", async () => {
  const kernel = new FakeKernel();
  const output = await runPlugin({ env: env("ADD"), stdin: config() }, { servedByAgent: true, kernel });
  assert.is(output.exitCode, 0, output.stdout);
  const result = JSON.parse(output.stdout);
  assert.equal(result.ips, [{ address: "10.244.7.2/24", gateway: "10.244.7.1", interface: 2 }]);
  assert.equal(result.routes, [{ dst: "0.0.0.0/0", gw: "10.244.7.1" }]);
  assert.is(result.interfaces[2].mac, "0a:58:0a:f4:07:02");
  const host = result.interfaces[1].name as string;
  assert.match(host, /^pnv[0-9a-f]{12}$/);
  assert.equal(kernel.commands().slice(1), [
    `link add ${host} mtu 1450 address ${result.interfaces[1].mac} type veth peer name eth0 mtu 1450 address 0a:58:0a:f4:07:02 netns ${NETNS}`,
    "address replace 10.244.7.1/24 dev cni0",
    "link set cni0 up",
    `link set ${host} master cni0`,
    `link set ${host} type bridge_slave hairpin on`,
    `link set ${host} up`,
    `[${NETNS}] link set lo up`,
    `[${NETNS}] address add 10.244.7.2/24 dev eth0`,
    `[${NETNS}] link set eth0 up`,
    `[${NETNS}] route add default via 10.244.7.1 dev eth0`,
  ]);
  assert.match(kernel.commands()[0], /^link add cni0 address [0-9a-f:]{17} type bridge$/);
  assert.equal(reserved(), ["10.244.7.2"]);
  const deleted = await runPlugin({ env: env("DEL"), stdin: config() }, { servedByAgent: true, kernel });
  assert.is(deleted.exitCode, 0);
  assert.equal(reserved(), []);
});

test("a pod-side command the kernel refuses rolls the ADD back: host veth deleted, address released, code 100 with the kernel's words", async () => {
  const kernel = new FakeKernel();
  kernel.refuse = (command, netns) => (netns && command.startsWith("route add default") ? "RTNETLINK answers: File exists" : undefined);
  const output = await runPlugin({ env: env("ADD", "refused"), stdin: config() }, { servedByAgent: true, kernel });
  assert.is(output.exitCode, 1);
  const error = JSON.parse(output.stdout);
  assert.equal([error.code, error.msg], [100, `cannot attach eth0 in ${NETNS}`]);
  assert.is(error.details, `(in ${NETNS}) route add default via 10.244.7.1 dev eth0: RTNETLINK answers: File exists`);
  const commands = kernel.commands();
  const host = /^link add (pnv[0-9a-f]+) /.exec(commands.find((command) => command.startsWith("link add pnv"))!)![1];
  assert.is(commands[commands.length - 1], `link del ${host}`);
  assert.equal(reserved(), []);
});

test("routed ADD: cali veth with ee:ee:ee:ee:ee:ee, /32 route to the pod, proxy ARP by sysctl, pod via 169.254.1.1", async () => {
  const kernel = new FakeKernel();
  const output = await runPlugin({ env: env("ADD", "routed"), stdin: config({ mode: "routed" }) }, { servedByAgent: true, kernel });
  assert.is(output.exitCode, 0, output.stdout);
  const result = JSON.parse(output.stdout);
  const host = result.interfaces[0].name as string;
  assert.equal(result.interfaces[0], { name: host, mac: "ee:ee:ee:ee:ee:ee" });
  // host-local's order: the next address after the last one handed out (.2, then .3 in the test before).
  assert.equal(result.ips, [{ address: "10.244.7.4/32", interface: 1 }]);
  assert.ok(kernel.commands().includes(`route replace 10.244.7.4/32 dev ${host} scope link`));
  assert.ok(kernel.commands().includes(`[${NETNS}] route add default via 169.254.1.1 dev eth0`));
  assert.equal(kernel.sysctls, [[`net/ipv4/conf/${host}/proxy_arp`, "1"], [`net/ipv4/neigh/${host}/proxy_delay`, "0"]]);
  assert.is((await runPlugin({ env: env("DEL", "routed"), stdin: config({ mode: "routed" }) }, { servedByAgent: true, kernel })).exitCode, 0);
});

test("DEL of a container whose veth is already gone succeeds, twice", async () => {
  const kernel = new FakeKernel();
  kernel.refuse = (command) => (command.startsWith("link del") ? 'Cannot find device "pnv0"' : undefined);
  for (let i = 0; i < 2; i++) assert.is((await runPlugin({ env: env("DEL", "never-added"), stdin: config() }, { servedByAgent: true, kernel })).exitCode, 0);
});

test("config, version and environment errors are answered with the spec's codes before the kernel is touched", async () => {
  const kernel = new FakeKernel();
  const cases: Array<[Record<string, string>, string, number, string]> = [
    [env("ADD"), "{", 6, "cannot decode the network config on stdin"],
    [env("ADD"), config({ cniVersion: "0.2.0" }), 1, 'cniVersion "0.2.0" is not supported'],
    [env("ADD"), config({ mode: "overlay" }), 2, 'mode "overlay" is not supported'],
    [env("ADD"), config({ agentTimeoutSeconds: 0 }), 7, "agentTimeoutSeconds must be a whole number from 1 to 3600, got 0"],
    [{ ...env("ADD"), CNI_NETNS: directory }, config(), 4, `CNI_NETNS "${directory}" is not a network namespace`],
    [{ CNI_COMMAND: "ADD" }, config(), 4, "CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH are not set (needed for ADD)"],
    [env("CHECK"), config({ cniVersion: "0.3.1" }), 1, "CHECK"],
    // Interface names as the kernel measures them: bytes, and its refused characters.
    [{ ...env("ADD"), CNI_IFNAME: "eth\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" }, config(), 4, 'CNI_IFNAME "ethééééééé" is not a valid interface name: 17 bytes, the kernel allows 15'],
    [{ ...env("ADD"), CNI_IFNAME: "eth%d" }, config(), 4, 'CNI_IFNAME "eth%d" is not a valid interface name: the kernel refuses "%" in a name'],
    [{ ...env("ADD"), CNI_IFNAME: "eth\t0" }, config(), 4, 'CNI_IFNAME "eth\\t0" is not a valid interface name: the kernel refuses "\\t" in a name'],
    [{ ...env("DEL"), CNI_IFNAME: "a:b" }, config(), 4, 'CNI_IFNAME "a:b" is not a valid interface name: the kernel refuses ":" in a name'],
  ];
  for (const [environment, stdin, code, message] of cases) {
    const output = await runPlugin({ env: environment, stdin }, { servedByAgent: true, kernel });
    const error = JSON.parse(output.stdout);
    assert.is(output.exitCode, 1);
    assert.is(error.code, code, `${message}: ${output.stdout}`);
    assert.ok((error.msg as string).includes(message), `${error.msg} names ${message}`);
  }
  assert.equal(kernel.batches, []);
  const version = await runPlugin({ env: { CNI_COMMAND: "VERSION" }, stdin: "" }, { servedByAgent: false, kernel });
  assert.equal(JSON.parse(version.stdout), { cniVersion: "1.1.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
});

test.run();
