// The CNI path when something dies under it: the runtime's plugin process killed while the agent
// works its ADD, and the agent SIGKILLed and restarted while 100 ADDs are in flight. The client runs
// the plugin in-process for what the dead agent had (undoing a half-done ADD first), no address is
// given twice, and nothing is left once the runtime DELs, or GCs what it lost track of. Root only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, ipJson } from "./namespaces";
import { sleep, startCluster, waitFor, type Cluster, type ClusterNode } from "./cluster";
import { installPlugin, invoke, invokeAsync, lockIsFree, nodeConfig, reservations, vethNames, type Installed } from "./cni-runtime";

let cluster: Cluster;
let installed: Installed;
let node: ClusterNode;
let pods = 0;

const ipamDir = (name: string) => join(installed.directory, `ipam-n${node.index}`, name);
const newPod = () => createNamespace(`cf${++pods}`);

test.before(async () => {
  cluster = await startCluster({ name: "cnifault", backend: "host-gw", nodes: 2 });
  node = cluster.nodes[0];
  installed = installPlugin();
});
test.after(cleanupNamespaces);

test("the runtime's plugin process killed mid-ADD: the agent finishes the ADD; GC without it frees the address and the veth", async () => {
  const config = nodeConfig(installed, node, { name: "killed" });
  const keep = newPod();
  const kept = invoke(installed, node, { command: "ADD", containerId: "killed-keep", netns: keep, config }).json!;
  // The agent is stopped so the kill lands while the request is with it, not before or after.
  process.kill(node.agent.pid!, "SIGSTOP");
  const pod = newPod();
  const client = spawn("ip", ["netns", "exec", node.namespace, join(installed.binDir, "podnet")], {
    env: { PATH: process.env.PATH, CNI_COMMAND: "ADD", CNI_CONTAINERID: "killed-mid-add", CNI_NETNS: `/var/run/netns/${pod}`, CNI_IFNAME: "eth0", CNI_PATH: installed.binDir },
  });
  client.stdin.end(JSON.stringify(config));
  await sleep(300); // the client connects and sends its request to the stopped agent
  client.kill("SIGKILL");
  await once(client, "exit");
  process.kill(node.agent.pid!, "SIGCONT");
  // The agent does the ADD and finds nobody to tell: an attachment the runtime will never use.
  await waitFor(() => Object.values(reservations(ipamDir("killed"))).includes("killed-mid-add/eth0"), 5000, "the orphaned ADD done");
  const orphan = Object.entries(reservations(ipamDir("killed"))).find(([, owner]) => owner === "killed-mid-add/eth0")![0];
  await waitFor(() => node.log().includes("the CNI client went away before the result of its ADD"), 5000, "the agent to log the lost reply");
  assert.is(vethNames(pod, "eth0").length, 1, "the pod's eth0 exists");
  // A runtime that lost track of it (containerd's GC) keeps only the attachments it knows.
  const collected = invoke(installed, node, { command: "GC", config: { ...config, "cni.dev/valid-attachments": [{ containerID: "killed-keep", ifname: "eth0" }] } });
  assert.is(collected.status, 0, collected.stdout);
  assert.equal(reservations(ipamDir("killed")), { [kept.ips[0].address.split("/")[0]]: "killed-keep/eth0" });
  assert.not.ok(orphan in reservations(ipamDir("killed")));
  assert.equal(vethNames(node.namespace, "pnv"), [kept.interfaces[1].name], "the orphan's host veth is gone");
  assert.ok(lockIsFree(join(ipamDir("killed"), "lock")));
  assert.is(invoke(installed, node, { command: "DEL", containerId: "killed-keep", netns: keep, config }).status, 0);
  assert.equal(reservations(ipamDir("killed")), {});
});

test("the agent SIGKILLed and restarted during 100 parallel ADDs: every ADD succeeds (the client takes over what the agent had), no address twice; DEL of all leaves nothing", async () => {
  const config = nodeConfig(installed, node, { name: "restart" });
  const namespaces = Array.from({ length: 100 }, () => newPod());
  const adds = namespaces.map((pod, index) => invokeAsync(installed, node, { command: "ADD", containerId: `restart-${index}`, netns: pod, config }));
  // Killed once 15 are done: others are in the agent's hands, the rest not yet sent.
  await waitFor(() => Object.keys(reservations(ipamDir("restart"))).length >= 15, 20_000, "the first ADDs done");
  const exited = once(node.agent, "exit");
  node.agent.kill("SIGKILL");
  await exited;
  cluster.startAgent(node);
  const added = await Promise.all(adds);
  await waitFor(() => node.log().includes("serving the CNI plugin"), 10_000, "the agent back");

  const succeeded = added.map((result, index) => ({ result, container: `restart-${index}` })).filter(({ result }) => result.status === 0);
  const failed = added.filter((result) => result.status !== 0);
  // The client takes over what the dead agent had (undoing any half-done ADD first): none fails.
  assert.equal(failed.map((result) => result.stdout), []);
  const given = succeeded.map(({ result }) => result.json!.ips[0].address.split("/")[0]);
  assert.is(new Set(given).size, given.length, "no address given twice");
  const held = reservations(ipamDir("restart"));
  // Every pod holds exactly its address, and nothing else is held.
  for (const [index, { container }] of succeeded.entries()) assert.is(held[given[index]], `${container}/eth0`);
  // And each pod has its address on eth0, as the result says.
  for (const [index, { container }] of succeeded.entries()) {
    const pod = namespaces[Number(container.split("-")[1])];
    const addresses = (ipJson(pod, ["-4", "addr", "show", "eth0"]) as Array<{ addr_info: Array<{ local: string }> }>)[0].addr_info.map((info) => info.local);
    assert.equal(addresses, [given[index]], `${container}'s eth0`);
  }
  const owners = Object.values(held);
  assert.is(owners.length, 100, "one address per pod, none left over from a half-done ADD");
  assert.is(new Set(owners).size, owners.length, "no container holds two addresses");
  assert.ok(lockIsFree(join(ipamDir("restart"), "lock")), "no lock left held");
  console.log(`  agent SIGKILLed during 100 parallel ADDs: ${succeeded.length} succeeded, ${owners.length} addresses held, each by its own pod`);

  // The runtime DELs the pods when they end.
  const deleted = await Promise.all(namespaces.map((pod, index) => invokeAsync(installed, node, { command: "DEL", containerId: `restart-${index}`, netns: pod, config })));
  assert.equal(deleted.filter((result) => result.status !== 0).map((result) => result.stdout), []);
  assert.equal(reservations(ipamDir("restart")), {});
  assert.equal(vethNames(node.namespace, "pnv"), []);
  assert.ok(lockIsFree(join(ipamDir("restart"), "lock")));
});

test.run();
