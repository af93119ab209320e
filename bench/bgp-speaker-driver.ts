// Runs podnet's speaker in-process inside a namespace for bench/bgp.bench.ts.
//   receive COUNT: passive towards 198.18.0.2, reports when (epoch ms) all COUNT routes are in
//     the Loc-RIB, resident memory per route (after GC), and the event loop's longest stall;
//   send COUNT: announces COUNT prefixes to 198.18.0.2 and prints {"established": epoch ms}.
import pino from "pino";
import { Speaker } from "../host/bgp/speaker";
import { peerDefaults } from "../host/bgp/config";
import { feedPrefix } from "./bgp-feed";

const [mode, countText] = process.argv.slice(2);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc;
const rss = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
};
const speaker = new Speaker({ localAs: 64512, routerId: "198.18.0.1", listen: { address: "198.18.0.1", port: 179 } }, pino({ level: "warn" }));

if (mode === "receive") {
  speaker.addPeer(peerDefaults("198.18.0.2", 64512, { passive: true, holdTime: 90 }));
  const before = rss();
  // The loop's longest stall: the longest time between two turns of a 1 ms timer, less its 1 ms.
  // (monitorEventLoopDelay has no sample at all when a small table loads in one stall.)
  let established = false;
  let lastTick = performance.now();
  let longestStall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (established) longestStall = Math.max(longestStall, now - lastTick - 1);
    lastTick = now;
    if (!established && speaker.peers()[0].peer.state === "Established") established = true;
    if (established && speaker.rib.size >= count) {
      const loaded = Date.now();
      clearInterval(timer);
      const after = rss();
      process.stdout.write(`${JSON.stringify({ loaded, bytesPerRoute: (after - before) / count, maxDelayMs: longestStall })}\n`);
      process.exit(0);
    }
  }, 1);
  await speaker.start();
} else {
  speaker.addPeer(peerDefaults("198.18.0.2", 64512, { holdTime: 90, connectRetry: 1 }));
  for (let index = 0; index < count; index++) speaker.announce({ prefix: feedPrefix(index) });
  let reported = false;
  setInterval(() => {
    if (!reported && speaker.peers()[0].peer.state === "Established") {
      reported = true;
      process.stdout.write(`${JSON.stringify({ established: Date.now() })}\n`);
    }
  }, 1);
  await speaker.start();
}
