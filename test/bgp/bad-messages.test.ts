// Malformed BGP messages from a raw TCP peer, one table row each: the exact NOTIFICATION the RFCs
// name (RFC 4271 §6, RFC 6608, RFC 7606 for session resets), or RFC 7606's treat-as-withdraw or
// attribute-discard with the session left up, or a route refused by a loop check. The bytes are
// written out by hand here, not by podnet's encoder. One speaker serves every row; afterwards it
// is still running and its /metrics counted each NOTIFICATION. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { cleanupNamespaces } from "../netns/namespaces";
import { createLab, startPodnetSpeaker, waitUntil, WirePeer, type RunningSpeaker } from "./lab";
import type { RouteStatus } from "../../host/bgp/status";

import { attribute, CAPABILITIES, frame, KEEPALIVE, MARKER, open, OUR_ID, PEER_ID, u16, u32, update } from "./frames";

test.after(cleanupNamespaces);

const ORIGIN = attribute(0x40, 1, "00");
const AS_PATH = attribute(0x40, 2, ""); // iBGP: empty
const NEXT_HOP = attribute(0x40, 3, "c6120002");
const PREFIX = "180af409"; // 10.244.9.0/24
const VALID = update("", ORIGIN + AS_PATH + NEXT_HOP, PREFIX);

type Expectation =
  | { notification: [number, number]; data?: string }
  | { withdrawn: true }
  | { accepted: Partial<RouteStatus> }
  | { refused: true }
  | { established: true };

interface Row {
  name: string;
  /** Where in the session the bytes go: instead of the OPEN, in OpenConfirm, once Established, or after a valid route. */
  stage: "open" | "openconfirm" | "established" | "route";
  send: string;
  expect: Expectation;
  /** OPEN to use before the bytes (stages after "open"). */
  open?: string;
}

