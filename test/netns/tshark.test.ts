// `podnet packet decode` agrees with tshark, field by field, on captures made here: kernel VXLAN
// and plain ICMP/UDP/TCP between namespaces, and Flannel UDP and IPIP packets built by
// `podnet packet encode`. Root only (the captures need namespaces); tshark from Debian.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireRoot } from "./namespaces";
import { repositoryRoot } from "../helpers/paths";
import { runPodnet } from "../helpers/run-binary";
import { agree } from "./field-agreement";

const directory = mkdtempSync(join(tmpdir(), "podnet-tshark-"));
let captured = false;
function captures(): void {
  if (captured) return;
  requireRoot();
  execFileSync("bash", [`${repositoryRoot}scripts/capture-wire-fixtures.sh`], { env: { ...process.env, FIXTURE_DIR: directory, KEEP_PCAP: "1" }, stdio: "ignore" });
  captured = true;
}

test("plain ARP, ICMP, UDP and TCP over a veth: every field equals tshark's", () => {
  captures();
  agree(join(directory, "veth.pcap"), 15);
});

test("kernel VXLAN (decoded by tshark with -d udp.port==8472,vxlan): outer and inner fields equal tshark's", () => {
  captures();
  agree(join(directory, "vxlan.pcap"), 15);
});

test("Flannel UDP and IPIP built by podnet encode, good and broken checksums: fields equal tshark's", () => {
  const pcap = join(directory, "synthesised.pcap");
  const encode = (...args: string[]) => assert.is(runPodnet(["packet", "encode", ...args, "--pcap", pcap]).status, 0);
  encode("--flannel-udp", "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.1.7:10.244.2.9", "--udp", "40000:53", "--payload", "00010203");
  encode("--flannel-udp", "--outer", "198.18.0.1:198.18.0.2", "--inner", "10.244.1.7:10.244.2.9", "--tcp", "40000:80", "--tcp-flags", "SYN,ACK", "--ttl", "7");
  encode("--ipip", "--outer", "198.18.0.3:198.18.0.4", "--inner", "10.244.3.1:10.244.4.1", "--icmp-echo", "--payload", "6869");
  encode("--ipip", "--outer", "198.18.0.3:198.18.0.4", "--inner", "10.244.3.1:10.244.4.1", "--tcp", "1:2");
  // Broken on purpose: JSON with wrong checksums given explicitly.
  const broken = JSON.stringify({ layers: [
    { layer: "ethernet", destination: "02:00:00:00:00:02", source: "02:00:00:00:00:01", etherType: 2048 },
    { layer: "ipv4", source: "198.18.0.1", destination: "198.18.0.2", ttl: 64, protocol: 17, checksum: 0x1234 },
    { layer: "udp", sourcePort: 8285, destinationPort: 8285, checksum: 0x4321 },
    { layer: "ipv4", source: "10.244.1.7", destination: "10.244.2.9", ttl: 64, protocol: 1 },
    { layer: "icmpv4", type: 8, code: 0, restOfHeader: 65537, checksum: 7 },
  ] });
  encode(broken);
  agree(pcap, 5);
});

test.run();
