// A peer whose session is torn down and set up again 100 times, each time announcing routes: the
// speaker leaks nothing — its open file descriptors are the same after the last flap as after the
// tenth, no route of the peer is left, and its resident memory grows by less than a quarter (V8
// sizes its heap lazily: RSS creeps up while the heap after each full GC stays the same — 7.8 MB
// through 40,000 control requests under --trace-gc — so RSS only catches a gross leak). Root
// only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { cleanupNamespaces } from "../netns/namespaces";
import { createLab, startPodnetSpeaker, waitUntil, WirePeer } from "./lab";
import { attribute, KEEPALIVE, open, update, u8 } from "./frames";

test.after(cleanupNamespaces);

const FLAPS = 100;
const ROUTES = 50;
// 10.244.<i>.0/24 for i < ROUTES, next hop the raw peer (198.18.0.2), iBGP.
const ANNOUNCE = update("", attribute(0x40, 1, "00") + attribute(0x40, 2, "") + attribute(0x40, 3, "c6120002"), Array.from({ length: ROUTES }, (_, i) => "180af4" + u8(i)).join(""));

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

test(`a peer flapping ${FLAPS} times with ${ROUTES} routes each time: file descriptors and memory flat, no route left`, async () => {
  const lab = createLab("flap", 2);
  const [speakerNode, rawNode] = lab.nodes;
  const speaker = startPodnetSpeaker(lab, speakerNode, ["--as", "64512", "--peer", `${rawNode.address},as=64512,passive`]);
  const wire = new WirePeer(rawNode);
  const pid = speaker.process.pid!;
  let baseline = { fds: 0, rss: 0 };
  try {
    await waitUntil(async () => (await speaker.peers()).length === 1, 10_000, "speaker up");
    for (let flap = 1; flap <= FLAPS; flap++) {
      await wire.connect(speakerNode.address);
      assert.is((await wire.message()).slice(36, 38), "01", "the speaker's OPEN");
      wire.send(open());
      wire.send(KEEPALIVE);
      wire.send(ANNOUNCE);
      await waitUntil(async () => (await speaker.peers())[0].prefixes.accepted === ROUTES, 5000, `flap ${flap}: ${ROUTES} routes in`);
      wire.close();
      await waitUntil(async () => (await speaker.peers())[0].state !== "Established" && (await speaker.routes()).length === 0, 5000, `flap ${flap}: session down, routes gone`);
      wire.pending();
      if (flap === 10) baseline = { fds: fds(pid), rss: rssKiB(pid) };
    }
    const after = { fds: fds(pid), rss: rssKiB(pid) };
    console.log(`  ${FLAPS} flaps: fds ${baseline.fds} → ${after.fds}, RSS ${Math.round(baseline.rss / 1024)} → ${Math.round(after.rss / 1024)} MB (after flap 10 → after flap ${FLAPS})`);
    assert.is(after.fds, baseline.fds, "no file descriptor leaked");
    assert.ok(after.rss <= baseline.rss * 1.25, `RSS grew from ${baseline.rss} to ${after.rss} KiB`);
    assert.equal(await speaker.routes(), []);
  } finally {
    wire.stop();
    await speaker.stop();
    lab.remove();
  }
});

test.run();