const rows: Row[] = [
  // Message header (RFC 4271 §6.1)
  { name: "marker not all ones", stage: "open", send: "00" + open().slice(2), expect: { notification: [1, 1] } },
  { name: "length 18, below the header", stage: "open", send: MARKER + "0012" + "01", expect: { notification: [1, 2], data: "0012" } },
  { name: "UPDATE of 4097 octets without extended messages", stage: "route", send: MARKER + "1001" + "02" + "00".repeat(4097 - 19), expect: { notification: [1, 2], data: "1001" } },
  { name: "message type 9", stage: "open", send: MARKER + "0013" + "09", expect: { notification: [1, 3], data: "09" } },
  { name: "KEEPALIVE of 20 octets", stage: "established", send: MARKER + "0014" + "04" + "00", expect: { notification: [1, 2], data: "0014" } },
  // OPEN (RFC 4271 §6.2, RFC 5492)
  { name: "version 3", stage: "open", send: open({ version: 3 }), expect: { notification: [2, 1], data: "0004" } },
  { name: "peer AS 64999, configured 64512", stage: "open", send: open({ as: 64999, parameters: "02060104" + "00010001" }), expect: { notification: [2, 2], data: "fde7" } },
  { name: "BGP identifier 0.0.0.0", stage: "open", send: open({ id: "00000000" }), expect: { notification: [2, 3] } },
  { name: "iBGP peer with our own BGP identifier", stage: "open", send: open({ id: OUR_ID }), expect: { notification: [2, 3] } },
  { name: "unknown optional parameter type 3", stage: "open", send: open({ parameters: "0302abcd" }), expect: { notification: [2, 4], data: "03" } },
  { name: "hold time 1", stage: "open", send: open({ hold: 1 }), expect: { notification: [2, 6] } },
  { name: "hold time 2", stage: "open", send: open({ hold: 2 }), expect: { notification: [2, 6] } },
  { name: "no address family in common (IPv4 multicast only)", stage: "open", send: open({ parameters: "020c" + "010400010002" + "41040000fc00" }), expect: { notification: [2, 7] } },
  { name: "4-octet AS capability of 3 octets", stage: "open", send: open({ parameters: "0205" + "4103" + "00fc00" }), expect: { notification: [2, 0] } },
  { name: "unknown capability 200 is ignored", stage: "open", send: open({ parameters: "0210" + CAPABILITIES + "c802beef" }), expect: { established: true } },
  { name: "extended optional parameters (RFC 9072) are understood", stage: "open", send: frame(1, "04" + u16(64512) + u16(90) + PEER_ID + "ffff" + u16(3 + CAPABILITIES.length / 2) + "02" + u16(CAPABILITIES.length / 2) + CAPABILITIES), expect: { established: true } },
  // Finite state machine (RFC 6608)
  { name: "KEEPALIVE before the OPEN", stage: "open", send: KEEPALIVE, expect: { notification: [5, 1], data: "04" } },
  { name: "UPDATE in OpenConfirm", stage: "openconfirm", send: VALID, expect: { notification: [5, 2], data: "02" } },
  { name: "OPEN once Established", stage: "established", send: open(), expect: { notification: [5, 3], data: "01" } },
  // Hold timer (RFC 4271 §6.5): a peer that offered 3 s and then says nothing
  { name: "silence past a 3 s hold time", stage: "established", open: open({ hold: 3 }), send: "", expect: { notification: [4, 0] } },
  // UPDATE, session reset (RFC 7606 §3, §4, §5.3, §7.11)
  { name: "withdrawn routes length runs past the message", stage: "route", send: frame(2, "0010" + "0000"), expect: { notification: [3, 1] } },
  { name: "total path attribute length runs past the message", stage: "route", send: frame(2, "0000" + "0040" + ORIGIN), expect: { notification: [3, 1] } },
  { name: "unrecognized well-known attribute 99", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x40, 99, "01"), PREFIX), expect: { notification: [3, 2], data: "40630101" } },
  { name: "NLRI prefix length 33", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP, "210af40901ff"), expect: { notification: [3, 10] } },
  { name: "MP_REACH_NLRI twice", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x80, 14, "00010104c612000200" + PREFIX) + attribute(0x80, 14, "00010104c612000200" + PREFIX), ""), expect: { notification: [3, 1] } },
  { name: "MP_REACH_NLRI next hop of 5 octets", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x80, 14, "00010105c61200020000" + PREFIX), ""), expect: { notification: [3, 9] } },
  // RFC 7606 §7.11: IPv4 NLRI with a 16-octet next hop needs RFC 8950, which was not negotiated.
  { name: "IPv4 MP_REACH_NLRI with a next hop of 16 octets", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x80, 14, "00010110" + "20010db8" + "00".repeat(11) + "01" + "00" + PREFIX), ""), expect: { notification: [3, 9] } },
  // UPDATE, treat-as-withdraw (RFC 7606 §3, §4, §7)
  { name: "ORIGIN 3", stage: "route", send: update("", attribute(0x40, 1, "03") + AS_PATH + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "ORIGIN of 2 octets", stage: "route", send: update("", attribute(0x40, 1, "0000") + AS_PATH + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "ORIGIN with the Optional bit", stage: "route", send: update("", attribute(0xc0, 1, "00") + AS_PATH + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "AS_PATH segment type 7", stage: "route", send: update("", ORIGIN + attribute(0x40, 2, "0701" + u32(64512)) + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "AS_PATH segment of 2 ASes holding 1", stage: "route", send: update("", ORIGIN + attribute(0x40, 2, "0202" + u32(64512)) + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "AS_PATH segment of zero ASes", stage: "route", send: update("", ORIGIN + attribute(0x40, 2, "0200") + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "NEXT_HOP of 5 octets", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x40, 3, "c612000200"), PREFIX), expect: { withdrawn: true } },
  { name: "NEXT_HOP 0.0.0.0", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x40, 3, "00000000"), PREFIX), expect: { withdrawn: true } },
  { name: "NEXT_HOP 127.0.0.1", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x40, 3, "7f000001"), PREFIX), expect: { withdrawn: true } },
  { name: "MP_REACH_NLRI next hop 127.0.0.1", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x80, 14, "00010104" + "7f000001" + "00" + PREFIX), ""), expect: { withdrawn: true } },
  { name: "MP_REACH_NLRI next hop 224.0.0.5", stage: "route", send: update("", ORIGIN + AS_PATH + attribute(0x80, 14, "00010104" + "e0000005" + "00" + PREFIX), ""), expect: { withdrawn: true } },
  { name: "NEXT_HOP missing", stage: "route", send: update("", ORIGIN + AS_PATH, PREFIX), expect: { withdrawn: true } },
  { name: "ORIGIN missing", stage: "route", send: update("", AS_PATH + NEXT_HOP, PREFIX), expect: { withdrawn: true } },
  { name: "MULTI_EXIT_DISC of 3 octets", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x80, 4, "000001"), PREFIX), expect: { withdrawn: true } },
  { name: "LOCAL_PREF of 2 octets", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x40, 5, "0064"), PREFIX), expect: { withdrawn: true } },
  { name: "COMMUNITIES of 5 octets", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0xc0, 8, "fc00000701"), PREFIX), expect: { withdrawn: true } },
  { name: "CLUSTER_LIST of 0 octets", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x80, 10, ""), PREFIX), expect: { withdrawn: true } },
  { name: "last attribute runs past the attribute list", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + "400504" + "0000", PREFIX), expect: { withdrawn: true } },
  // UPDATE, attribute discard (RFC 7606 §3 (g), §7.6, §7.7)
  { name: "ATOMIC_AGGREGATE of 1 octet is discarded", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x40, 6, "01") + attribute(0xc0, 8, "fc000007"), PREFIX), expect: { accepted: { communities: ["64512:7"] } } },
  { name: "AGGREGATOR of 7 octets is discarded", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0xc0, 7, "0000fc00c61200") + attribute(0x80, 4, "0000002a"), PREFIX), expect: { accepted: { med: 42 } } },
  { name: "a second MULTI_EXIT_DISC is discarded, the first kept", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x80, 4, "00000005") + attribute(0x80, 4, "00000009"), PREFIX), expect: { accepted: { med: 5 } } },
  // Loops (RFC 4456 §8, RFC 4271 §9.1.2)
  { name: "ORIGINATOR_ID is our router ID", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x80, 9, OUR_ID), PREFIX), expect: { refused: true } },
  { name: "CLUSTER_LIST holds our cluster ID", stage: "route", send: update("", ORIGIN + AS_PATH + NEXT_HOP + attribute(0x80, 10, "0a000001" + OUR_ID), PREFIX), expect: { refused: true } },
  { name: "AS_PATH holds our AS", stage: "route", send: update("", ORIGIN + attribute(0x40, 2, "0201" + u32(64512)) + NEXT_HOP, PREFIX), expect: { refused: true } },
];

