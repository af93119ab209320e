// podnet's BGP speaker against BIRD 2, configured as Calico's template configures it (gateway
// recursive, add paths on, graceful restart, connect retry time 5), each in its own namespace on one
// segment: iBGP and eBGP, podnet dialing and BIRD dialing, routes both ways and withdrawn both ways,
// TCP MD5 with the right and a wrong password, GTSM on both sides and on one. Root only; everything lives in namespaces made here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanupNamespaces } from "../netns/namespaces";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPodnet } from "../helpers/run-binary";
import { birdRoute, calicoBirdConfig, createLab, startBird, startPodnetSpeaker, waitUntil, type Lab, type RunningBird, type RunningSpeaker } from "./lab";

test.after(cleanupNamespaces);

const established = async (speaker: RunningSpeaker) => (await speaker.peers()).every((peer) => peer.state === "Established");

async function stopAll(lab: Lab, ...running: Array<RunningSpeaker | RunningBird>): Promise<void> {
  for (const process of running) await process.stop();
  lab.remove();
}

for (const dialer of ["podnet", "bird"] as const) {
  test(`iBGP AS 64512 with BIRD, ${dialer} dialing: routes each way, then withdrawn each way`, async () => {
    const lab = createLab(`ibgp-${dialer}`, 2);
    const [podnetNode, birdNode] = lab.nodes;
    const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512 }], owned: ["10.244.2.0/26", "10.244.2.64/26"], passive: dialer === "podnet" }));
    const podnet = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1${dialer === "bird" ? ",passive" : ""}`, "--announce", "10.244.1.0/26", "--announce", "10.244.1.64/26,community=64512:7", "--graceful-restart", "120"]);
    try {
      await waitUntil(() => established(podnet), 15_000, "session established");
      await waitUntil(() => birdRoute(bird, "10.244.1.64/26") !== "", 10_000, "BIRD learns 10.244.1.64/26");
      const learned = birdRoute(bird, "10.244.1.64/26");
      assert.match(learned, "via 198.18.0.1 on eth0");
      assert.match(learned, "BGP.next_hop: 198.18.0.1");
      assert.match(learned, "BGP.local_pref: 100");
      assert.match(learned, "BGP.community: (64512,7)");
      assert.match(birdRoute(bird, "10.244.1.0/26"), "BGP.origin: IGP");

      await waitUntil(async () => (await podnet.routes()).length === 4, 10_000, "podnet learns BIRD's two blocks");
      const theirs = await podnet.routes("10.244.2.64/26");
      assert.equal(theirs.length, 1);
      assert.equal({ ...theirs[0], pathId: 0 }, {
        prefix: "10.244.2.64/26",
        nextHop: "198.18.0.2",
        asPath: "",
        origin: "IGP",
        localPref: 100,
        med: null,
        communities: [],
        originatorId: null,
        clusterList: [],
        from: "198.18.0.2",
        pathId: 0,
        best: true,
        stale: false,
      });
      // ADD-PATH: BIRD sends path identifiers (it offers to send, we to receive).
      assert.ok(theirs[0].pathId > 0, `path id ${theirs[0].pathId}`);
      const [peer] = await podnet.peers();
      assert.equal(peer.prefixes, { received: 2, accepted: 2, sent: 2 });
      assert.equal(peer.capabilities.includes("add-path") && peer.capabilities.includes("graceful-restart") && peer.capabilities.includes("4-octet-as"), true);

      // The CLI shows the same Loc-RIB.
      const shown = runPodnet(["bgp", "show", "routes", "--json", "--control", podnet.control]);
      assert.equal(shown.status, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).map((route: { prefix: string }) => route.prefix).sort(), ["10.244.1.0/26", "10.244.1.64/26", "10.244.2.0/26", "10.244.2.64/26"]);

      // Withdrawn by podnet: gone from BIRD.
      const withdrawn = runPodnet(["bgp", "withdraw", "10.244.1.64/26", "--control", podnet.control]);
      assert.equal(withdrawn.status, 0, withdrawn.stderr);
      await waitUntil(() => birdRoute(bird, "10.244.1.64/26") === "", 10_000, "BIRD drops 10.244.1.64/26");
      assert.ok(birdRoute(bird, "10.244.1.0/26") !== "");
      // Withdrawn by BIRD (its static protocol off): gone from podnet.
      bird.birdc("disable", "static1");
      await waitUntil(async () => (await podnet.routes()).length === 1, 10_000, "podnet drops BIRD's blocks");
      assert.equal((await podnet.routes()).map((route) => route.prefix), ["10.244.1.0/26"]);
      assert.equal((await podnet.peers())[0].prefixes, { received: 0, accepted: 0, sent: 1 });
    } finally {
      await stopAll(lab, podnet, bird);
    }
  });
}

test("eBGP 64512 ↔ 64513 with BIRD: each side prepends its AS and sets itself as next hop; without a policy (RFC 8212) nothing is exchanged", async () => {
  const lab = createLab("ebgp", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64513, neighbors: [{ address: podnetNode.address, as: 64512 }], owned: ["10.244.3.0/26"] }).replace("ipv4 { import all; export filter pods; gateway recursive; add paths on; };", "ipv4 { import all; export filter pods; add paths on; };"));
  const podnet = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64513,connect-retry=1,import=all,export=all`, "--announce", "10.244.1.0/26"]);
  try {
    await waitUntil(() => established(podnet), 15_000, "session established");
    await waitUntil(async () => (await podnet.routes("10.244.3.0/26")).length === 1, 10_000, "podnet learns 10.244.3.0/26");
    const [route] = await podnet.routes("10.244.3.0/26");
    assert.equal([route.asPath, route.nextHop, route.localPref, route.from], ["64513", "198.18.0.2", 100, "198.18.0.2"]);
    assert.equal((await podnet.peers())[0].type, "eBGP");
    await waitUntil(() => birdRoute(bird, "10.244.1.0/26") !== "", 10_000, "BIRD learns 10.244.1.0/26");
    const learned = birdRoute(bird, "10.244.1.0/26");
    assert.match(learned, "BGP.as_path: 64512\n");
    assert.match(learned, "BGP.next_hop: 198.18.0.1");
  } finally {
    await stopAll(lab, podnet, bird);
  }

  const quiet = createLab("ebgp-nopolicy", 2);
  const quietBird = startBird(quiet, quiet.nodes[1], calicoBirdConfig({ routerId: quiet.nodes[1].address, localAs: 64513, neighbors: [{ address: quiet.nodes[0].address, as: 64512 }], owned: ["10.244.3.0/26"] }).replace(" gateway recursive;", ""));
  const quietPodnet = startPodnetSpeaker(quiet, quiet.nodes[0], ["--as", "64512", "--peer", `${quiet.nodes[1].address},as=64513,connect-retry=1`, "--announce", "10.244.1.0/26"]);
  try {
    await waitUntil(() => established(quietPodnet), 15_000, "session established");
    await waitUntil(async () => (await quietPodnet.peers())[0].prefixes.received === 1, 10_000, "BIRD's route arrives");
    assert.equal((await quietPodnet.routes()).map((route) => route.prefix), ["10.244.1.0/26"]);
    assert.equal((await quietPodnet.peers())[0].prefixes, { received: 1, accepted: 0, sent: 0 });
    assert.equal(birdRoute(quietBird, "10.244.1.0/26"), "");
    assert.match(quietPodnet.output(), "eBGP peer 198.18.0.2 has no explicit import policy: RFC 8212 says exchange nothing that way");
  } finally {
    await stopAll(quiet, quietPodnet, quietBird);
  }
});

