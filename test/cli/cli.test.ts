// The single executable as a user meets it: exit codes, help, errors, and one real command.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPodnet } from "../helpers/run-binary";
import { distPath, repositoryRoot } from "../helpers/paths";

const packageVersion = JSON.parse(readFileSync(`${repositoryRoot}package.json`, "utf8")).version as string;

test("--version prints the package version and exits 0", () => {
  const result = runPodnet(["--version"]);
  assert.is(result.status, 0);
  assert.is(result.stdout, `${packageVersion}\n`);
});

test("--help lists every subcommand", () => {
  const result = runPodnet(["--help"]);
  assert.is(result.status, 0);
  for (const name of ["agent", "cni", "packet", "route", "status", "version"]) {
    assert.match(result.stdout, new RegExp(`^  ${name}\\b`, "m"), `help lacks ${name}`);
  }
});

test("version --json shows the embedded Wasm core and addon loaded", () => {
  const result = runPodnet(["version", "--json"]);
  assert.is(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.is(report.version, packageVersion);
  assert.is(report.singleExecutable, true);
  assert.is(report.wasmAbi, 3);
  assert.equal(report.addonFunctions, ["closeFd", "netlinkOpen", "netlinkReceive", "netlinkSend", "peerCredentials", "rawIpipOpen", "readPackets", "receiveDatagrams", "sendDatagrams", "sendPackets", "socketTtl", "stopWatch", "tcpMd5Key", "tcpSocket", "tryLock", "tunOpen", "tunPersist", "udpOpen", "watchReadable", "writePackets"]);
});

test("the embedded addon is written out once, reused while intact, and written anew when its content changed", () => {
  const runtimeDirectory = mkdtempSync(join(tmpdir(), "podnet-runtime-"));
  try {
    const environment = { PODNET_RUNTIME_DIR: runtimeDirectory };
    assert.is(runPodnet(["version", "--json"], undefined, environment).status, 0);
    const [digestDirectory] = readdirSync(join(runtimeDirectory, "podnet"));
    const extracted = join(runtimeDirectory, "podnet", digestDirectory, "podnet.node");
    const built = readFileSync(distPath("podnet.node"));
    assert.ok(readFileSync(extracted).equals(built));
    const firstInode = statSync(extracted).ino;

    assert.is(runPodnet(["version", "--json"], undefined, environment).status, 0);
    assert.is(statSync(extracted).ino, firstInode, "an intact copy is reused, not written again");

    // A truncated or foreign file under the same name is never loaded: it is replaced.
    writeFileSync(extracted, "not a shared object");
    const result = runPodnet(["version", "--json"], undefined, environment);
    assert.is(result.status, 0, result.stderr);
    assert.ok(readFileSync(extracted).equals(built));
    assert.is.not(statSync(extracted).ino, firstInode);
  } finally {
    rmSync(runtimeDirectory, { recursive: true, force: true });
  }
});

test("an unknown command exits 2 and names it", () => {
  const result = runPodnet(["frobnicate"]);
  assert.is(result.status, 2);
  assert.match(result.stderr, "unknown command 'frobnicate'");
});

test("an unknown flag on a subcommand exits 2 and names it", () => {
  const result = runPodnet(["packet", "checksum", "--no-such-flag", "00"]);
  assert.is(result.status, 2);
  assert.match(result.stderr, "unknown option '--no-such-flag'");
});

test("agent: a backend the mode does not take exits 2 naming both, before anything is opened; bgp is routed's older name", () => {
  const cases: Array<[string[], string]> = [
    [["--mode", "calico", "--backend", "vxlan"], "--backend vxlan: Calico mode routes by BGP (backend routed); IPIP comes with the IPPool's ipipMode"],
    [["--backend", "routed"], "--backend routed is Calico mode's: run the agent with --mode calico"],
    [["--backend", "bgp"], "--backend bgp is Calico mode's: run the agent with --mode calico"],
  ];
  for (const [args, message] of cases) {
    const result = runPodnet(["agent", "--store-path", "/nonexistent-dir/store.db", ...args]);
    assert.is(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});

test("no command at all exits 2 with usage", () => {
  const result = runPodnet([]);
  assert.is(result.status, 2);
  assert.match(result.stderr, "Usage: podnet");
});

test("packet checksum of the RFC 1071 example prints 0x220d", () => {
  const result = runPodnet(["packet", "checksum", "0001f203f4f5f6f7"]);
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout, "0x220d (8 bytes)\n");
});

test("packet checksum --verify reads stdin and accepts a correct IPv4 header", () => {
  const result = runPodnet(["packet", "checksum", "--verify", "--json"], "45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7\n");
  assert.is(result.status, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout), { length: 20, checksum: "0x0000", valid: true });
});

test("packet checksum --verify exits 1 on a corrupted header", () => {
  // TTL 0x40 → 0x41 adds 0x0100 to a sum that was 0xffff: residue ~0x0100.
  const result = runPodnet(["packet", "checksum", "--verify", "4500007300004000 4111b861c0a80001c0a800c7"]);
  assert.is(result.status, 1);
  assert.is(result.stdout, "checksum bad (20 bytes, residue 0xfeff)\n");
});

test("packet checksum refuses text that is not hex, naming the character, exit 2", () => {
  const result = runPodnet(["packet", "checksum", "00zz"]);
  assert.is(result.status, 2);
  assert.is(result.stderr, "podnet: not hex: unexpected 'z' at digit 3\n");
});

test("packet checksum refuses an odd number of hex digits, exit 2", () => {
  const result = runPodnet(["packet", "checksum", "abc"]);
  assert.is(result.status, 2);
  assert.is(result.stderr, "podnet: not hex: odd number of digits (3)\n");
});

test("podnet cni without CNI_COMMAND prints the spec's error 4 naming the variable, exit 1", () => {
  const result = runPodnet(["cni"], '{"cniVersion":"1.0.0","name":"n","type":"podnet"}');
  assert.is(result.status, 1);
  assert.equal(JSON.parse(result.stdout), { cniVersion: "1.0.0", code: 4, msg: "CNI_COMMAND is not set" });
});

test.run();
