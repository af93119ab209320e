// A Calico-mode agent whose address is not (yet) on its interface waits rather than exits: it
// logs why, /healthz answers 503, and once the address is there it registers and becomes
// healthy. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cleanupNamespaces } from "./namespaces";
import { healthIn } from "./cluster";
import { calicoNodes, podnet, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";

test.after(cleanupNamespaces);

test("the node's address missing from its interface: the agent waits, says why, /healthz 503; the address added: registered, 200", async () => {
  const lab = createLab("address", 1);
  const [node] = calicoNodes(lab);
  node.address = "198.18.0.9"; // not on eth0 (198.18.0.1/24) yet
  const store: StoreChoice = { flags: ["--store-path", join(lab.directory, "store.db")], ipam: { storePath: join(lab.directory, "store.db") } };
  const pool = join(lab.directory, "pool.yaml");
  writeFileSync(pool, "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n");
  assert.equal(podnet(store, "apply", "-f", pool).status, 0);
  try {
    startAgent(node, store);
    await waitUntil(() => node.output.includes("waiting for this node's address in CIDR form: 198.18.0.9 is not an address of eth0"), 10_000, "the agent says why it waits");
    assert.is(healthIn(node.namespace), "503");
    assert.is(node.agent!.exitCode, null);
    assert.equal(podnet(store, "get", "nodes").stdout, "NAME\n");

    execFileSync("ip", ["-n", node.namespace, "addr", "add", "198.18.0.9/24", "dev", "eth0"]);
    await waitUntil(() => node.output.includes("BGP speaker up"), 10_000, "registered once the address is there");
    await waitUntil(() => healthIn(node.namespace) === "200", 10_000, "healthy");
    assert.equal(podnet(store, "get", "nodes", "-o", "wide").stdout, "NAME   ASN      IPV4           IPV6\nnode1  (64512)  198.18.0.9/24\n");
  } finally {
    await stopAgent(node);
    lab.remove();
  }
});

test.run();
