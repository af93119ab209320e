// One peer's large, legal UPDATE must not cost another peer anything (RFC 4271 §9.2, what BIRD, FRR
// and GoBGP do). Peer A (eBGP 65002, import all) sends 10.1.0.0/16 with an unknown optional
// transitive attribute of 4,043 octets: 4,093 octets in all, a legal message. Exported to peer B
// (eBGP 65003, export all) the AS prepend and our next hop make the attributes 4,071 octets, which
// leaves 2 octets in a 4,096-octet UPDATE and a /16 needs 3. So B must not get that route (and lose
// it if it had it before), while every other route still reaches B, B's session stays up and B
// gets no UPDATE without NLRI, withdrawals or End-of-RIB. Peer C negotiated RFC 8654 extended
// messages and gets the route whole. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { cleanupNamespaces } from "../netns/namespaces";
import { createLab, startPodnetSpeaker, waitUntil, WirePeer, type LabNode } from "./lab";
import { attribute, KEEPALIVE, open, u8, u32, update } from "./frames";

test.after(cleanupNamespaces);

const capabilities = (as: number, extra = "") => "010400010001" + "4104" + u32(as) + extra;
const EXTENDED_MESSAGE = "0600";
const peerOpen = (as: number, extra = "") => open({ as, id: u32(as), parameters: "02" + u8(capabilities(as, extra).length / 2) + capabilities(as, extra) });
const ORIGIN = attribute(0x40, 1, "00");
const FROM_A = attribute(0x40, 2, "0201" + u32(65002)) + attribute(0x40, 3, "c6120002");
const unknownAttribute = (octets: number) => attribute(0xd0, 200, "ab".repeat(octets));
const SLASH_16 = (second: number) => "100a" + second.toString(16).padStart(2, "0"); // 10.<second>.0.0/16

interface Update {
  length: number;
  withdrawn: string;
  nlri: string;
}

function parseUpdate(hex: string): Update {
  const withdrawnLength = parseInt(hex.slice(38, 42), 16);
  const withdrawn = hex.slice(42, 42 + withdrawnLength * 2);
  const attributesAt = 42 + withdrawnLength * 2;
  const attributesLength = parseInt(hex.slice(attributesAt, attributesAt + 4), 16);
  return { length: hex.length / 2, withdrawn, nlri: hex.slice(attributesAt + 4 + attributesLength * 2) };
}

/** Connects `wire` to the speaker, completes the OPEN exchange and waits for its End-of-RIB. */
async function establish(wire: WirePeer, speakerAddress: string, ourOpen: string): Promise<void> {
  await wire.connect(speakerAddress);
  assert.equal((await wire.message()).slice(36, 38), "01");
  wire.send(ourOpen);
  assert.equal(await wire.message(), KEEPALIVE);
  wire.send(KEEPALIVE);
  for (;;) {
    const hex = await wire.message();
    if (hex === update("", "", "")) return;
  }
}

/** Every UPDATE `wire` gets within `milliseconds` (KEEPALIVEs dropped); throws on anything else. */
async function updatesWithin(wire: WirePeer, milliseconds: number): Promise<Update[]> {
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  const updates: Update[] = [];
  for (const event of wire.pending()) {
    if (event.event !== "message") throw new Error(`the session changed: ${JSON.stringify(event)}`);
    if (event.hex === KEEPALIVE) continue;
    assert.equal(event.hex.slice(36, 38), "02", `only UPDATEs and KEEPALIVEs, got ${event.hex.slice(0, 80)}`);
    updates.push(parseUpdate(event.hex));
  }
  return updates;
}

function metricsOf(node: LabNode, port: number): string {
  return execFileSync("ip", ["netns", "exec", node.namespace, "curl", "-s", `http://127.0.0.1:${port}/metrics`], { encoding: "utf8" });
}

