// Calico mode with a pool of one block: node1 claims it, node2's pod borrows an address from it;
// node2 announces that /32, the others route it via node2 (inside node1's block and past its
// blackhole), and the borrowed pod is reachable from both other nodes; a corrupt block entry is
// logged and skipped. With strictAffinity the
// same ADD fails with CNI code 11 naming the pool. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces, createNamespace } from "./namespaces";
import { ping } from "./cluster";
import { installPlugin, invoke } from "./cni-runtime";
import { addPod, asClusterNode, calicoNodes, podConfig, podnet, routes, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { SqliteKv } from "../../host/store/sqlite-kv";

test.after(cleanupNamespaces);

test("an exhausted pool: node2 borrows from node1's block, announces the /32, and its pod is reachable; strictAffinity refuses with code 11", async () => {
  const lab = createLab("borrow", 3);
  const nodes = calicoNodes(lab);
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: tiny\nspec:\n  cidr: 10.244.7.0/26\n");
  assert.equal(podnet(store, "apply", "-f", pool).status, 0);
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  try {
    for (const node of nodes) startAgent(node, store);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
    addPod(installed, nodes[0], store, 1);
    addPod(installed, nodes[2], store, 1); // borrows too
    addPod(installed, nodes[1], store, 1);
    const borrowed = nodes[1].pods[0].address;
    assert.equal([nodes[0].pods[0].address, nodes[2].pods[0].address, borrowed], ["10.244.7.0", "10.244.7.1", "10.244.7.2"]);

    // node1 and node3 route node2's borrowed /32 via node2.
    await waitUntil(() => [0, 2].every((i) => routes(nodes[i].namespace).some((route) => route.dst === borrowed && route.gateway === "198.18.0.2" && route.protocol === "107")), 15_000, "the borrowed /32 routed via node2");
    assert.ok(routes(nodes[0].namespace).some((route) => route.dst === "10.244.7.0/26" && route.type === "blackhole"));
    assert.ok(ping(nodes[0].pods[0].namespace, borrowed), "node1's pod reaches node2's borrowed pod");
    assert.ok(ping(nodes[2].pods[0].namespace, borrowed), "node3's pod (itself borrowing) reaches node2's borrowed pod");
    assert.match(podnet(store, "ipam", "show", "--show-borrowed").stdout, /\| 10\.244\.7\.2 +\| node2 +\| 10\.244\.7\.0\/26 \| node1 +\|/);

    // A corrupt block entry written by someone else: logged once, skipped, the agents carry on.
    const kv = new SqliteKv(join(lab.directory, "store.db"));
    await kv.create("/podnet.io/calico/ipam/blocks/10.244.9.0-26", "{garbage", 0);
    await kv.close();
    await waitUntil(() => nodes.every((node) => node.output.includes("block entry /podnet.io/calico/ipam/blocks/10.244.9.0-26 skipped")), 10_000, "every agent logs the corrupt block");
    assert.ok(nodes.every((node) => node.agent!.exitCode === null));
    assert.ok(ping(nodes[0].pods[0].namespace, borrowed), `after the corrupt entry: ${JSON.stringify(routes(nodes[0].namespace))} / ${JSON.stringify(routes(nodes[1].namespace))}\n${nodes[1].output.split("\n").slice(-15).join("\n")}`);

    // strictAffinity: no borrowing, ADD refused with code 11.
    const strict = join(lab.directory, "strict.yaml");
    writeFileSync(strict, "apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata:\n  name: default\nspec:\n  strictAffinity: true\n");
    assert.equal(podnet(store, "apply", "-f", strict).status, 0);
    const namespace = createNamespace("borrow-strict");
    const refused = invoke(installed, asClusterNode(nodes[1]), { command: "ADD", containerId: "strict-pod", netns: namespace, config: podConfig(nodes[1], store) });
    assert.equal(refused.status, 1);
    assert.equal([refused.json!.code, refused.json!.msg], [11, "IP pool tiny (10.244.7.0/26) has no free block for node node2, and strictAffinity forbids borrowing"]);
  } finally {
    for (const node of nodes) await stopAgent(node);
    lab.remove();
  }
});

test.run();
