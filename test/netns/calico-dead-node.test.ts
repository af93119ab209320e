// A Calico-mode node that dies (SIGKILL, never back): its peers keep its block's route as stale for
// the restart time it announced, then withdraw it; its Node entry expires, and once it has been gone
// for the leak grace period its blocks are released. Short timers (restart 2 s, Node TTL 6 s, leak
// grace 2 s) so the whole story fits in seconds. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces } from "./namespaces";
import { installPlugin } from "./cni-runtime";
import { addPod, calicoNodes, podnet, routes, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { SqliteKv } from "../../host/store/sqlite-kv";

test.after(cleanupNamespaces);

test("a dead node: its block kept (stale) for its restart time, then withdrawn everywhere; its Node expires and its blocks are released after the leak grace", async () => {
  const lab = createLab("dead", 3);
  const nodes = calicoNodes(lab);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  writeFileSync(join(lab.directory, "pool.yaml"), "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  assert.is(podnet(store, "apply", "-f", join(lab.directory, "pool.yaml")).status, 0);
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  const timers = ["--graceful-restart", "2", "--node-ttl", "6", "--leak-grace", "2"];
  try {
    for (const node of nodes) startAgent(node, store, timers);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
    for (const node of nodes) addPod(installed, node, store, 1);
    const [a, b, c] = nodes.map((node) => node.pods[0].address);
    const deadBlock = `${c.split(".").slice(0, 3).join(".")}.${Number(c.split(".")[3]) & ~63}/26`;
    const routed = (node: (typeof nodes)[number]) => routes(node.namespace).some((route) => route.dst === deadBlock && route.protocol === "107");
    await waitUntil(() => routed(nodes[0]) && routed(nodes[1]), 15_000, `node3's block ${deadBlock} routed on nodes 1 and 2`);
    assert.ok(a && b);

    const killed = Date.now();
    nodes[2].agent!.kill("SIGKILL");
    await new Promise((resolve) => nodes[2].agent!.once("exit", resolve));
    // Kept while node3 may be restarting (it announced 2 s)…
    await waitUntil(() => nodes[0].output.includes("may be restarting: keeping its"), 5000, "node1 keeps node3's routes as stale");
    assert.ok(routed(nodes[0]) && routed(nodes[1]), "still routed just after the death");
    // …then withdrawn on both.
    await waitUntil(() => !routed(nodes[0]) && !routed(nodes[1]), 10_000, "node3's block withdrawn");
    const withdrawnAfter = Date.now() - killed;
    assert.ok(withdrawnAfter >= 1900 && withdrawnAfter <= 4000, `withdrawn ${withdrawnAfter} ms after the death (restart time 2 s)`);
    // The restart time did it, not the Node's expiry: node3 is still registered.
    assert.match(podnet(store, "get", "nodes").stdout, /^node3$/m);

    // Its Node entry expires (TTL 6 s); 2 s after a node first sees it gone, its blocks are released.
    await waitUntil(() => nodes.slice(0, 2).some((node) => node.output.includes("node node3 has had no Node entry for 2 s: released its blocks")), 15_000, "node3's blocks released").catch((error: Error) => {
      throw new Error(`${error.message}: ${nodes[0].output.split("\n").filter((line) => /node3|Node|housekeeping|released/.test(line)).slice(-10).join("\n")}`);
    });
    const releasedAfter = Date.now() - killed;
    assert.not.match(podnet(store, "get", "nodes").stdout, /^node3$/m);
    const kv = new SqliteKv(storePath);
    const affinities = (await kv.range("/podnet.io/calico/ipam/affinities/node3/")).items;
    await kv.close();
    assert.equal(affinities, [], "no block is affine to node3 any more");
    console.log(`  dead Calico node: its block withdrawn ${withdrawnAfter} ms after SIGKILL (restart time 2 s); its blocks released ${releasedAfter} ms after (Node TTL 6 s + leak grace 2 s)`);
  } finally {
    for (const node of nodes) await stopAgent(node);
    lab.remove();
  }
});

test.run();
