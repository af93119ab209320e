// Which backend the agent runs: the registry's choice for each name, --userspace, and the
// automatic fall-back to userspace VXLAN when the kernel has no vxlan module.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AgentMetrics } from "../../host/agent/metrics.js";
import { createLogger } from "../../host/agent/log.js";
import { BACKEND_NAMES, createBackend, type BackendContext } from "../../host/backend/registry.js";
import { UserspaceBackend, vtepMacFor } from "../../host/backend/userspace.js";
import { VxlanBackend } from "../../host/backend/vxlan.js";

const context = (overrides: Partial<BackendContext>): BackendContext => ({
  log: createLogger("json", "silent"), metrics: new AgentMetrics(), userspace: false, kernelHasVxlan: () => true, ...overrides,
});

test("vxlan runs on the kernel VTEP when the kernel has one, in userspace with --userspace or without the module", () => {
  assert.instance(createBackend("vxlan", context({})), VxlanBackend);
  const forced = createBackend("vxlan", context({ userspace: true }));
  assert.instance(forced, UserspaceBackend);
  assert.equal([forced.name, forced.overhead], ["vxlan", 50]);
  const fallback = createBackend("vxlan", context({ kernelHasVxlan: () => false }));
  assert.instance(fallback, UserspaceBackend);
  assert.is(fallback.name, "vxlan");
});

test("udp is Flannel's UDP backend in userspace: 28 bytes of overhead", () => {
  const udp = createBackend("udp", context({}));
  assert.instance(udp, UserspaceBackend);
  assert.equal([udp.name, udp.overhead], ["udp", 28]);
});

test("an unknown backend is refused with the list of those there are", () => {
  assert.equal(BACKEND_NAMES, ["none", "host-gw", "vxlan", "udp"]);
  assert.throws(() => createBackend("wireguard", context({})), /backend 'wireguard' is not in this build \(there are: none, host-gw, vxlan, udp\)/);
});

test("a userspace VTEP's MAC is locally administered and stable for its public IP", () => {
  assert.is(vtepMacFor("198.18.0.1"), "02:70:c6:12:00:01");
  assert.is(vtepMacFor("198.18.0.1"), vtepMacFor("198.18.0.1"));
  assert.throws(() => vtepMacFor("198.18.0"), /198\.18\.0/);
});

test.run();