const END_OF_RIB = update("", "", "");
/** What the speaker sends in passing: KEEPALIVEs and its End-of-RIB (it has no routes to announce). */
const isRoutine = (hex: string) => hex === KEEPALIVE || hex === END_OF_RIB;

async function handshake(wire: WirePeer, speaker: RunningSpeaker, row: Row): Promise<void> {
  const theirOpen = await wire.message();
  assert.equal(theirOpen.slice(36, 38), "01", "the speaker's OPEN comes first");
  if (row.stage === "open") return;
  wire.send(row.open ?? open());
  assert.equal((await wire.message()).slice(36, 38), "04", "KEEPALIVE answers our OPEN");
  if (row.stage === "openconfirm") return;
  wire.send(KEEPALIVE);
  await waitUntil(async () => (await speaker.peers())[0].state === "Established", 5000, "Established");
  if (row.stage === "established") return;
  wire.send(VALID);
  await waitUntil(async () => (await speaker.routes("10.244.9.0/24")).length === 1, 5000, "the valid route");
}

async function check(wire: WirePeer, speaker: RunningSpeaker, row: Row): Promise<void> {
  const expect = row.expect;
  if ("notification" in expect) {
    let hex = await wire.message();
    while (isRoutine(hex)) hex = await wire.message();
    assert.equal(hex.slice(36, 38), "03", `NOTIFICATION expected, got ${hex}`);
    assert.equal([parseInt(hex.slice(38, 40), 16), parseInt(hex.slice(40, 42), 16)], expect.notification);
    if (expect.data !== undefined) assert.equal(hex.slice(42), expect.data);
    assert.equal((await wire.next()).event, "closed");
    await waitUntil(async () => (await speaker.routes("10.244.9.0/24")).length === 0, 5000, "routes of the reset session gone");
    return;
  }
  if ("established" in expect) {
    assert.equal((await wire.message()).slice(36, 38), "04");
    wire.send(KEEPALIVE);
    await waitUntil(async () => (await speaker.peers())[0].state === "Established", 5000, "Established");
    return;
  }
  if ("withdrawn" in expect || "refused" in expect) {
    await waitUntil(async () => (await speaker.routes("10.244.9.0/24")).length === 0, 5000, "route gone");
    const [peer] = await speaker.peers();
    assert.equal(peer.state, "Established");
    assert.equal(peer.prefixes, "refused" in expect ? { received: 1, accepted: 0, sent: 0 } : { received: 0, accepted: 0, sent: 0 });
  } else {
    await waitUntil(async () => {
      const [route] = await speaker.routes("10.244.9.0/24");
      return Object.entries(expect.accepted).every(([key, value]) => JSON.stringify(route?.[key as keyof RouteStatus]) === JSON.stringify(value));
    }, 5000, `route with ${JSON.stringify(expect.accepted)}`);
    assert.equal((await speaker.peers())[0].state, "Established");
  }
  // Still up: no NOTIFICATION came, and a KEEPALIVE is taken.
  wire.send(KEEPALIVE);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(wire.pending().filter((event) => event.event !== "message" || !isRoutine(event.hex)), []);
}