test("TCP MD5: with BIRD's password the session comes up; with a wrong one there is none, and the log says why", async () => {
  const lab = createLab("md5", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512, password: "s3cret-key" }], owned: ["10.244.2.0/26"], passive: true }));
  // The key from a file (kept out of argv, where ps shows it), with the newline an editor leaves.
  const keyFile = join(lab.directory, "md5-key");
  writeFileSync(keyFile, "s3cret-key\n", { mode: 0o600 });
  const right = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1,password-file=${keyFile}`]);
  try {
    await waitUntil(() => established(right), 15_000, "session with the right password");
    await waitUntil(async () => (await right.routes()).length === 1, 10_000, "route over the signed session");
  } finally {
    await right.stop();
  }
  const wrong = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1,password=not-the-key`]);
  try {
    await waitUntil(async () => ((await wrong.peers())[0].lastError ?? "").includes("no answer"), 20_000, "a failed connect with a wrong key");
    const [peer] = await wrong.peers();
    assert.ok(peer.state === "Connect" || peer.state === "Active", peer.state);
    assert.match(peer.lastError!, "TCP MD5");
    assert.equal(await wrong.routes(), []);
  } finally {
    await stopAll(lab, wrong, bird);
  }
});

test("GTSM (RFC 5082): with ttl security on both sides the session comes up; against a BIRD that sends with TTL 64 there is none", async () => {
  const lab = createLab("gtsm", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const guarded = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512, extra: "  ttl security on;\n" }], owned: ["10.244.2.0/26"], passive: true }));
  const podnet = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1,ttl-security`]);
  try {
    // BIRD's `ttl security on` takes only TTL 255: the session proves podnet sends with it.
    await waitUntil(() => established(podnet), 15_000, "session with GTSM on both sides");
    await waitUntil(async () => (await podnet.routes()).length === 1, 10_000, "route over the GTSM session");
  } finally {
    await podnet.stop();
    await guarded.stop();
  }
  // BIRD's iBGP default is multihop with TTL 64: podnet's IP_MINTTL 254 drops every segment of its
  // side of the session, so it never gets past OpenSent, and BIRD never hears podnet's OPEN answered.
  const plain = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512 }], owned: ["10.244.2.0/26"], passive: true }));
  const refused = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1,ttl-security`]);
  try {
    await waitUntil(async () => (await refused.peers()).length === 1, 10_000, "podnet's control socket");
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const [peer] = await refused.peers();
    assert.ok(peer.state !== "Established", `podnet's session is ${peer.state}`);
    assert.equal(await refused.routes(), []);
    assert.not.match(plain.birdc("show", "protocols", "peer1"), "Established");
  } finally {
    await stopAll(lab, refused, plain);
  }
});

test.run();
