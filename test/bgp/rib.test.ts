// Best-path selection, the Loc-RIB's events, RFC 6793 path merging and OPEN negotiation, in
// process (no sockets).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { selectBest } from "../../host/bgp/best-path";
import { LocRib } from "../../host/bgp/rib";
import { exportAttributes, mergeAs4Path, type Path, type RouteAttributes, type RouteSource } from "../../host/bgp/route";
import { negotiate, ourOpen } from "../../host/bgp/negotiate";
import { peerDefaults } from "../../host/bgp/config";
import { BgpMessageError } from "../../host/bgp/codec/error";

const source = (address: string, routerId: string, asn: number, internal = true): RouteSource => ({ address, routerId, asn, internal, routeReflectorClient: false, local: false });
const attributes = (overrides: Partial<RouteAttributes> = {}): RouteAttributes => ({ origin: 0, asPath: [], nextHop: "198.18.0.9", localPref: 100, communities: [], clusterList: [], atomicAggregate: false, unknownTransitive: [], ...overrides });
const path = (from: RouteSource, overrides: Partial<RouteAttributes> = {}, pathId = 0): Path => ({ pathId, source: from, attributes: attributes(overrides), stale: false });

const A = source("198.18.0.2", "1.1.1.2", 64512);
const B = source("198.18.0.3", "1.1.1.3", 64512);
const E = source("198.18.0.4", "1.1.1.4", 65001, false);

test("best path: LOCAL_PREF, then AS_PATH length, ORIGIN, MED within one neighbour AS, eBGP over iBGP, router ID, peer address, path ID", () => {
  assert.equal(selectBest([path(A, { localPref: 100 }), path(B, { localPref: 200 })]).source, B);
  assert.equal(selectBest([path(A, { asPath: [{ type: 2, asns: [1, 2] }] }), path(B, { asPath: [{ type: 2, asns: [3] }] })]).source, B);
  // A set counts as one AS.
  assert.equal(selectBest([path(A, { asPath: [{ type: 1, asns: [1, 2, 3] }] }), path(B, { asPath: [{ type: 2, asns: [3, 4] }] })]).source, A);
  assert.equal(selectBest([path(A, { origin: 2 }), path(B, { origin: 1 })]).source, B);
  assert.equal(selectBest([path(A, { med: 10, asPath: [{ type: 2, asns: [7] }] }), path(B, { med: 5, asPath: [{ type: 2, asns: [7] }] })]).source, B);
  // MEDs from different neighbouring ASes are not compared: the router ID decides.
  assert.equal(selectBest([path(A, { med: 10, asPath: [{ type: 2, asns: [7] }] }), path(B, { med: 5, asPath: [{ type: 2, asns: [8] }] })]).source, A);
  assert.equal(selectBest([path(A, { asPath: [{ type: 2, asns: [65001] }] }), path(E, { asPath: [{ type: 2, asns: [65001] }] })]).source, E);
  assert.equal(selectBest([path(B), path(A)]).source, A);
  // A reflected route is compared by its ORIGINATOR_ID, then by the shorter CLUSTER_LIST.
  assert.equal(selectBest([path(A, { originatorId: "9.9.9.9" }), path(B)]).source, B);
  assert.equal(selectBest([path(A, { originatorId: "1.1.1.1", clusterList: ["5.5.5.5", "6.6.6.6"] }), path(B, { originatorId: "1.1.1.1", clusterList: ["5.5.5.5"] })]).source, B);
  assert.equal(selectBest([path(A, {}, 7), path(A, {}, 3)]).pathId, 3);
  // The order paths arrive in does not matter.
  const paths = [path(A, { med: 10, asPath: [{ type: 2, asns: [7] }] }), path(B, { med: 5, asPath: [{ type: 2, asns: [8] }] }), path(E, { med: 1, asPath: [{ type: 2, asns: [7] }] })];
  assert.equal(selectBest(paths).source, selectBest([...paths].reverse()).source);
});

test("the Loc-RIB reports each change of a prefix's best path once: added, changed, withdrawn", () => {
  const events: string[] = [];
  const rib = new LocRib((prefix, best, previous) => events.push(`${prefix} ${previous?.source.address ?? "-"} → ${best?.source.address ?? "-"}`));
  assert.equal(rib.upsert("10.244.1.0/26", path(B)), true);
  assert.equal(rib.upsert("10.244.1.0/26", path(A, { localPref: 50 })), true); // worse: no event
  assert.equal(rib.upsert("10.244.1.0/26", path(A, { localPref: 300 })), false); // replaces A's path, now best
  assert.equal(rib.remove("10.244.1.0/26", A, 0)?.source, A);
  assert.equal(rib.remove("10.244.1.0/26", A, 0), undefined);
  assert.equal(rib.removeWhere(B), 1);
  assert.equal(events, ["10.244.1.0/26 - → 198.18.0.3", "10.244.1.0/26 198.18.0.3 → 198.18.0.2", "10.244.1.0/26 198.18.0.2 → 198.18.0.3", "10.244.1.0/26 198.18.0.3 → -"]);
  assert.equal(rib.size, 0);
});

