// `podnet route` as a user runs it: table files, lookups from arguments and stdin, JSON output,
// and the errors for bad tables and bad addresses.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPodnet } from "../helpers/run-binary";

const directory = mkdtempSync(join(tmpdir(), "podnet-route-"));
const tableFile = (name: string, text: string) => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};
const table = tableFile("table.txt", "# pod subnets\n10.244.0.0/16 1\n10.244.1.0/24 2   # node b\n10.244.1.7/32 3\n");

test("lookups from arguments print address, matched prefix and next hop", () => {
  const result = runPodnet(["route", "--table", table, "10.244.1.7", "10.244.1.8", "10.244.200.1", "10.245.0.1"]);
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout, "10.244.1.7 10.244.1.7/32 3\n10.244.1.8 10.244.1.0/24 2\n10.244.200.1 10.244.0.0/16 1\n10.245.0.1 - no route\n");
});

test("--json prints one object per lookup, with null fields when nothing matches", () => {
  const result = runPodnet(["route", "-t", table, "--json"], "10.244.1.9\n192.0.2.1\n");
  assert.is(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split("\n").map((line) => JSON.parse(line)), [
    { address: "10.244.1.9", prefix: "10.244.1.0/24", nextHop: 2 },
    { address: "192.0.2.1", prefix: null, nextHop: null },
  ]);
});

test("ip -json route output is a table: default, host routes, gateways and devices", () => {
  const ipJson = tableFile("ip.json", JSON.stringify([
    { dst: "default", gateway: "198.18.0.254", dev: "eth0" },
    { dst: "10.244.1.0/24", gateway: "198.18.0.2", dev: "eth0" },
    { dst: "198.18.0.0/24", dev: "eth0", protocol: "kernel", scope: "link" },
    { dst: "10.244.2.5", dev: "cali1234" },
    { dst: "10.244.3.0/24", type: "blackhole" },
  ]));
  const result = runPodnet(["route", "-t", ipJson, "--json", "10.244.1.1", "198.18.0.9", "10.244.2.5", "10.244.3.3", "1.1.1.1"]);
  assert.is(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split("\n").map((line) => JSON.parse(line).nextHop), ["via 198.18.0.2", "dev eth0", "dev cali1234", "blackhole", "via 198.18.0.254"]);
});

test("a bad address is reported and the other lookups still answered, exit 1", () => {
  const result = runPodnet(["route", "-t", table, "10.244.1.8", "10.244.1", "10.244.0.1"]);
  assert.is(result.status, 1);
  assert.is(result.stdout, "10.244.1.8 10.244.1.0/24 2\n10.244.0.1 10.244.0.0/16 1\n");
  assert.is(result.stderr, "podnet: not an IPv4 address: '10.244.1'\n");
});

test("a table line with host bits set is refused naming the file and line", () => {
  const bad = tableFile("bad.txt", "10.244.0.0/16 1\n10.244.1.1/24 2\n");
  const result = runPodnet(["route", "-t", bad, "10.244.1.1"]);
  assert.is(result.status, 1);
  assert.is(result.stderr, `podnet: ${bad}:2: host bits set in '10.244.1.1/24' (the network is 10.244.1.0/24)\n`);
  assert.is(result.stdout, "");
});

test("a table line without a next hop, or broken JSON, is refused by name", () => {
  const missing = tableFile("missing.txt", "10.244.0.0/16\n");
  assert.match(runPodnet(["route", "-t", missing, "10.0.0.1"]).stderr, `${missing}:1: expected "prefix nexthop", got '10.244.0.0/16'`);
  const broken = tableFile("broken.json", "[{\"dst\": ");
  const result = runPodnet(["route", "-t", broken, "10.0.0.1"]);
  assert.is(result.status, 1);
  assert.match(result.stderr, `${broken}: not valid JSON`);
});

test("a missing --table or an unreadable file exits 2", () => {
  assert.is(runPodnet(["route", "10.0.0.1"]).status, 2);
  const result = runPodnet(["route", "-t", join(directory, "absent.txt"), "10.0.0.1"]);
  assert.is(result.status, 2);
  assert.match(result.stderr, "cannot read the table");
});

test("route bench prints a JSON report on the given table", () => {
  const result = runPodnet(["route", "-t", table, "bench", "--lookups", "1000"]);
  assert.is(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.is(report.prefixes, 3);
  assert.ok(report.lookupsPerSecondBatched > 0 && report.lookupsPerSecondSingle > 0);
  assert.is(report.memoryBytes, 65536 * 4 + 2 * 1024 + 64 * 12);
  assert.is(runPodnet(["route", "-t", table, "bench", "--lookups", "0"]).status, 2);
});

test.run();
