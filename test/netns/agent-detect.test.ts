// Without --public-ip and --iface the agent takes the default route's interface and its IPv4
// address, as flanneld does. Root only: the route lives in a namespace this test made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace, spawnIn } from "./namespaces";
import { distPath } from "../helpers/paths";
import { SqliteKv } from "../../host/store/sqlite-kv";

test.after(cleanupNamespaces);

test("the agent finds its interface and public IP from the default route", async () => {
  const namespace = createNamespace("detect");
  const ip = (...args: string[]) => execFileSync("ip", ["-n", namespace, ...args]);
  ip("link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1");
  ip("addr", "add", "198.18.3.7/24", "dev", "uplink0");
  ip("link", "set", "uplink0", "up");
  ip("link", "set", "uplink1", "up");
  ip("route", "add", "default", "via", "198.18.3.254", "dev", "uplink0");
  const directory = mkdtempSync(join(tmpdir(), "podnet-detect-"));
  const subnetFile = join(directory, "subnet.env");
  const agent = spawnIn(namespace, distPath("podnet"), ["agent", "--store-path", join(directory, "store.db"), "--subnet-file", subnetFile,
    "--network-config", '{"Network":"10.244.0.0/16"}', "--backend", "none", "--metrics-address", "127.0.0.1:0", "--cni-socket", "none"]);
  let log = "";
  agent.stderr!.on("data", (chunk) => (log += chunk));
  for (let i = 0; i < 200 && !existsSync(subnetFile); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(existsSync(subnetFile), log);
  // The veth's MTU (1500) is the one written.
  assert.match(readFileSync(subnetFile, "utf8"), /FLANNEL_MTU=1500\n/);
  const kv = new SqliteKv(join(directory, "store.db"));
  const { items } = await kv.range("/coreos.com/network/subnets/");
  await kv.close();
  assert.equal(items.map((item) => JSON.parse(item.value).PublicIP), ["198.18.3.7"]);
  process.kill(agent.pid!, "SIGTERM");
  const [code] = await once(agent, "exit");
  assert.is(code, 0);
});

test("with no default route and no flags, the agent refuses to guess and says what to give", async () => {
  const namespace = createNamespace("noroute");
  const directory = mkdtempSync(join(tmpdir(), "podnet-detect-"));
  const agent = spawnIn(namespace, distPath("podnet"), ["agent", "--store-path", join(directory, "store.db"), "--subnet-file", join(directory, "s.env"), "--metrics-address", "127.0.0.1:0", "--cni-socket", "none"]);
  let stderr = "";
  agent.stderr!.on("data", (chunk) => (stderr += chunk));
  const [code] = await once(agent, "exit");
  assert.is(code, 1);
  assert.is(stderr, "podnet: no default route to find the interface by: give --iface and --public-ip\n");
});

test.run();