test("RFC 6793: a 2-octet speaker's AS_PATH and AS4_PATH merge into the 4-octet path; towards it, big ASes become AS_TRANS with AS4_PATH", () => {
  assert.equal(mergeAs4Path([{ type: 2, asns: [65001, 23456, 23456] }], [{ type: 2, asns: [4200000001, 4200000002] }]), [{ type: 2, asns: [65001] }, { type: 2, asns: [4200000001, 4200000002] }]);
  // AS4_PATH longer than AS_PATH is ignored.
  assert.equal(mergeAs4Path([{ type: 2, asns: [65001] }], [{ type: 2, asns: [1, 2] }]), [{ type: 2, asns: [65001] }]);
  const exported = exportAttributes(path(E, { asPath: [{ type: 2, asns: [4200000001] }] }), { localAs: 64512, internal: false, fourOctetAs: false, localAddress: "198.18.0.1" });
  assert.equal(exported.map((attribute) => attribute.kind), ["origin", "as-path", "next-hop", "as4-path"]);
  assert.equal(exported[1], { flags: 0x40, code: 2, kind: "as-path", segments: [{ type: 2, asns: [64512, 23456] }] });
  assert.equal(exported[3], { flags: 0xc0, code: 17, kind: "as4-path", segments: [{ type: 2, asns: [64512, 4200000001] }] });
  assert.equal(exported[2], { flags: 0x40, code: 3, kind: "next-hop", nextHop: "198.18.0.1" });
});

test("OPEN negotiation: the smaller hold time, keepalive a third of it; hold 1 and a wrong AS are refused with their NOTIFICATIONs", () => {
  const speaker = { localAs: 64512, routerId: "198.18.0.1" };
  const peer = peerDefaults("198.18.0.2", 64512, { holdTime: 90 });
  const theirs = { ...ourOpen({ localAs: 64512, routerId: "198.18.0.2" }, peerDefaults("198.18.0.1", 64512)), holdTime: 30 };
  const agreed = negotiate(ourOpen(speaker, peer), theirs, speaker, peer);
  assert.equal([agreed.holdTime, agreed.keepaliveTime, agreed.fourOctetAs, agreed.extendedMessage, [...agreed.addPathReceive], [...agreed.addPathSend]], [30, 10, true, true, [], []]);
  const refusal = (open: typeof theirs, config = peer) => {
    try {
      negotiate(ourOpen(speaker, config), open, speaker, config);
      return "accepted";
    } catch (error) {
      return `${(error as BgpMessageError).code}/${(error as BgpMessageError).subcode}`;
    }
  };
  assert.equal(refusal({ ...theirs, holdTime: 1 }), "2/6");
  assert.equal(refusal(theirs, peerDefaults("198.18.0.2", 64999)), "2/2");
  assert.equal(refusal({ ...theirs, bgpId: "198.18.0.1" }), "2/3");
  assert.equal(refusal({ ...theirs, version: 3 }), "2/1");
});

test("graceful restart time: the speaker's, unless the peer has its own (Calico's BGPPeer maxRestartTime)", () => {
  const restartTimeOf = (open: ReturnType<typeof ourOpen>) => {
    const capabilities = (open.parameters[0] as { capabilities: Array<{ kind: string; restartTime?: number }> }).capabilities;
    return capabilities.find((capability) => capability.kind === "graceful-restart")?.restartTime;
  };
  const speaker = { localAs: 64512, routerId: "198.18.0.1", gracefulRestartTime: 120 };
  assert.is(restartTimeOf(ourOpen(speaker, peerDefaults("198.18.0.2", 64512))), 120);
  assert.is(restartTimeOf(ourOpen(speaker, peerDefaults("198.18.0.2", 64512, { gracefulRestartTime: 90 }))), 90);
  assert.is(restartTimeOf(ourOpen({ localAs: 64512, routerId: "198.18.0.1" }, peerDefaults("198.18.0.2", 64512))), undefined);
});

test.run();
