// --ip-masq as Flannel does it: pod traffic leaving the cluster network leaves with the node's
// address; pod-to-pod traffic keeps the pod's; without the flag nothing is rewritten, and an agent
// started without it removes the rules an earlier run left. Root only; namespaces made here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { cleanupNamespaces } from "./namespaces";
import { addPod, ip, startCluster, startWhoamiServer, waitFor, whoami } from "./cluster";

test.after(cleanupNamespaces);

const OUTSIDE = "198.18.0.99";

test("--ip-masq masquerades pod traffic leaving the cluster network, never pod-to-pod traffic", async () => {
  let masquerade = true;
  const cluster = await startCluster({ name: "masq", backend: "host-gw", nodes: 2, agentArgs: (index) => (index === 1 && masquerade ? ["--ip-masq"] : []) });
  const [first, second] = cluster.nodes;
  for (const node of cluster.nodes) addPod(cluster, node);
  // A host outside the cluster network on the underlay, with a route back to node 2's pods only.
  ip(cluster.lan, "addr", "add", `${OUTSIDE}/24`, "dev", "br0");
  ip(cluster.lan, "route", "add", second.pod.address.replace(/\.10$/, ".0/24"), "via", second.publicIp);
  await startWhoamiServer(cluster.lan);
  await startWhoamiServer(second.pod.namespace);

  const rules = execFileSync("ip", ["netns", "exec", first.namespace, "nft", "list", "table", "ip", "podnet"], { encoding: "utf8" });
  const subnet = first.pod.address.replace(/\.10$/, ".0/24");
  for (const rule of ["ip saddr 10.244.0.0/16 ip daddr 10.244.0.0/16 return", "ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
    `ip saddr != 10.244.0.0/16 ip daddr ${subnet} return`, "ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random"]) {
    assert.ok(rules.includes(rule), `rule '${rule}' in:\n${rules}`);
  }
  assert.match(readFileSync(first.subnetFile, "utf8"), "FLANNEL_IPMASQ=true");

  assert.is(whoami(first.pod.namespace, OUTSIDE), first.publicIp, "pod → outside leaves with the node's address");
  assert.is(whoami(first.pod.namespace, second.pod.address), first.pod.address, "pod → pod keeps the pod's address");
  assert.is(whoami(second.pod.namespace, OUTSIDE), second.pod.address, "no --ip-masq on node 2: the pod's address");
  assert.is(spawnSync("ip", ["netns", "exec", second.namespace, "nft", "list", "table", "ip", "podnet"], { stdio: "ignore" }).status, 1, "node 2 has no podnet table");

  // Node 1 restarted without --ip-masq: the rules go.
  process.kill(first.agent.pid!, "SIGTERM");
  await once(first.agent, "exit");
  masquerade = false;
  cluster.startAgent(first);
  await waitFor(() => first.log().includes("removed the masquerade rules"), 5000, "node 1 removed its rules");
  assert.is(spawnSync("ip", ["netns", "exec", first.namespace, "nft", "list", "table", "ip", "podnet"], { stdio: "ignore" }).status, 1);
});

test.run();
