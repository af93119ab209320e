// Which backend the agent runs: the registry's choice for each name, --userspace, and the
// automatic fall-back to userspace VXLAN when the kernel has no vxlan module.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AgentMetrics } from "../../host/agent/metrics";
import { createLogger } from "../../host/agent/log";
import { BACKEND_NAMES, backendSettings, createBackend, type BackendContext } from "../../host/backend/registry";
import { systemKernel } from "../../host/net/system-kernel";
import { UserspaceBackend, vtepMacFor } from "../../host/backend/userspace";
import { VxlanBackend } from "../../host/backend/vxlan";

const context = (overrides: Partial<BackendContext>): BackendContext => ({
  log: createLogger("json", "silent"), metrics: new AgentMetrics(), kernel: systemKernel(), userspace: false, kernelHasVxlan: () => true, ...overrides,
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
  assert.equal(BACKEND_NAMES, ["none", "host-gw", "vxlan", "udp", "routed"]);
  assert.is(createBackend("bgp", context({})).name, "routed", "bgp: the older name of routed, still accepted");
  assert.throws(() => createBackend("wireguard", context({})), /backend 'wireguard' is not in this build \(there are: none, host-gw, vxlan, udp, routed\)/);
});

test("a userspace VTEP's MAC is locally administered and stable for its public IP", () => {
  assert.is(vtepMacFor("198.18.0.1"), "02:70:c6:12:00:01");
  assert.is(vtepMacFor("198.18.0.1"), vtepMacFor("198.18.0.1"));
  assert.throws(() => vtepMacFor("198.18.0"), /198\.18\.0/);
});

test("Backend.VNI and Backend.Port are taken for the backends that have them; any other key is refused by name", () => {
  assert.equal(backendSettings("vxlan", { Type: "vxlan", VNI: 4096, Port: 4789 }), { vni: 4096, port: 4789 });
  assert.equal(backendSettings("udp", { Type: "udp", Port: 9000 }), { vni: undefined, port: 9000 });
  assert.equal(backendSettings("host-gw", { Type: "host-gw" }), { vni: undefined, port: undefined });
  assert.throws(() => backendSettings("vxlan", { Type: "vxlan", DirectRouting: true }), /Backend\.DirectRouting is not supported by podnet's vxlan backend \(it takes Type, VNI, Port\)/);
  assert.throws(() => backendSettings("host-gw", { Type: "host-gw", Port: 1 }), /Backend\.Port is not supported by podnet's host-gw backend/);
  assert.throws(() => backendSettings("vxlan", { VNI: 1 << 24 }), /Backend\.VNI 16777216 must be a whole number from 1 to 16777215/);
  assert.throws(() => backendSettings("udp", { Port: "8285" }), /Backend\.Port "8285" must be a whole number from 1 to 65535/);
});

test.run();
