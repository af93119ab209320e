// etcd with TLS and client certificates, flanneld's --etcd-cafile/--etcd-certfile/--etcd-keyfile:
// certificates made here with openssl, etcd started requiring client certificates.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdKv } from "../../host/store/etcd-kv";
import { startEtcd, type EtcdServer } from "../helpers/etcd-server";
import { runPodnet } from "../helpers/run-binary";

const directory = mkdtempSync(join(tmpdir(), "podnet-tls-"));
const file = (name: string) => join(directory, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: directory, stdio: "ignore" });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=podnet test CA", "-keyout", "ca-key.pem", "-out", "ca.pem");
  writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  writeFileSync(file("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subject] of [["server", "/CN=127.0.0.1"], ["client", "/CN=podnet-agent"]]) {
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.pem`);
  }
}

let etcd: EtcdServer | undefined;
test.after(async () => etcd?.stop());

test("with a client certificate the store works over TLS; podnet status reads it with the etcd TLS flags", async () => {
  makeCertificates();
  etcd = await startEtcd({ caFile: file("ca.pem"), serverCertFile: file("server.pem"), serverKeyFile: file("server-key.pem") });
  const kv = new EtcdKv({ endpoints: [etcd.endpoint], caFile: file("ca.pem"), certFile: file("client.pem"), keyFile: file("client-key.pem") });
  assert.is(await kv.create("/coreos.com/network/subnets/10.244.31.0-24", '{"PublicIP":"198.18.0.31","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"ee:00:00:00:00:31"}}', 0), true);
  await kv.close();
  const result = runPodnet(["status", "--store", "etcd", "--etcd-endpoints", etcd.endpoint, "--etcd-cafile", file("ca.pem"), "--etcd-certfile", file("client.pem"), "--etcd-keyfile", file("client-key.pem"), "--json"]);
  assert.is(result.status, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout), { node: "198.18.0.31", subnet: "10.244.31.0/24", backend: "vxlan", vtepMac: "ee:00:00:00:00:31", expires: null });
});

test("without a client certificate etcd refuses, and podnet says the store failed, exit 1", () => {
  const result = runPodnet(["status", "--store", "etcd", "--etcd-endpoints", etcd!.endpoint, "--etcd-cafile", file("ca.pem")]);
  assert.is(result.status, 1);
  assert.match(result.stderr, /^podnet: etcd range \/coreos.com\/network\/subnets\/ failed: /, result.stderr);
});

test("a TLS file that does not exist is refused by name", () => {
  const result = runPodnet(["status", "--store", "etcd", "--etcd-endpoints", etcd!.endpoint, "--etcd-cafile", file("missing.pem")]);
  assert.is(result.status, 1);
  assert.is(result.stderr, `podnet: etcd TLS file ${file("missing.pem")} does not exist\n`);
});

test.run();
