// Graceful restart (RFC 4724) with BIRD 2, both roles. podnet killed with SIGKILL: BIRD keeps its
// routes through the restart time, and when podnet is back its End-of-RIB leaves only what it
// announces again. BIRD killed: podnet keeps BIRD's routes marked stale, and sweeps them when BIRD's
// new session says it kept no forwarding state (or at its End-of-RIB). Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanupNamespaces } from "../netns/namespaces";
import { birdRoute, calicoBirdConfig, createLab, startBird, startPodnetSpeaker, waitUntil } from "./lab";

test.after(cleanupNamespaces);

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

test("podnet killed with SIGKILL: BIRD keeps its routes for the restart time; podnet back with one route fewer → after End-of-RIB BIRD has exactly what podnet announces", async () => {
  const lab = createLab("gr-podnet", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512 }], owned: ["10.244.2.0/26"] }));
  const speakerArgs = (prefixes: string[], restarting: boolean) => ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1`, "--graceful-restart", "60", ...prefixes.flatMap((prefix) => ["--announce", prefix]), ...(restarting ? ["--restarting"] : [])];
  let podnet = startPodnetSpeaker(lab, podnetNode, speakerArgs(["10.244.1.0/26", "10.244.1.64/26"], false));
  try {
    await waitUntil(() => birdRoute(bird, "10.244.1.64/26") !== "", 15_000, "BIRD learns podnet's routes");
    await podnet.stop("SIGKILL");
    await waitUntil(() => bird.birdc("show", "protocols", "all", "peer1").includes("Neighbor graceful restart active"), 10_000, "BIRD notices the restart");
    await sleep(2000);
    // Both routes are still there, two seconds into the 60 s restart time.
    assert.ok(birdRoute(bird, "10.244.1.0/26") !== "");
    assert.ok(birdRoute(bird, "10.244.1.64/26") !== "");
    assert.match(bird.birdc("show", "protocols", "all", "peer1"), /Restart timer:\s+\d/);

    podnet = startPodnetSpeaker(lab, podnetNode, speakerArgs(["10.244.1.0/26"], true));
    await waitUntil(() => birdRoute(bird, "10.244.1.64/26") === "", 15_000, "BIRD sweeps the route podnet no longer announces");
    assert.ok(birdRoute(bird, "10.244.1.0/26") !== "");
    assert.not.match(bird.birdc("show", "protocols", "all", "peer1"), "Neighbor graceful restart active");
    assert.equal((await podnet.peers())[0].state, "Established");
  } finally {
    await podnet.stop();
    await bird.stop();
    lab.remove();
  }
});

test("BIRD killed with SIGKILL: podnet keeps BIRD's routes as stale; BIRD back with other routes → podnet sweeps the stale ones and has exactly the new ones", async () => {
  const lab = createLab("gr-bird", 2);
  const [podnetNode, birdNode] = lab.nodes;
  const config = (owned: string[]) => calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: podnetNode.address, as: 64512 }], owned });
  let bird = startBird(lab, birdNode, config(["10.244.2.0/26"]));
  const podnet = startPodnetSpeaker(lab, podnetNode, ["--as", "64512", "--peer", `${birdNode.address},as=64512,connect-retry=1`, "--announce", "10.244.1.0/26", "--graceful-restart", "60"]);
  try {
    await waitUntil(async () => (await podnet.routes("10.244.2.0/26")).length === 1, 15_000, "podnet learns BIRD's route");
    await bird.stop("SIGKILL");
    await waitUntil(async () => (await podnet.routes("10.244.2.0/26"))[0]?.stale === true, 10_000, "BIRD's route goes stale");
    assert.equal((await podnet.peers())[0].state === "Established", false);
    assert.match(podnet.output(), "198.18.0.2 may be restarting: keeping its 1 routes as stale for 120 s");

    bird = startBird(lab, birdNode, config(["10.244.2.64/26"]));
    await waitUntil(async () => (await podnet.routes("10.244.2.64/26")).length === 1 && (await podnet.routes("10.244.2.0/26")).length === 0, 20_000, "stale route swept, new one learned");
    const routes = await podnet.routes();
    assert.equal(routes.map((route) => [route.prefix, route.stale]), [["10.244.1.0/26", false], ["10.244.2.64/26", false]]);
    assert.match(podnet.output(), "removed 1 stale routes of 198.18.0.2");
  } finally {
    await podnet.stop();
    await bird.stop();
    lab.remove();
  }
});

test.run();
