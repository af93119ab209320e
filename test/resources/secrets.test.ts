// Secrets at rest: a BGPPeer's password by Calico's secretKeyRef (a file laid out as kubelet lays a
// Secret volume out, on the datastores without Secrets), and the embedded store's files for root alone.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseResource, type BGPPeer } from "../../host/resources/kinds";
import { bgpPeerPassword, secretFile } from "../../host/resources/secrets";
import { SqliteKv } from "../../host/store/sqlite-kv";

const directory = mkdtempSync(join(tmpdir(), "podnet-secrets-"));
test.after(() => rmSync(directory, { recursive: true, force: true }));

const peerWith = (password: unknown) => ({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata: { name: "tor" }, spec: { peerIP: "198.18.0.254", asNumber: 64513, password } });
const refusal = (document: unknown) => {
  try {
    parseResource(document);
    return "accepted";
  } catch (error) {
    return (error as Error).message;
  }
};

test("a BGPPeer's secretKeyRef is read from <secrets>/<name>/<key> without its trailing newline; a missing one names the file, never a value", () => {
  const peer = parseResource(peerWith({ secretKeyRef: { name: "bgp-secrets", key: "rr-password" } })) as BGPPeer;
  assert.equal(peer.spec.password, { secretKeyRef: { name: "bgp-secrets", key: "rr-password" } });
  assert.is(secretFile({ name: "bgp-secrets", key: "rr-password" }, directory), join(directory, "bgp-secrets", "rr-password"));
  assert.throws(() => bgpPeerPassword(peer, directory), (error: Error) => error.message === `cannot read the password file ${join(directory, "bgp-secrets", "rr-password")}: ENOENT`);
  mkdirSync(join(directory, "bgp-secrets"));
  writeFileSync(join(directory, "bgp-secrets", "rr-password"), "t0p-secret\n", { mode: 0o600 });
  assert.is(bgpPeerPassword(peer, directory), "t0p-secret");
  writeFileSync(join(directory, "bgp-secrets", "rr-password"), "x".repeat(81));
  assert.throws(() => bgpPeerPassword(peer, directory), /must be 1–80 bytes/);
  assert.is(bgpPeerPassword(parseResource(peerWith("inline")) as BGPPeer, directory), "inline");
});

test("a secretKeyRef that could leave the secrets directory, or is incomplete, is refused by name", () => {
  assert.match(refusal(peerWith({ secretKeyRef: { name: "../etc", key: "shadow" } })), 'spec.password.secretKeyRef: secretKeyRef.name "../etc" is not a Secret name');
  assert.match(refusal(peerWith({ secretKeyRef: { name: "bgp", key: ".." } })), 'secretKeyRef.key ".." is not a Secret key');
  assert.match(refusal(peerWith({ secretKeyRef: { name: "bgp", key: "a/b" } })), 'secretKeyRef.key "a/b" is not a Secret key');
  assert.match(refusal(peerWith({ secretKeyRef: { name: "bgp" } })), "key");
  assert.match(refusal(peerWith({ secretKeyRef: { name: "bgp", key: "k" }, extra: 1 })), "extra");
});

test("the embedded store, its WAL and its shared-memory file are 0600, and an older 0644 store is tightened on open", async () => {
  const fresh = join(directory, "fresh.db");
  const store = new SqliteKv(fresh);
  await store.create("/coreos.com/network/config", "{}", 0);
  for (const file of [fresh, `${fresh}-wal`, `${fresh}-shm`]) assert.is(statSync(file).mode & 0o777, 0o600, file);
  await store.close();
  const older = join(directory, "older.db");
  await new SqliteKv(older).close();
  chmodSync(older, 0o644);
  const reopened = new SqliteKv(older);
  await reopened.create("k", "v", 0);
  for (const file of [older, `${older}-wal`, `${older}-shm`]) assert.is(statSync(file).mode & 0o777, 0o600, file);
  await reopened.close();
});

test.run();
