// `podnet apply/get/delete` with Calico v3 resources on the embedded store: Calico's own YAML as
// its docs write it, calicoctl's columns, and every refusal named (exit 1, nothing written).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPodnet } from "../helpers/run-binary";

const directory = mkdtempSync(join(tmpdir(), "podnet-resources-"));
const store = ["--store-path", join(directory, "store.db")];
let files = 0;
const file = (text: string) => {
  const path = join(directory, `resource-${files++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const podnet = (...args: string[]) => runPodnet([...args, ...store]);

// As in Calico's docs (IP pools, BGP configuration, BGP peers pages).
const CALICO_DOCS = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 10.244.0.0/16
  ipipMode: Never
  natOutgoing: true
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  logSeverityScreen: Info
  nodeToNodeMeshEnabled: true
  asNumber: 63400
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: rack1-tor
spec:
  peerIP: 192.20.30.40
  asNumber: 64567
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: node1-peer
spec:
  peerIP: 198.18.0.254:1179
  asNumber: 64568
  node: node1
  password: s3cret
  keepaliveTime: 20s
  maxRestartTime: 2m
`;

test.after(() => rmSync(directory, { recursive: true, force: true }));

test("apply: Calico's documented YAML; get: calicoctl's columns, wide, yaml (defaults filled in) and json", () => {
  const applied = podnet("apply", "-f", file(CALICO_DOCS));
  assert.equal(applied.status, 0, applied.stderr);
  assert.equal(applied.stdout, "IPPool default-ipv4-ippool created\nBGPConfiguration default created\nBGPPeer rack1-tor created\nBGPPeer node1-peer created\n");
  assert.equal(podnet("apply", "-f", file(CALICO_DOCS)).stdout, "IPPool default-ipv4-ippool unchanged\nBGPConfiguration default unchanged\nBGPPeer rack1-tor unchanged\nBGPPeer node1-peer unchanged\n");

  assert.equal(podnet("get", "ippools").stdout, "NAME                 CIDR           SELECTOR\ndefault-ipv4-ippool  10.244.0.0/16  all()\n");
  assert.equal(podnet("get", "ippool", "-o", "wide").stdout, "NAME                 CIDR           NAT   IPIPMODE  VXLANMODE  DISABLED  BLOCKSIZE  SELECTOR\ndefault-ipv4-ippool  10.244.0.0/16  true  Never     Never      false     26         all()\n");
  assert.equal(podnet("get", "bgppeers").stdout, "NAME        PEERIP             NODE      ASN\nnode1-peer  198.18.0.254:1179  node1     64568\nrack1-tor   192.20.30.40       (global)  64567\n");
  assert.equal(podnet("get", "bgpconfig").stdout, "NAME     LOGSEVERITY  MESHENABLED  ASNUMBER\ndefault  Info         true         63400\n");
  assert.equal(
    podnet("get", "ippools", "default-ipv4-ippool", "-o", "yaml").stdout,
    "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: default-ipv4-ippool\nspec:\n  cidr: 10.244.0.0/16\n  blockSize: 26\n  ipipMode: Never\n  vxlanMode: Never\n  natOutgoing: true\n  disabled: false\n  nodeSelector: all()\n",
  );
  const peer = JSON.parse(podnet("get", "bgppeer", "node1-peer", "-o", "json").stdout);
  assert.equal(peer.spec, { peerIP: "198.18.0.254:1179", asNumber: 64568, sourceAddress: "UseNodeIP", node: "node1", password: "s3cret", keepaliveTime: "20s", maxRestartTime: "2m" });
  // A List, as `get -o yaml` writes it, applies back unchanged.
  const listed = podnet("get", "bgppeers", "-o", "yaml").stdout;
  assert.match(listed, "kind: BGPPeerList");
  assert.equal(podnet("apply", "-f", file(listed)).stdout, "BGPPeer node1-peer unchanged\nBGPPeer rack1-tor unchanged\n");
});

test("refused by name, exit 1, nothing written", () => {
  const pool = (spec: string, name = "second") => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const cases: Array<[string, string]> = [
    [`apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: x\n`, 'kind: "GlobalNetworkPolicy" is not a kind podnet implements'],
    [pool("  cidr: 10.96.0.0/16\n  ipipMode: Sometimes\n"), 'IPPool second: spec.ipipMode: must be one of Never, Always, CrossSubnet, not "Sometimes"'],
    [pool("  cidr: 10.96.0.0/16\n  vxlanMode: Always\n"), 'IPPool second: spec.vxlanMode: must be one of Never, not "Always"'],
    [pool("  cidr: 10.96.0.0/16\n  allowedUses: [Workload]\n"), "IPPool second: spec.allowedUses: unknown field, or one podnet does not implement"],
    [pool("  cidr: 10.244.128.0/17\n"), "IPPool second: 10.244.128.0/17 overlaps IPPool default-ipv4-ippool (10.244.0.0/16)"],
    [pool("  cidr: 10.96.0.0/28\n"), "IPPool second: spec.blockSize: a /26 block does not fit in the /28 pool 10.96.0.0/28"],
    [pool("  cidr: 10.96.0.0/16\n  blockSize: 19\n"), "IPPool second: spec.blockSize: must be a whole number from 20 to 32, not 19"],
    [pool("  cidr: 10.96.0.1/16\n"), "IPPool second: spec.cidr: host bits set in '10.96.0.1/16'"],
    [pool("  cidr: 10.96.0.0/16\n  nodeSelector: rack == 'a'\n"), `IPPool second: spec.nodeSelector: podnet implements only all()`],
    [pool("  cidr: 10.245.0.0/16\n", "default-ipv4-ippool"), "IPPool default-ipv4-ippool: spec.cidr cannot change (10.244.0.0/16 → 10.245.0.0/16)"],
    [`apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: p\nspec:\n  peerIP: 10.0.0.300\n  asNumber: 64512\n`, 'BGPPeer p: spec.peerIP: not an IPv4 address: "10.0.0.300"'],
    [`apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: p\nspec:\n  peerIP: 10.0.0.3\n  asNumber: 4294967296\n`, "BGPPeer p: spec.asNumber: must be a whole number from 1 to 4294967295, not 4294967296"],
    [`apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec:\n  asNumber: 0\n`, "BGPConfiguration default: spec.asNumber: must be a whole number from 1 to 4294967295, not 0"],
    [`apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node1\nspec:\n  bgp:\n    ipv4Address: 198.18.0.1\n`, "Node node1: spec.bgp.ipv4Address: must be an IPv4 address with its prefix length"],
    [`apiVersion: projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: old\nspec:\n  cidr: 10.96.0.0/16\n`, 'IPPool old: apiVersion: must be projectcalico.org/v3, not "projectcalico.org/v1"'],
    [`kind: [unclosed`, "not YAML or JSON"],
  ];
  for (const [text, message] of cases) {
    // Each bad resource follows a good one: the good one must not be written either.
    const result = podnet("apply", "-f", file(`apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata:\n  name: default\nspec:\n  strictAffinity: true\n---\n${text}`));
    assert.equal(result.status, 1, `${message}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  assert.equal(podnet("get", "ipamconfigurations").stdout, "NAME  STRICTAFFINITY  MAXBLOCKSPERHOST\n");
  assert.equal(podnet("get", "ippools").stdout, "NAME                 CIDR           SELECTOR\ndefault-ipv4-ippool  10.244.0.0/16  all()\n");
  const unknownType = podnet("get", "widgets");
  assert.equal(unknownType.status, 2);
  assert.match(unknownType.stderr, "unknown resource type 'widgets'");
});

test("delete by kind and name, and by file; a missing one is an error", () => {
  assert.equal(podnet("delete", "bgppeer", "rack1-tor").stdout, "BGPPeer rack1-tor deleted\n");
  const again = podnet("delete", "bgppeer", "rack1-tor");
  assert.equal(again.status, 1);
  assert.match(again.stderr, "not found: BGPPeer rack1-tor");
  const byFile = podnet("delete", "-f", file(CALICO_DOCS.split("---\n").slice(0, 2).join("---\n")));
  assert.equal(byFile.stdout, "IPPool default-ipv4-ippool deleted\nBGPConfiguration default deleted\n");
  assert.equal(podnet("get", "ippools").stdout, "NAME  CIDR  SELECTOR\n");
  assert.equal(podnet("get", "bgppeers").stdout, "NAME        PEERIP             NODE   ASN\nnode1-peer  198.18.0.254:1179  node1  64568\n");
});

test.run();