test("a 4,093-octet UPDATE from one peer: the route is held back from the peer it cannot fit, withdrawn there, counted and logged once; every other route and session carries on; extended messages carry it whole", async () => {
  const lab = createLab("bigupd", 4);
  const [speakerNode, nodeA, nodeB, nodeC] = lab.nodes;
  const speaker = startPodnetSpeaker(lab, speakerNode, [
    "--as", "64512",
    "--peer", `${nodeA.address},as=65002,import=all,passive`,
    "--peer", `${nodeB.address},as=65003,export=all,passive`,
    "--peer", `${nodeC.address},as=65004,export=all,passive`,
    "--metrics-address", "127.0.0.1:9810",
  ]);
  const [a, b, c] = [nodeA, nodeB, nodeC].map((node) => new WirePeer(node));
  try {
    await waitUntil(async () => (await speaker.peers()).length === 3, 10_000, "speaker up");
    await establish(b, speakerNode.address, peerOpen(65003));
    await establish(c, speakerNode.address, peerOpen(65004, EXTENDED_MESSAGE));
    await establish(a, speakerNode.address, peerOpen(65002));

    // A small route first: B gets it.
    a.send(update("", ORIGIN + FROM_A, SLASH_16(1)));
    await waitUntil(async () => (await speaker.peers()).find((peer) => peer.address === nodeB.address)?.prefixes.sent === 1, 5000, "B sent 10.1.0.0/16");
    assert.equal((await updatesWithin(b, 200)).map((u) => [u.withdrawn, u.nlri]), [["", SLASH_16(1)]]);
    await updatesWithin(c, 0);

    // The same prefix with 4,043 octets more: 4,093 octets from A, 4,097 towards B. B loses it.
    const large = update("", ORIGIN + FROM_A + unknownAttribute(4043), SLASH_16(1));
    assert.equal(large.length / 2, 4093);
    a.send(large);
    // 4,046 octets: the exported attributes alone pass the 4,096-octet limit. B never hears of it.
    const largest = update("", ORIGIN + FROM_A + unknownAttribute(4046), SLASH_16(3));
    assert.equal(largest.length / 2, 4096);
    a.send(largest);
    a.send(update("", ORIGIN + FROM_A, SLASH_16(2)));
    await waitUntil(async () => (await speaker.routes()).length === 3, 5000, "the speaker holds all three routes from A");

    const toB = await updatesWithin(b, 1000);
    assert.equal(toB.map((u) => `${u.withdrawn}/${u.nlri}`).sort(), [`/${SLASH_16(2)}`, `${SLASH_16(1)}/`], "B: 10.2.0.0/16 announced, 10.1.0.0/16 withdrawn, nothing else");
    for (const sent of toB) assert.ok(sent.length <= 4096 && (sent.nlri !== "" || sent.withdrawn !== ""), `a well-formed UPDATE: ${JSON.stringify(sent)}`);
    const peers = await speaker.peers();
    const peerB = peers.find((peer) => peer.address === nodeB.address)!;
    assert.equal([peerB.state, peerB.prefixes.sent], ["Established", 1]);

    // C negotiated extended messages: the large routes go whole.
    const toC = await updatesWithin(c, 0);
    const large1 = toC.find((u) => u.nlri === SLASH_16(1));
    assert.ok(large1 && large1.length === 4097, `C got 10.1.0.0/16 in one ${large1?.length}-octet UPDATE`);
    assert.ok(toC.some((u) => u.nlri === SLASH_16(3) && u.length === 4100));
    assert.equal(peers.find((peer) => peer.address === nodeC.address)!.prefixes.sent, 3);

    // Still up and quiet: a KEEPALIVE is taken, and nothing more arrives.
    b.send(KEEPALIVE);
    assert.equal((await updatesWithin(b, 500)).length, 0);
    assert.equal((await speaker.peers()).map((peer) => peer.state), ["Established", "Established", "Established"]);

    const metrics = metricsOf(speakerNode, 9810);
    assert.match(metrics, `podnet_bgp_routes_not_sent_total{peer="${nodeB.address}"} 2`);
    const logged = speaker.output().split("\n").filter((line) => line.includes(`to ${nodeB.address}: its attributes take`));
    assert.equal(logged.length, 2, "logged once per route held back");
    assert.match(logged[0], /not sending 10\.1\.0\.0\/16 to 198\.18\.0\.3: its attributes take 4071 octets/);
  } finally {
    for (const wire of [a, b, c]) wire.stop();
    await speaker.stop();
    lab.remove();
  }
});

test.run();
