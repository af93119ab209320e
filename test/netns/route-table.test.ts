// `podnet route` on a real kernel table: routes programmed in a namespace this test made, read
// back with `ip -json route`, answer as the kernel would route.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupNamespaces, createNamespace } from "./namespaces";
import { runPodnet } from "../helpers/run-binary";

test.after(cleanupNamespaces);

test("lookups on `ip -json route` of a namespace agree with the kernel's own `ip route get`", () => {
  const namespace = createNamespace("routes");
  const ip = (...args: string[]) => execFileSync("ip", ["-n", namespace, ...args], { encoding: "utf8" });
  ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ip("addr", "add", "198.18.0.1/24", "dev", "veth0");
  ip("link", "set", "veth0", "up");
  ip("link", "set", "veth1", "up");
  ip("route", "add", "10.244.0.0/16", "via", "198.18.0.9");
  ip("route", "add", "10.244.1.0/24", "via", "198.18.0.2");
  ip("route", "add", "10.244.1.128/25", "via", "198.18.0.3");
  ip("route", "add", "default", "via", "198.18.0.254");
  const tableFile = join(mkdtempSync(join(tmpdir(), "podnet-kernel-")), "routes.json");
  writeFileSync(tableFile, ip("-json", "route"));
  const addresses = ["10.244.1.7", "10.244.1.200", "10.244.77.1", "198.18.0.5", "192.0.2.1"];
  const result = runPodnet(["route", "-t", tableFile, "--json", ...addresses]);
  assert.is(result.status, 0, result.stderr);
  const ours = result.stdout.trim().split("\n").map((line) => JSON.parse(line).nextHop);
  const kernel = addresses.map((address) => {
    const [route] = JSON.parse(ip("-json", "route", "get", address)) as Array<{ gateway?: string; dev: string }>;
    return route.gateway ? `via ${route.gateway}` : `dev ${route.dev}`;
  });
  assert.equal(ours, kernel);
  assert.equal(ours, ["via 198.18.0.2", "via 198.18.0.3", "via 198.18.0.9", "dev veth0", "via 198.18.0.254"]);
});

test.run();
