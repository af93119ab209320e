// No secret where an operator or a log shipper looks: a BGP peer's TCP MD5 password and the etcd
// client's TLS key never appear in the agent's logs, /metrics, `podnet status`, `podnet bgp show`
// or an error message, also when the peer cannot be reached, a resource or flag carrying the
// password is refused, or the key is not a key. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupNamespaces, spawnIn } from "./namespaces";
import { calicoNodes, podnet, startAgent, stopAgent, type StoreChoice } from "./calico-cluster";
import { createLab, waitUntil } from "../bgp/lab";
import { distPath } from "../helpers/paths";
import { runPodnet } from "../helpers/run-binary";

const PASSWORD = "Sq7-secret-bgp-pw";
const KEY_MATERIAL = "c2VjcmV0LWtleS1tYXRlcmlhbC1uZXZlci1zaG93bg";

test.after(cleanupNamespaces);

/** Fails naming where the secret showed up. */
function assertNoSecret(where: string, text: string, secret = PASSWORD): void {
  const at = text.indexOf(secret);
  assert.ok(at < 0, `${where} shows the secret: …${text.slice(Math.max(0, at - 120), at + secret.length + 40)}…`);
}

test("a BGP password: not in logs, /metrics, status, bgp show, or the errors of an unreachable peer and of refused input", async () => {
  const lab = createLab("secret", 2);
  const nodes = calicoNodes(lab);
  const storePath = join(lab.directory, "store.db");
  const store: StoreChoice = { flags: ["--store-path", storePath], ipam: { storePath } };
  const file = (name: string, text: string) => {
    writeFileSync(join(lab.directory, name), text);
    return join(lab.directory, name);
  };
  assert.is(podnet(store, "apply", "-f", file("pool.yaml", "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n")).status, 0);
  // A router that is not there (198.18.0.9): the agents dial it with the MD5 key set and fail.
  const peer = `apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: rack-router\nspec:\n  peerIP: 198.18.0.9\n  asNumber: 64513\n  password: ${PASSWORD}\n`;
  assert.is(podnet(store, "apply", "-f", file("peer.yaml", peer)).status, 0);
  try {
    for (const node of nodes) startAgent(node, store, ["--log-format", "text"]);
    await waitUntil(() => nodes.every((node) => node.output.includes("BGP speaker up")), 20_000, "agents up");
    const showPeers = () => runPodnet(["bgp", "show", "peers", "--json", "--control", nodes[0].bgpControl]).stdout;
    // Long enough for a failed dial of the missing router to be recorded as the peer's last error.
    const routerError = () => (JSON.parse(showPeers() || "[]") as Array<{ address: string; lastError: string | null }>).find((entry) => entry.address === "198.18.0.9")?.lastError;
    await waitUntil(() => Boolean(routerError()), 30_000, "the unreachable router's dial error");
    const seen: Array<[string, string]> = [
      ["bgp show peers --json", showPeers()],
      ["bgp show routes --json", runPodnet(["bgp", "show", "routes", "--json", "--control", nodes[0].bgpControl]).stdout],
      ["podnet status", runPodnet(["status", "--bgp-control", nodes[0].bgpControl]).stdout],
      ["podnet status --json", runPodnet(["status", "--json", "--bgp-control", nodes[0].bgpControl]).stdout],
      ["/metrics", execFileSync("ip", ["netns", "exec", nodes[0].namespace, "curl", "-s", "http://127.0.0.1:9808/metrics"], { encoding: "utf8" })],
      ["get bgppeers (table)", podnet(store, "get", "bgppeers").stdout],
    ];
    assert.match(routerError()!, /198\.18\.0\.9/);
    assert.match(seen[4][1], /^podnet_reconcile_runs_total \d+$/m);
    // Refused input that carries the password: a number where a string belongs, a misspelt key.
    const numeric = podnet(store, "apply", "-f", file("bad.yaml", peer.replace(`password: ${PASSWORD}`, "password: 987654321")));
    assert.is.not(numeric.status, 0);
    assert.match(numeric.stderr, "spec.password: must be a non-empty string (the value given is not shown: it is a secret)");
    assertNoSecret("apply's refusal", numeric.stderr, "987654321");
    const misspelt = runPodnet(["bgp", "serve", "--as", "64512", "--router-id", "198.18.0.1", "--peer", `198.18.0.9,as=64513,pasword=${PASSWORD}`]);
    assert.is.not(misspelt.status, 0);
    assert.match(misspelt.stderr, "unknown option 'pasword'");
    seen.push(["bgp serve's refusal of a misspelt key", misspelt.stderr]);
    const badAddress = runPodnet(["bgp", "serve", "--as", "64512", "--router-id", "198.18.0.1", "--peer", `198.18.0.999,as=64513,password=${PASSWORD}`]);
    assert.match(badAddress.stderr, "--peer 198.18.0.999,as=64513,password=***: '198.18.0.999' is not an IP address");
    seen.push(["bgp serve's refusal of a bad address", badAddress.stderr]);
    for (const node of nodes) await stopAgent(node);
    seen.push(...nodes.map((node): [string, string] => [`${node.name}'s log`, node.output]));
    for (const [where, text] of seen) assertNoSecret(where, text);
  } finally {
    for (const node of nodes) await stopAgent(node);
    lab.remove();
  }
});

test("an etcd TLS key that is no key: the agent refuses to start and its error does not quote the file", async () => {
  const lab = createLab("secretkey", 1);
  const key = join(lab.directory, "client-key.pem");
  writeFileSync(key, `-----BEGIN PRIVATE KEY-----\n${KEY_MATERIAL}\n-----END PRIVATE KEY-----\n`);
  writeFileSync(join(lab.directory, "ca.pem"), `-----BEGIN CERTIFICATE-----\n${KEY_MATERIAL}\n-----END CERTIFICATE-----\n`);
  try {
    const agent = spawnIn(lab.nodes[0].namespace, distPath("podnet"), ["agent", "--store", "etcd", "--etcd-endpoints", "https://198.18.0.1:2379",
      "--etcd-cafile", join(lab.directory, "ca.pem"), "--etcd-certfile", join(lab.directory, "ca.pem"), "--etcd-keyfile", key,
      "--public-ip", "198.18.0.1", "--iface", "eth0", "--cni-socket", "none", "--metrics-address", "127.0.0.1:9808", "--subnet-file", join(lab.directory, "subnet.env")]);
    let output = "";
    agent.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    agent.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // It either exits at once or keeps failing to connect; either way its words are what matter.
    const exited = once(agent, "exit");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill("SIGTERM");
      await exited;
    }
    assert.ok(output.length > 0, "the agent said something");
    assertNoSecret("the agent's output", output, KEY_MATERIAL);
    const status = spawnSync("ip", ["netns", "exec", lab.nodes[0].namespace, distPath("podnet"), "status", "--store", "etcd", "--etcd-endpoints", "https://198.18.0.1:2379",
      "--etcd-cafile", join(lab.directory, "ca.pem"), "--etcd-certfile", join(lab.directory, "ca.pem"), "--etcd-keyfile", key], { encoding: "utf8", timeout: 30_000 });
    assert.is.not(status.status, 0);
    assertNoSecret("podnet status's error", `${status.stdout}${status.stderr}`, KEY_MATERIAL);
  } finally {
    lab.remove();
  }
});

test.run();
