// The native addon opens real TUN devices. Root only; all inside a namespace this test made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { execFileSync } from "node:child_process";
import { cleanupNamespaces, createNamespace, ipJson, spawnIn } from "./namespaces";
import { addon } from "../../host/native/addon";

interface LinkDetails {
  ifname: string;
  mtu: number;
  linkinfo?: { info_kind: string; info_data?: { type: string; multi_queue?: boolean } };
}

/** Runs the holder in `namespace`, returns its report and a function that releases the device. */
async function openTunIn(namespace: string, name: string, mode = "single-queue") {
  const holder = spawnIn(namespace, "node", ["--import", "tsx", "test/netns/fixtures/tun-holder.ts", name, mode]);
  let stderr = "";
  holder.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = once(holder, "exit").then(([code]) => {
    throw new Error(`tun-holder exited ${code} before reporting: ${stderr}`);
  });
  const [line] = (await Promise.race([once(createInterface({ input: holder.stdout! }), "line"), exited])) as [string];
  const release = async () => {
    holder.stdin!.end();
    if (holder.exitCode === null) await once(holder, "exit");
  };
  return { report: JSON.parse(line), release, holder };
}

test.after(cleanupNamespaces);

test("tunOpen creates a TUN device that lives while the fd is open", async () => {
  const namespace = createNamespace("tun");
  const { report, release } = await openTunIn(namespace, "podnet-tun0");
  assert.equal(report, { ok: true, name: "podnet-tun0", fdIsNumber: true });
  const [link] = ipJson(namespace, ["-details", "link", "show", "podnet-tun0"]) as LinkDetails[];
  assert.is(link.ifname, "podnet-tun0");
  assert.is(link.linkinfo?.info_kind, "tun");
  assert.is(link.linkinfo?.info_data?.type, "tun");
  await release();
  // Not persistent: closing the last fd removes the device.
  const after = execFileSync("ip", ["-n", namespace, "-json", "link", "show"], { encoding: "utf8" });
  assert.not.ok(after.includes("podnet-tun0"));
});

test("tunOpen with multiQueue sets the multi-queue flag", async () => {
  const namespace = createNamespace("tunmq");
  const { report, release } = await openTunIn(namespace, "podnet-mq0", "multi-queue");
  assert.is(report.ok, true);
  const [link] = ipJson(namespace, ["-details", "link", "show", "podnet-mq0"]) as LinkDetails[];
  assert.is(link.linkinfo?.info_data?.multi_queue, true);
  await release();
});

test("tunOpen refuses an interface name the kernel rejects, with EINVAL", async () => {
  const namespace = createNamespace("tunbad");
  const { report } = await openTunIn(namespace, "bad/name");
  assert.equal(report, { ok: false, code: "EINVAL", message: "ioctl TUNSETIFF: Invalid argument" });
});

test("tunOpen takes a name of 15 bytes, the most the kernel allows", async () => {
  const namespace = createNamespace("tun15");
  const { report, release } = await openTunIn(namespace, "abcdefghijklmno");
  assert.equal(report, { ok: true, name: "abcdefghijklmno", fdIsNumber: true });
  await release();
});

test("tunOpen refuses a name longer than 15 bytes before any syscall, never cutting it short", () => {
  assert.throws(() => addon().tunOpen("abcdefghijklmnop", false), /name longer than 15 bytes/);
  assert.throws(() => addon().tunOpen("a-very-long-name-0", false), /name longer than 15 bytes/);
});

test("an errno the addon has no special case for keeps its own name as the error code", () => {
  // Binding to an address this host does not have: EADDRNOTAVAIL (was reported as EIO).
  assert.throws(() => addon().udpOpen(0xc6120977, 0), (error: Error & { code?: string }) => error.code === "EADDRNOTAVAIL" && /bind: Cannot assign requested address/.test(error.message));
});

test("sendDatagrams counts only the slots that went, and reports the ones refused with their errno", async () => {
  const namespace = createNamespace("send");
  const child = spawnIn(namespace, "node", ["--import", "tsx", "test/netns/fixtures/send-datagrams.ts"]);
  let output = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const [code] = await once(child, "exit");
  assert.is(code, 0, stderr);
  // Slot 1 has no route (ENETUNREACH, 101), slot 3's segments are over UDP's limit (refused before
  // sending, not 192 empty datagrams); slots 0 and 2 arrive whole.
  assert.equal(JSON.parse(output), { sent: 2, refused: 2, errno: 101, received: [100, 200] });
});

test("closeFd on a closed descriptor reports EBADF", () => {
  assert.throws(() => addon().closeFd(987654), (error: Error & { code?: string }) => error.code === "EBADF");
});

test.run();
