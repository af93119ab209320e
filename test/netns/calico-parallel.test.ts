// 100 parallel CNI ADDs and then 100 parallel DELs on one Calico-mode node, through its agent as a
// runtime calls the plugin: 100 distinct addresses from two /26 blocks, then nothing left behind —
// no address in use, no handle, no cali veth. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces, createNamespace } from "./namespaces";
import { installPlugin, invokeAsync, vethNames } from "./cni-runtime";
import { asClusterNode, calicoNodes, podConfig, podnet, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { SqliteKv } from "../../host/store/sqlite-kv";

test.after(cleanupNamespaces);

test("100 parallel ADDs get 100 addresses from two blocks; 100 parallel DELs leave no address, handle or veth", async () => {
  const lab = createLab("parallel", 1);
  const [node] = calicoNodes(lab);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  assert.equal(podnet(store, "apply", "-f", pool).status, 0);
  const installed = installPlugin(["--mode", "routed", "--ipam", "blocks"]);
  try {
    startAgent(node, store);
    await waitUntil(() => node.output.includes("BGP speaker up"), 20_000, "agent up");
    const pods = Array.from({ length: 100 }, (_, i) => ({ id: `par-${i}`, namespace: createNamespace(`par-${i}`) }));
    const added = await Promise.all(pods.map((pod) => invokeAsync(installed, asClusterNode(node), { command: "ADD", containerId: pod.id, netns: pod.namespace, config: podConfig(node, store) })));
    const failed = added.filter((outcome) => outcome.status !== 0).map((outcome) => outcome.stdout);
    assert.equal(failed, []);
    const addresses = added.map((outcome) => (outcome.json!.ips[0].address as string).replace("/32", ""));
    assert.is(new Set(addresses).size, 100);
    const blocks = new Set(addresses.map((address) => address.replace(/\.\d+$/, (last) => `.${Number(last.slice(1)) & 0xc0}`)));
    assert.is(blocks.size, 2, [...blocks].join(" "));
    assert.is(vethNames(node.namespace, "cali").length, 100);

    const deleted = await Promise.all(pods.map((pod) => invokeAsync(installed, asClusterNode(node), { command: "DEL", containerId: pod.id, netns: pod.namespace, config: podConfig(node, store) })));
    assert.equal(deleted.filter((outcome) => outcome.status !== 0).map((outcome) => outcome.stdout), []);
    assert.match(podnet(store, "ipam", "show").stdout, "| IP Pool  | 10.244.0.0/16 | 65536     | 0 (0%)     | 65536 (100%) |");
    assert.equal(vethNames(node.namespace, "cali"), []);
    const kv = new SqliteKv(storePath);
    assert.equal((await kv.range("/podnet.io/calico/ipam/handles/")).items, []);
    await kv.close();
  } finally {
    await stopAgent(node);
    lab.remove();
  }
});

test.run();
