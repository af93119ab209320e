// The agent shell's answer to the kernel deleting things, without a kernel: a control plane that
// wants two routes, a backend that records what it is asked, and kernel events fired by hand (what
// host/net/kernel-monitor.ts reports). A deleted route of the agent's is programmed again, once;
// one the agent removed itself, or never had, is not; the backend's device deleted makes prepare
// and setup run again and every route programmed again; another link is ignored; lost
// notifications program everything again.
import { test } from "uvu";
import * as assert from "uvu/assert";
import pino from "pino";
import { Agent } from "../../host/agent/agent";
import { AgentMetrics } from "../../host/agent/metrics";
import type { ControlPlane, ControlPlaneHooks } from "../../host/agent/control-plane";
import type { Backend, PeerRoute, RouteFailure } from "../../host/backend/backend";
import type { KernelEvents } from "../../host/net/kernel-monitor";

const route = (prefix: string, nodeIp: string): PeerRoute => ({ prefix, nodeIp, backendData: null });

class RecordingBackend implements Backend {
  readonly name = "recording";
  readonly overhead = 0;
  readonly kernelDevice = "flannel.1";
  readonly calls: string[] = [];
  async prepare(): Promise<Record<string, unknown>> {
    this.calls.push("prepare");
    return {};
  }
  async setup(local: { tunnelAddress: string }): Promise<void> {
    this.calls.push(`setup ${local.tunnelAddress}`);
  }
  async addRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    this.calls.push(`add ${routes.map((entry) => entry.prefix).join(",")}`);
    return [];
  }
  async removeRoutes(routes: PeerRoute[]): Promise<RouteFailure[]> {
    this.calls.push(`remove ${routes.map((entry) => entry.prefix).join(",")}`);
    return [];
  }
  async prune(): Promise<string[]> {
    return [];
  }
  async teardown(): Promise<void> {}
}

class StaticPlane implements ControlPlane {
  wanted = [route("10.244.1.0/24", "198.18.0.2"), route("10.244.2.0/24", "198.18.0.3")];
  hooks?: ControlPlaneHooks;
  async configure(choose: (type: string, settings: Record<string, unknown>) => Backend): Promise<Backend> {
    return choose("recording", {});
  }
  async join() {
    return { tunnelAddress: "10.244.0.0" };
  }
  async routesWanted() {
    return { routes: this.wanted, skipped: [] };
  }
  follow(hooks: ControlPlaneHooks): void {
    this.hooks = hooks;
  }
  healthy(): boolean {
    return true;
  }
  async stop(): Promise<void> {}
}

async function started(): Promise<{ agent: Agent; backend: RecordingBackend; plane: StaticPlane; events: KernelEvents; metrics: AgentMetrics; stopped: () => boolean }> {
  const backend = new RecordingBackend();
  const plane = new StaticPlane();
  const metrics = new AgentMetrics();
  let events: KernelEvents | undefined;
  let watchStopped = false;
  const agent = new Agent({
    plane, backendFor: () => backend, publicIp: "198.18.0.1", interfaceName: "eth0", underlayMtu: 1500, reconcileIntervalSeconds: 3600,
    log: pino({ level: "silent" }), metrics,
    watchKernel: (given) => {
      events = given;
      return { stop: () => (watchStopped = true) };
    },
  });
  await agent.start();
  return { agent, backend, plane, events: events!, metrics, stopped: () => watchStopped };
}

/** Lets the agent's queued work run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const counter = async (metrics: AgentMetrics, name: string) => Number(/ (\d+)$/m.exec((await metrics.registry.metrics()).split("\n").find((line) => line.startsWith(`${name} `)) ?? " NaN")![1]);

test("a deleted route of the agent's is programmed again, alone and once; an unknown prefix changes nothing", async () => {
  const { agent, backend, events, metrics, stopped } = await started();
  assert.equal(backend.calls, ["prepare", "setup 10.244.0.0", "add 10.244.1.0/24,10.244.2.0/24"]);
  events.routeDeleted("10.244.2.0/24");
  events.routeDeleted("10.244.99.0/24");
  await settle();
  assert.equal(backend.calls.slice(3), ["add 10.244.2.0/24"]);
  assert.is(await counter(metrics, "podnet_routes_restored_total"), 1);
  await agent.stop();
  assert.ok(stopped(), "the kernel watch stops with the agent");
  events.routeDeleted("10.244.1.0/24");
  await settle();
  assert.equal(backend.calls.slice(4), [], "nothing restored once stopped");
});

test("a route the agent removed itself is not put back when the kernel reports its deletion", async () => {
  const { agent, backend, plane, events } = await started();
  plane.wanted = [plane.wanted[0]];
  plane.hooks!.routeChanged({ type: "removed", prefix: "10.244.2.0/24" });
  // The kernel's notification of that removal arrives after the agent's own change.
  events.routeDeleted("10.244.2.0/24");
  await settle();
  assert.equal(backend.calls.slice(3), ["remove 10.244.2.0/24"]);
  await agent.stop();
});

test("the backend's device deleted: prepare and setup again, then every route; another link is ignored; lost notifications program everything again", async () => {
  const { agent, backend, events, metrics } = await started();
  events.linkDeleted("eth7");
  await settle();
  assert.equal(backend.calls.slice(3), []);
  events.linkDeleted("flannel.1");
  await settle();
  assert.equal(backend.calls.slice(3), ["prepare", "setup 10.244.0.0", "add 10.244.1.0/24,10.244.2.0/24"]);
  assert.is(await counter(metrics, "podnet_devices_restored_total"), 1);
  events.lost(new Error("recv AF_NETLINK: No buffer space available"));
  await settle();
  assert.equal(backend.calls.slice(6), ["add 10.244.1.0/24,10.244.2.0/24"]);
  await agent.stop();
});

test.run();