test(`${rows.length} malformed messages from a raw peer each get their exact NOTIFICATION or RFC 7606 outcome; the speaker keeps serving and counts them`, async () => {
  assert.ok(rows.length >= 25);
  const lab = createLab("badmsg", 2);
  const [speakerNode, rawNode] = lab.nodes;
  const speaker = startPodnetSpeaker(lab, speakerNode, ["--as", "64512", "--peer", `${rawNode.address},as=64512,passive`, "--metrics-address", "127.0.0.1:9809"]);
  const wire = new WirePeer(rawNode);
  try {
    await waitUntil(async () => (await speaker.peers()).length === 1, 10_000, "speaker up");
    for (const row of rows) {
      try {
        await wire.connect(speakerNode.address);
        await handshake(wire, speaker, row);
        wire.send(row.send);
        await check(wire, speaker, row);
        wire.close();
        await waitUntil(async () => (await speaker.peers())[0].state !== "Established" && (await speaker.routes("10.244.9.0/24")).length === 0, 5000, "session over");
      } catch (error) {
        throw new Error(`row "${row.name}": ${(error as Error).message}`);
      }
    }
    const metrics = execFileSync("ip", ["netns", "exec", speakerNode.namespace, "curl", "-s", "http://127.0.0.1:9809/metrics"], { encoding: "utf8" });
    const sent = (code: number, subcode: number) => Number(new RegExp(`podnet_bgp_notifications_total\\{peer="198.18.0.2",code="${code}",subcode="${subcode}",direction="sent"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    assert.equal([sent(1, 2), sent(2, 6), sent(3, 1), sent(3, 9), sent(5, 3)], [3, 2, 3, 2, 1]);
    assert.match(metrics, /podnet_bgp_update_errors_total\{peer="198.18.0.2",action="treat-as-withdraw"\} 18/);
    // Each reset is logged with the peer and the offending offset: the NLRI prefix length octet is
    // at 19 (header) + 2 + 2 + 3 attributes (4 + 3 + 7 octets).
    assert.match(speaker.output(), /"peer":"198.18.0.2".*"offset":37,.*Invalid Network Field: prefix length 33 > 32/);
  } finally {
    wire.stop();
    await speaker.stop();
    lab.remove();
  }
});

test.run();
