// SIGTERM while a BGP table is loading: a feeder pours a million prefixes into `podnet bgp serve`
// (the agent's speaker); a SIGTERM a quarter of the way in ends the speaker within a second, with a
// Cease to the peer. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { cleanupNamespaces, spawnIn } from "../netns/namespaces";
import { createLab, startPodnetSpeaker, waitUntil } from "./lab";
import { repositoryRoot } from "../helpers/paths";

test.after(cleanupNamespaces);

test("SIGTERM while a million routes are loading ends the speaker within a second", async () => {
  const lab = createLab("sigload", 2);
  const [speakerNode, feederNode] = lab.nodes;
  const speaker = startPodnetSpeaker(lab, speakerNode, ["--as", "64512", "--peer", `${feederNode.address},as=64512,passive`]);
  await waitUntil(async () => (await speaker.peers()).length === 1, 10_000, "speaker up");
  const feeder = spawnIn(feederNode.namespace, process.execPath, ["--import", "tsx", `${repositoryRoot}bench/bgp-feeder.ts`, speakerNode.address, "1000000"]);
  try {
    await waitUntil(async () => ((await speaker.peers())[0]?.prefixes.received ?? 0) >= 250_000, 60_000, "a quarter of the table in");
    const received = (await speaker.peers())[0].prefixes.received;
    const stopping = Date.now();
    speaker.process.kill("SIGTERM");
    await once(speaker.process, "exit");
    const stoppedIn = Date.now() - stopping;
    console.log(`  SIGTERM with ${received} of 1,000,000 routes loaded: speaker gone in ${stoppedIn} ms`);
    assert.ok(received < 1_000_000, "still loading when the signal came");
    assert.ok(stoppedIn <= 1000, `took ${stoppedIn} ms`);
    assert.is(speaker.process.exitCode, 0);
  } finally {
    feeder.kill("SIGKILL");
    await speaker.stop();
    lab.remove();
  }
});

test.run();
