// Calico mode's backend over a kernel that records commands: blackholes for local blocks, plain
// routes on the segment, routes to nodes off it through the underlay's gateway, and IPIP routes
// through the kernel's tunl0 once the tunnel has its address (the kernel path this machine, with no
// ipip module, cannot run in the netns suites).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AgentMetrics } from "../../host/agent/metrics";
import { createLogger } from "../../host/agent/log";
import { createBackend } from "../../host/backend/registry";
import { LOCAL_BLOCK, RoutedBackend, VIA_IPIP } from "../../host/backend/routed";
import { FakeKernel } from "../helpers/fake-kernel";

function kernelBackend(): { kernel: FakeKernel; backend: RoutedBackend } {
  const kernel = new FakeKernel();
  kernel.routeTable = [{ dst: "198.18.0.0/24", dev: "eth0", scope: 253, protocol: 2, type: 1 }];
  kernel.routesTo.set("198.18.1.3", { gateway: "198.18.0.254", dev: "eth0" });
  const backend = createBackend("bgp", { log: createLogger("json", "silent"), metrics: new AgentMetrics(), kernel, userspace: false, kernelHasIpip: () => true }) as RoutedBackend;
  return { kernel, backend };
}

const local = { tunnelAddress: "198.18.0.1", publicIp: "198.18.0.1", interfaceName: "eth0", underlayMtu: 1500 };

test("blackhole for a local block, a plain route on the segment, and through the gateway to a node off it", async () => {
  const { kernel, backend } = kernelBackend();
  await backend.setup(local);
  const failures = await backend.addRoutes([
    { prefix: "10.244.1.0/26", nodeIp: "198.18.0.1", backendData: { ...LOCAL_BLOCK } },
    { prefix: "10.244.2.0/26", nodeIp: "198.18.0.2", backendData: null },
    { prefix: "10.244.3.0/26", nodeIp: "198.18.1.3", backendData: null },
    { prefix: "10.244.4.0/26", nodeIp: "198.18.2.4", backendData: null },
  ]);
  assert.equal(kernel.commands(), [
    "route replace blackhole 10.244.1.0/26 proto 107",
    "route replace 10.244.2.0/26 via 198.18.0.2 dev eth0 proto 107",
    "route replace 10.244.3.0/26 via 198.18.0.254 dev eth0 proto 107",
  ]);
  assert.equal(failures.map((failure) => [failure.route.prefix, failure.reason, failure.message]), [
    ["10.244.4.0/26", "not-on-link", "no route to node 198.18.2.4 through a gateway (it announced 10.244.4.0/26)"],
  ]);
});

test("IPIP routes fail until the tunnel has an address, then go through the kernel's tunl0 (MTU 1480, onlink)", async () => {
  const { kernel, backend } = kernelBackend();
  await backend.setup(local);
  const route = { prefix: "10.244.3.0/26", nodeIp: "198.18.1.3", backendData: { ...VIA_IPIP } };
  const before = await backend.addRoutes([route]);
  assert.equal(before.map((failure) => failure.message), ["the IPIP tunnel has no address yet (an address of one of this node's blocks)"]);
  assert.equal(kernel.commands(), []);
  await backend.useTunnelAddress("10.244.1.0");
  assert.equal(await backend.addRoutes([route]), []);
  assert.equal(kernel.commands(), [
    "address replace 10.244.1.0/32 dev tunl0",
    "link set tunl0 mtu 1480 up",
    "route replace 10.244.3.0/26 via 198.18.1.3 dev tunl0 onlink proto 107",
  ]);
  assert.equal(backend.tunnelDevice, { kind: "kernel", device: "tunl0" });
  // CrossSubnet turned off for that node: the same prefix becomes a plain route again.
  await backend.addRoutes([{ ...route, backendData: null }]);
  assert.is(kernel.commands().at(-1), "route replace 10.244.3.0/26 via 198.18.0.254 dev eth0 proto 107");
});

test("a tunnel the kernel refuses fails its routes with the kernel's words and is tried again next time", async () => {
  const { kernel, backend } = kernelBackend();
  kernel.refuse = (command) => (command.includes("dev tunl0") && command.startsWith("address") ? 'Cannot find device "tunl0"' : undefined);
  await backend.useTunnelAddress("10.244.1.0");
  await backend.setup(local);
  const route = { prefix: "10.244.3.0/26", nodeIp: "198.18.1.3", backendData: { ...VIA_IPIP } };
  const [failure] = await backend.addRoutes([route]);
  assert.match(failure.message, 'the IPIP tunnel could not be opened: ');
  assert.match(failure.message, 'Cannot find device "tunl0"');
  kernel.refuse = () => undefined;
  assert.equal(await backend.addRoutes([route]), []);
});

test.run();
