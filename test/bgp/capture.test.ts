// A BGP session with BIRD 2, captured with tcpdump on podnet's side: OPENs with capabilities,
// UPDATEs (with ADD-PATH path identifiers from BIRD), KEEPALIVEs, a ROUTE-REFRESH (birdc reload in)
// and the closing NOTIFICATION. Every message decodes and encodes back to the same bytes, and
// tshark reads the same types, AS numbers, identifiers, prefixes and error codes as
// `podnet packet decode --json`. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readCapture } from "../../host/capture/pcap";
import { encodeMessage } from "../../host/bgp/codec/message";
import { decodeCapturedMessage } from "../../host/packet/bgp";
import { cleanupNamespaces, spawnIn } from "../netns/namespaces";
import { runPodnet } from "../helpers/run-binary";
import { birdRoute, calicoBirdConfig, createLab, startBird, startPodnetSpeaker, waitUntil } from "./lab";

test.after(cleanupNamespaces);

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The TCP payload of each Ethernet/IPv4/TCP frame, by frame number (1-based). */
function tcpPayloads(pcap: Uint8Array): Array<{ frame: number; payload: Uint8Array }> {
  const out: Array<{ frame: number; payload: Uint8Array }> = [];
  let frame = 0;
  for (const packet of readCapture(pcap)) {
    frame++;
    const data = packet.data;
    const ipStart = 14;
    const tcpStart = ipStart + (data[ipStart] & 0x0f) * 4;
    const payloadStart = tcpStart + (data[tcpStart + 12] >> 4) * 4;
    const totalLength = (data[ipStart + 2] << 8) | data[ipStart + 3];
    const payload = data.subarray(payloadStart, ipStart + totalLength);
    if (payload.length > 0) out.push({ frame, payload });
  }
  return out;
}

test("a captured session with BIRD: every message round-trips byte for byte, and tshark agrees with podnet packet decode", async () => {
  const lab = createLab("capture", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const pcapPath = join(lab.directory, "bgp.pcap");
  const capture = spawnIn(podnetNode.namespace, "tcpdump", ["-i", "eth0", "--immediate-mode", "-U", "-w", pcapPath, "tcp", "port", "179"]);
  const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512 }], owned: ["10.244.2.0/26", "10.244.2.64/26"] }));
  const podnet = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1`, "--announce", "10.244.1.0/26,community=64512:7", "--graceful-restart", "30"]);
  try {
    await sleep(500); // tcpdump attaches
    await waitUntil(async () => (await podnet.routes()).length === 3 && birdRoute(bird, "10.244.1.0/26") !== "", 15_000, "routes both ways");
    bird.birdc("reload", "in", "peer1");
    await sleep(500);
    await podnet.stop();
    await sleep(500);
    capture.kill("SIGINT");
    await new Promise((resolve) => capture.once("exit", resolve));

    const pcap = readFileSync(pcapPath);
    const messages: Array<{ frame: number; type: number; bytes: Uint8Array }> = [];
    for (const { frame, payload } of tcpPayloads(pcap)) {
      for (let at = 0; at < payload.length; ) {
        const length = (payload[at + 16] << 8) | payload[at + 17];
        messages.push({ frame, type: payload[at + 18], bytes: payload.slice(at, at + length) });
        at += length;
      }
    }
    const types = new Set(messages.map((message) => message.type));
    assert.equal([...types].sort(), [1, 2, 3, 4, 5], `OPEN, UPDATE, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH were all captured: ${messages.map((message) => `${message.frame}:${message.type}`).join(" ")}`);
    for (const { frame, bytes } of messages) {
      const { message, context } = decodeCapturedMessage(bytes);
      assert.equal(Buffer.from(encodeMessage(message, context)).toString("hex"), Buffer.from(bytes).toString("hex"), `frame ${frame} (${message.type})`);
    }

    const fields = ["bgp.type", "bgp.open.myas", "bgp.open.identifier", "bgp.cap.4as", "bgp.nlri_prefix", "bgp.notify.major_error"];
    const tshark = execFileSync("tshark", ["-r", pcapPath, "-Y", "bgp", "-T", "fields", "-E", "separator=|", "-E", "aggregator=,", "-e", "frame.number", ...fields.flatMap((field) => ["-e", field])], { encoding: "utf8" })
      .trim()
      .split("\n");
    const decoded = runPodnet(["packet", "decode", "--read", pcapPath, "--json"]);
    assert.equal(decoded.status, 0, decoded.stderr);
    const ours = decoded.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { number: number; layers: Array<Record<string, string | number>> })
      .filter((packet) => packet.layers.some((layer) => layer.layer === "bgp"))
      .map((packet) => {
        const bgp = packet.layers.filter((layer) => layer.layer === "bgp");
        return [packet.number, ...fields.map((field) => bgp.flatMap((layer) => (layer[field] === undefined ? [] : [layer[field]])).join(","))].join("|");
      });
    assert.equal(ours, tshark);
    assert.ok(ours.some((line) => line.includes("10.244.2.0")), "BIRD's prefixes are among them");
  } finally {
    await podnet.stop();
    await bird.stop();
    lab.remove();
  }
});

test.run();
